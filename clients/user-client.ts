import { ServicePolicy } from '../resilience/service-policy.ts';
import type { PolicySettings } from '../resilience/settings.ts';
import { isDependencyFailure, requestJson, urlPart } from './http-json.ts';

export interface UserProfile {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  default_currency: string;
  created_at: string;
}

export interface PaymentMethod {
  id: string;
  user_id: string;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  status: string;
  created_at: string;
}

/**
 * The user service's internal REST API, as the seed's ServiceClient calls it
 * (`GET /users/{id}`, `POST /payment-methods/validate`), plus sign-up, login
 * verification and payment methods. Reads are retried; writes are not.
 */
export class UserClient {
  readonly policy: ServicePolicy;
  readonly baseUrl: string;

  constructor(baseUrl: string, options: Partial<PolicySettings> = {}) {
    this.baseUrl = baseUrl;
    this.policy = new ServicePolicy({ target: 'user-service', isFailure: isDependencyFailure, ...options });
  }

  async getUser(id: string): Promise<UserProfile> {
    return this.read<UserProfile>(`/users/${urlPart(id)}`);
  }

  async findByEmail(email: string): Promise<UserProfile | undefined> {
    const found = await this.read<{ users: UserProfile[] } | UserProfile[] | UserProfile>(`/users?email=${urlPart(email)}`);
    if (Array.isArray(found)) return found[0];
    if (found && 'users' in found) return found.users[0];
    return found as UserProfile;
  }

  async signUp(body: { email: string; password: string; first_name: string; last_name: string; default_currency: string }): Promise<UserProfile> {
    return this.write<UserProfile>('POST', '/users', body);
  }

  /** Checks a password; a wrong one rejects with a 401-mapped error. */
  async verifyPassword(email: string, password: string): Promise<UserProfile> {
    const body = await this.write<UserProfile | { user: UserProfile }>('POST', '/sessions/verify', { email, password });
    return 'user' in body ? body.user : body;
  }

  async updateProfile(id: string, body: { first_name?: string; last_name?: string }): Promise<UserProfile> {
    return this.write<UserProfile>('PATCH', `/users/${urlPart(id)}`, body);
  }

  async addPaymentMethod(userId: string, card: { number: string; exp_month: number; exp_year: number; cvc?: string }): Promise<PaymentMethod> {
    return this.write<PaymentMethod>('POST', `/users/${urlPart(userId)}/payment-methods`, card);
  }

  async listPaymentMethods(userId: string): Promise<PaymentMethod[]> {
    const body = await this.read<{ payment_methods: PaymentMethod[] } | PaymentMethod[]>(`/users/${urlPart(userId)}/payment-methods`);
    return Array.isArray(body) ? body : body.payment_methods;
  }

  /** The seed's check: true only when the method exists, is the user's and is usable. */
  async validatePaymentMethod(methodId: string, userId: string): Promise<boolean> {
    try {
      await this.policy.execute(
        (signal) => requestJson(this.baseUrl, '/payment-methods/validate', { method: 'POST', body: { method_id: methodId, user_id: userId }, signal }),
        { idempotent: true },
      );
      return true;
    } catch (err) {
      if (isDependencyFailure(err) || (err as { kind?: string }).kind === 'unavailable') throw err;
      return false;
    }
  }

  private async read<T>(path: string): Promise<T> {
    return (await this.policy.execute((signal) => requestJson<T>(this.baseUrl, path, { signal }), { idempotent: true })).body;
  }

  private async write<T>(method: string, path: string, body: unknown): Promise<T> {
    return (await this.policy.execute((signal) => requestJson<T>(this.baseUrl, path, { method, body, signal }), { idempotent: false })).body;
  }
}
