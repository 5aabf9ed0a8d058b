import { ServicePolicy } from '../resilience/service-policy.ts';
import type { PolicySettings } from '../resilience/settings.ts';
import { isDependencyFailure, requestJson, urlPart } from './http-json.ts';

export interface PaymentView {
  id: string;
  status: string;
  sender_id: string;
  receiver_id: string;
  amount: string;
  amount_minor: string;
  currency: string;
  note: string | null;
  failure_reason: string | null;
  accepted_by: string;
  created_at: string;
  updated_at: string;
  history?: Array<{ status: string; detail: string | null; at: string }>;
}

export interface CreatePaymentRequest {
  sender_id: string;
  receiver_id?: string;
  receiver_email?: string;
  amount: string;
  currency: string;
  note?: string;
  payment_method_id?: string;
  idempotency_key: string;
}

/**
 * The payment service's internal API. Creating a payment carries an
 * idempotency key, so it is safe to retry like a read.
 */
export class PaymentClient {
  readonly policy: ServicePolicy;
  readonly baseUrl: string;

  constructor(baseUrl: string, target = 'payment-service', options: Partial<PolicySettings> = {}) {
    this.baseUrl = baseUrl;
    this.policy = new ServicePolicy({ target, isFailure: isDependencyFailure, ...options });
  }

  async create(body: CreatePaymentRequest): Promise<{ status: number; payment: PaymentView }> {
    const response = await this.policy.execute(
      (signal) => requestJson<PaymentView>(this.baseUrl, '/payments', { method: 'POST', body, signal }),
      { idempotent: true },
    );
    return { status: response.status, payment: response.body };
  }

  async get(id: string, userId: string): Promise<PaymentView> {
    return (await this.policy.execute((signal) => requestJson<PaymentView>(this.baseUrl, `/payments/${urlPart(id)}?user_id=${urlPart(userId)}`, { signal }), { idempotent: true })).body;
  }

  async list(userId: string, limit = 20): Promise<PaymentView[]> {
    const r = await this.policy.execute((signal) => requestJson<{ payments: PaymentView[] }>(this.baseUrl, `/payments?user_id=${urlPart(userId)}&limit=${limit}`, { signal }), { idempotent: true });
    return r.body.payments;
  }
}
