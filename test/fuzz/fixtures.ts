import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { ApiClient } from '../support/api.ts';
import { Privacy } from './privacy.ts';

/**
 * The fuzzer's own users, made through the public API before the campaign:
 * each with a card, a funded USD and EUR wallet, payments to and from the
 * others (so there are payments, transaction records and notifications to
 * reach for) and a token. The first REST_USERS call the public surfaces; the
 * wallets of the others are the ones gRPC inputs may debit and suspend (a
 * REST user's wallets stay usable, so the REST surface keeps reaching past
 * its checks).
 */

export const REST_USERS = 4;
export const GRPC_USERS = 2;
export const CURRENCIES = ['USD', 'EUR'] as const;

export interface FixtureUser {
  index: number;
  id: string;
  email: string;
  password: string;
  token: string;
  wallets: Record<(typeof CURRENCIES)[number], string>;
  cards: { active: string; declined: string };
  notifications: string[];
}

export interface FixturePayment {
  id: string;
  sender: number;
  receiver: number;
}

/** Every kind of token an input may present; each names (or forges) one fixture user. */
export const TOKEN_KINDS = [
  'valid',
  'expired',
  'forged',
  'alg-none',
  'wrong-audience',
  'unknown-user',
  'operator-forged',
  'operator-alg-none',
  'garbage',
  'missing',
  'not-bearer',
  'huge',
  'duplicated',
] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** What an input's Authorization header is, and who (if anyone) the platform should take it for. */
export interface Credentials {
  authorization: string | string[] | undefined;
  /** The fixture user a valid token belongs to; undefined for every other kind. */
  caller: string | undefined;
  /** Any token the gateway should accept (a valid one, or a validly signed one for a user who does not exist). */
  accepted: boolean;
}

export class Fixtures {
  readonly users: FixtureUser[];
  readonly payments: FixturePayment[];
  readonly privacy = new Privacy();
  private readonly tokens = new Map<string, string>();

  private constructor(users: FixtureUser[], payments: FixturePayment[]) {
    this.users = users;
    this.payments = payments;
    for (const user of users) {
      this.privacy.add(user.email, user.id);
      for (const wallet of Object.values(user.wallets)) this.privacy.addWallet(wallet, user.id);
      this.privacy.add(user.cards.active, user.id);
      this.privacy.add(user.cards.declined, user.id);
      for (const notification of user.notifications) this.privacy.add(notification, user.id);
    }
    for (const payment of payments) {
      const sender = users[payment.sender]!.id;
      const receiver = users[payment.receiver]!.id;
      this.privacy.add(payment.id, sender, receiver);
      this.privacy.counterparties(sender, receiver);
    }
  }

  user(index: number): FixtureUser {
    return this.users[((index % this.users.length) + this.users.length) % this.users.length]!;
  }

  isGrpcUser(userId: string): boolean {
    return this.users.findIndex((u) => u.id === userId) >= REST_USERS;
  }

  byId(userId: string): FixtureUser | undefined {
    return this.users.find((u) => u.id === userId);
  }

  /** The Authorization header for a kind of token naming user `index`. */
  credentials(kind: TokenKind, index: number): Credentials {
    const user = this.user(index);
    const bearer = (token: string) => `Bearer ${token}`;
    const named = (name: string) => this.tokens.get(`${name}:${user.index}`)!;
    switch (kind) {
      case 'valid':
        return { authorization: bearer(user.token), caller: user.id, accepted: true };
      case 'unknown-user':
        return { authorization: bearer(this.tokens.get('unknown-user')!), caller: undefined, accepted: true };
      case 'missing':
        return { authorization: undefined, caller: undefined, accepted: false };
      case 'not-bearer':
        return { authorization: `Basic ${Buffer.from(`${user.email}:${user.password}`).toString('base64')}`, caller: undefined, accepted: false };
      case 'garbage':
        return { authorization: bearer(`${user.token.slice(0, -4)}AAAA`), caller: undefined, accepted: false };
      case 'huge':
        return { authorization: bearer(`${user.token}.${'A'.repeat(20_000)}`), caller: undefined, accepted: false };
      case 'duplicated':
        // Two Authorization headers, this user's token first and another's second: Node keeps the first of a
        // repeated Authorization header and drops the rest, so the request is this user's (and its sender holds both tokens).
        return { authorization: [bearer(user.token), bearer(this.user(index + 1).token)], caller: user.id, accepted: true };
      default:
        return { authorization: bearer(named(kind)), caller: undefined, accepted: false };
    }
  }

