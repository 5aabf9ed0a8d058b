import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

/** What a client of the public API sees of one response. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * A client of PayMesh's public REST API, as an app would use it: JSON over
 * HTTP with a bearer token. Nothing here knows about services behind the gateway.
 */
export class ApiClient {
  readonly baseUrl: string;
  token: string | undefined;

  constructor(baseUrl: string, token?: string) {
    this.baseUrl = baseUrl;
    this.token = token;
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }

  /** A money-moving POST with an Idempotency-Key (a fresh one unless given). */
  post<T = any>(path: string, body: unknown, idempotencyKey: string | null = randomUUID()) {
    return this.request<T>('POST', path, body, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {});
  }

  /** Signs up a new user and logs in; returns a client holding their token. */
  static async signUp(baseUrl: string, overrides: { email?: string; default_currency?: string; first_name?: string } = {}) {
    const anonymous = new ApiClient(baseUrl);
    const email = overrides.email ?? `user-${randomUUID().slice(0, 8)}@example.com`;
    const password = 'correct horse battery staple';
    const created = await anonymous.request('POST', '/v1/users', {
      email,
      password,
      first_name: overrides.first_name ?? 'Test',
      last_name: 'User',
      default_currency: overrides.default_currency ?? 'USD',
    });
    if (created.status !== 201) throw new Error(`sign-up failed: ${created.status} ${JSON.stringify(created.body)}`);
    const session = await anonymous.request('POST', '/v1/sessions', { email, password });
    if (session.status !== 200) throw new Error(`login failed: ${session.status} ${JSON.stringify(session.body)}`);
    return { client: new ApiClient(baseUrl, session.body.access_token), user: created.body as { id: string; email: string }, email, password };
  }

  /** Adds a test card and tops up the user's wallet in `currency` with `amount` (a decimal string). */
  async fund(amount: string, currency = 'USD'): Promise<{ walletId: string; methodId: string }> {
    const card = await this.request('POST', '/v1/payment-methods', { number: '4242424242424242', exp_month: 12, exp_year: new Date().getFullYear() + 3 });
    if (card.status !== 201) throw new Error(`adding a card failed: ${card.status} ${JSON.stringify(card.body)}`);
    const walletId = await this.walletId(currency);
    const topUp = await this.post(`/v1/wallets/${walletId}/top-ups`, { amount, currency, payment_method_id: card.body.id });
    if (topUp.status !== 201) throw new Error(`top-up failed: ${topUp.status} ${JSON.stringify(topUp.body)}`);
    return { walletId, methodId: card.body.id };
  }

  async walletId(currency = 'USD'): Promise<string> {
    const wallets = await this.get('/v1/wallets');
    const wallet = wallets.body.wallets?.find((w: { currency: string }) => w.currency === currency);
    if (!wallet) throw new Error(`no ${currency} wallet: ${JSON.stringify(wallets.body)}`);
    return wallet.id;
  }

  async wallet(currency = 'USD'): Promise<{ id: string; balance: string; available: string; frozen: string }> {
    const wallets = await this.get('/v1/wallets');
    return wallets.body.wallets.find((w: { currency: string }) => w.currency === currency);
  }

  /** Polls a payment until it reaches completed or failed. */
  async settled(paymentId: string, timeoutMs = 30_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const payment = await this.get(`/v1/payments/${paymentId}`);
      if (payment.status === 200 && ['completed', 'failed'].includes(payment.body.status)) return payment.body;
      if (Date.now() > deadline) throw new Error(`payment ${paymentId} did not settle in ${timeoutMs} ms: ${JSON.stringify(payment.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Opens the authenticated WebSocket and collects what it pushes. */
  async openSocket(): Promise<{ messages: any[]; next: (predicate: (m: any) => boolean, timeoutMs?: number) => Promise<any>; close: () => void }> {
    const socket = new WebSocket(`${this.baseUrl.replace(/^http/, 'ws')}/ws`, { headers: { authorization: `Bearer ${this.token}` } });
    const messages: any[] = [];
    const waiters: Array<{ predicate: (m: any) => boolean; resolve: (m: any) => void }> = [];
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      messages.push(message);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(message)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return {
      messages,
      next: (predicate, timeoutMs = 30_000) => {
        const found = messages.find(predicate);
        if (found) return Promise.resolve(found);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no matching WebSocket message in ${timeoutMs} ms; got ${JSON.stringify(messages)}`)), timeoutMs);
          waiters.push({ predicate, resolve: (m) => (clearTimeout(timer), resolve(m)) });
        });
      },
      close: () => socket.close(),
    };
  }
}
