import { ServicePolicy } from '../resilience/service-policy.ts';
import type { PolicySettings } from '../resilience/settings.ts';
import { isDependencyFailure, requestJson, urlPart } from './http-json.ts';

export interface TransactionView {
  id: string;
  sender_id: string;
  receiver_id: string;
  direction?: string;
  amount: string;
  amount_minor: string;
  currency: string;
  status: string;
  note: string | null;
  reason: string | null;
  created_at: string;
  updated_at: string;
}

/** The transaction service's read API: the record of payments as their parties see them. */
export class TransactionClient {
  readonly policy: ServicePolicy;
  readonly baseUrl: string;

  constructor(baseUrl: string, options: Partial<PolicySettings> = {}) {
    this.baseUrl = baseUrl;
    this.policy = new ServicePolicy({ target: 'transaction-service', isFailure: isDependencyFailure, ...options });
  }

  async list(userId: string, filters: { limit?: number; status?: string; currency?: string; before?: string } = {}): Promise<TransactionView[]> {
    const query = new URLSearchParams({ user_id: userId });
    for (const [name, value] of Object.entries(filters)) if (value !== undefined) query.set(name, String(value));
    const r = await this.policy.execute((signal) => requestJson<{ transactions: TransactionView[] }>(this.baseUrl, `/transactions?${query}`, { signal }), { idempotent: true });
    return r.body.transactions;
  }

  async get(id: string, userId: string): Promise<TransactionView> {
    return (await this.policy.execute((signal) => requestJson<TransactionView>(this.baseUrl, `/transactions/${urlPart(id)}?user_id=${urlPart(userId)}`, { signal }), { idempotent: true })).body;
  }
}