  /** Users, cards, wallets and payments through the public API, then tokens of every kind. */
  static async create(gatewayUrl: string, jwtSecret: string): Promise<Fixtures> {
    const users: FixtureUser[] = [];
    const clients: ApiClient[] = [];
    for (let index = 0; index < REST_USERS + GRPC_USERS; index++) {
      const { client, user, email, password } = await ApiClient.signUp(gatewayUrl, { email: `fuzz-${index}-${randomUUID().slice(0, 8)}@example.com`, first_name: `Fuzz${index}` });
      const { walletId: usd, methodId } = await client.fund('1000000.00', 'USD');
      const eur = await client.post('/v1/wallets', { currency: 'EUR' });
      if (eur.status !== 201) throw new Error(`opening a EUR wallet failed: ${eur.status} ${JSON.stringify(eur.body)}`);
      const topUp = await client.post(`/v1/wallets/${eur.body.id}/top-ups`, { amount: '1000.00', currency: 'EUR', payment_method_id: methodId });
      if (topUp.status !== 201) throw new Error(`EUR top-up failed: ${topUp.status} ${JSON.stringify(topUp.body)}`);
      const declined = await client.request('POST', '/v1/payment-methods', { number: '4000000000000002', exp_month: 12, exp_year: new Date().getFullYear() + 3 });
      if (declined.status !== 201) throw new Error(`adding a declined card failed: ${declined.status} ${JSON.stringify(declined.body)}`);
      users.push({ index, id: user.id, email, password, token: client.token!, wallets: { USD: usd, EUR: eur.body.id }, cards: { active: methodId, declined: declined.body.id }, notifications: [] });
      clients.push(client);
    }

    // Payments in both currencies, one that fails (more than the sender has), each settled.
    const plan: Array<[number, number, string, string]> = [
      [0, 1, '10.00', 'USD'],
      [1, 0, '3.00', 'EUR'],
      [2, 3, '7.50', 'USD'],
      [3, 2, '5000.00', 'EUR'],
      [4, 0, '1.25', 'USD'],
      [1, 5, '2.00', 'EUR'],
    ];
    const payments: FixturePayment[] = [];
    for (const [sender, receiver, amount, currency] of plan) {
      const accepted = await clients[sender]!.post('/v1/payments', { receiver_id: users[receiver]!.id, amount, currency, note: 'fuzz fixture' });
      if (accepted.status !== 202) throw new Error(`a fixture payment was refused: ${accepted.status} ${JSON.stringify(accepted.body)}`);
      payments.push({ id: accepted.body.id, sender, receiver });
    }
    for (const payment of payments) await clients[payment.sender]!.settled(payment.id);

    // Every settled payment is told to its parties; their notifications are what inputs reach for.
    for (const user of users) {
      const expected = 1 + payments.filter((p) => p.sender === user.index || p.receiver === user.index).length;
      const deadline = Date.now() + 30_000;
      for (;;) {
        const listed = await clients[user.index]!.get('/v1/notifications');
        const notifications = (listed.body.notifications ?? []) as Array<{ id: string }>;
        if (notifications.length >= expected || Date.now() > deadline) {
          user.notifications = notifications.map((n) => n.id);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    const fixtures = new Fixtures(users, payments);
    await fixtures.mintTokens(jwtSecret);
    return fixtures;
  }

  /** Tokens the gateway must refuse (expired, forged, unsigned, for another audience) and one it must accept for a user who does not exist. */
  private async mintTokens(jwtSecret: string): Promise<void> {
    const secret = new TextEncoder().encode(jwtSecret);
    const wrongSecret = new TextEncoder().encode(`not-${jwtSecret}`);
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>, key: Uint8Array, subject: string, options: { audience?: string; exp?: number } = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(subject)
        .setIssuer('paymesh')
        .setAudience(options.audience ?? 'paymesh-api')
        .setJti(randomUUID())
        .setIssuedAt(now - 3600)
        .setExpirationTime(options.exp ?? now + 86_400)
        .sign(key);
    const unsigned = (claims: Record<string, unknown>) =>
      `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    for (const user of this.users) {
      const claims = { sub: user.id, iss: 'paymesh', aud: 'paymesh-api', exp: now + 86_400, iat: now, role: 'user' };
      this.tokens.set(`expired:${user.index}`, await sign({ role: 'user' }, secret, user.id, { exp: now - 60 }));
      this.tokens.set(`forged:${user.index}`, await sign({ role: 'user' }, wrongSecret, user.id));
      this.tokens.set(`wrong-audience:${user.index}`, await sign({ role: 'user' }, secret, user.id, { audience: 'another-api' }));
      this.tokens.set(`alg-none:${user.index}`, unsigned(claims));
      this.tokens.set(`operator-forged:${user.index}`, await sign({ role: 'operator' }, wrongSecret, user.id));
      this.tokens.set(`operator-alg-none:${user.index}`, unsigned({ ...claims, role: 'operator' }));
    }
    this.tokens.set('unknown-user', await sign({ role: 'user' }, secret, randomUUID()));
  }
}
