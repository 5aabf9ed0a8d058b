import fc from 'fast-check';
import { CURRENCIES, REST_USERS, type Fixtures } from './fixtures.ts';

/**
 * A reference in an input to something of the running platform: a fixture
 * user's id, email, wallet, card, payment or notification. Inputs hold
 * references, not values, so they can be drawn before the platform exists;
 * `who` is 'self' (the user the input's token names) or a fixture user.
 */
export type Who = 'self' | number;
export type Ref =
  | { ref: 'user-id'; who: Who }
  | { ref: 'email'; who: Who; variant: 'as-is' | 'upper' | 'padded' }
  | { ref: 'password'; who: Who }
  | { ref: 'wallet'; who: Who; currency: (typeof CURRENCIES)[number] }
  | { ref: 'card'; who: Who; declined: boolean }
  | { ref: 'payment'; n: number }
  | { ref: 'notification'; who: Who; n: number }
  | { ref: 'uuid'; n: number };

/** How a reference sits inside a JSON value: an object with this one key. */
export const REF_KEY = '$fuzzRef';
export type Reffed = { [REF_KEY]: Ref };

export const ref = (r: Ref): Reffed => ({ [REF_KEY]: r });

/** Self, mostly; otherwise any fixture user (another's data is the point). */
export const who: fc.Arbitrary<Who> = fc.oneof({ weight: 3, arbitrary: fc.constant('self' as const) }, { weight: 2, arbitrary: fc.nat(REST_USERS + 1) });

export const refs = {
  userId: who.map((w) => ref({ ref: 'user-id', who: w })),
  email: fc.tuple(who, fc.constantFrom('as-is', 'as-is', 'upper', 'padded') as fc.Arbitrary<'as-is' | 'upper' | 'padded'>).map(([w, variant]) => ref({ ref: 'email', who: w, variant })),
  password: who.map((w) => ref({ ref: 'password', who: w })),
  wallet: fc.tuple(who, fc.constantFrom(...CURRENCIES)).map(([w, currency]) => ref({ ref: 'wallet', who: w, currency })),
  card: fc.tuple(who, fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })).map(([w, declined]) => ref({ ref: 'card', who: w, declined })),
  payment: fc.nat(7).map((n) => ref({ ref: 'payment', n })),
  notification: fc.tuple(who, fc.nat(7)).map(([w, n]) => ref({ ref: 'notification', who: w, n })),
  uuid: fc.nat(1000).map((n) => ref({ ref: 'uuid', n })),
};

/** What resolving an input's references used: whose data each was, so a judge can tell "another's". */
export interface Resolution<T> {
  value: T;
  /** Per kind of reference, the fixture users whose data it named (a payment names both parties); a declined card is also `declined-card`. */
  owners: Array<{ kind: Ref['ref'] | 'declined-card'; users: string[] }>;
}

/**
 * Replaces every reference in `value` by what it names. `self` is the
 * fixture user `selfIndex` (the user an input's token is for, valid or not).
 */
export function resolveRefs<T>(value: T, fixtures: Fixtures, selfIndex: number): Resolution<T> {
  const owners: Resolution<T>['owners'] = [];
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    if (Object.hasOwn(node, REF_KEY)) return one((node as Reffed)[REF_KEY]);
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) {
      // defineProperty: a key such as __proto__ stays an own key, as in the JSON sent.
      Object.defineProperty(out, key, { value: walk(child), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  const one = (r: Ref): string => {
    const user = r.ref === 'payment' || r.ref === 'uuid' ? undefined : fixtures.user(r.who === 'self' ? selfIndex : r.who);
    switch (r.ref) {
      case 'user-id':
        return user!.id;
      case 'email':
        owners.push({ kind: 'email', users: [user!.id] });
        return r.variant === 'upper' ? user!.email.toUpperCase() : r.variant === 'padded' ? ` ${user!.email} ` : user!.email;
      case 'password':
        return user!.password;
      case 'wallet':
        owners.push({ kind: 'wallet', users: [user!.id] });
        return user!.wallets[r.currency];
      case 'card':
        owners.push({ kind: 'card', users: [user!.id] });
        if (r.declined) owners.push({ kind: 'declined-card', users: [] });
        return r.declined ? user!.cards.declined : user!.cards.active;
      case 'notification': {
        owners.push({ kind: 'notification', users: [user!.id] });
        return user!.notifications[r.n % Math.max(1, user!.notifications.length)] ?? '00000000-0000-4000-8000-000000000000';
      }
      case 'payment': {
        const payment = fixtures.payments[r.n % fixtures.payments.length]!;
        owners.push({ kind: 'payment', users: [fixtures.user(payment.sender).id, fixtures.user(payment.receiver).id] });
        return payment.id;
      }
      case 'uuid':
        return `00000000-0000-4000-8000-${r.n.toString(16).padStart(12, '0')}`;
    }
  };
  return { value: walk(value) as T, owners };
}

/** Whether a resolution named data of a kind that `caller` does not own. */
export function namesOthers(resolution: Resolution<unknown>, kind: Ref['ref'] | 'declined-card', caller: string | undefined): boolean {
  return resolution.owners.some((o) => o.kind === kind && (caller === undefined || !o.users.includes(caller)));
}
