import { LRUCache } from 'lru-cache';
import type { UserClient, UserProfile } from '../../clients/user-client.ts';
import type { WalletClient } from '../../clients/wallet-client.ts';

/**
 * What the accept path looks up about a payment's parties, kept in memory
 * for a while: who the receiver is (by id or email) and which wallet each
 * party holds in the currency. None of it changes once it exists (users are
 * never deleted and keep their email; a user's wallet in a currency keeps its
 * id), so a hit is as good as a call, and a payment between parties seen
 * recently asks no other service anything. Only what was found is kept: a
 * user or a wallet that does not exist yet is asked for again next time.
 * Whether a wallet may pay or be paid is not cached: the reservation and the
 * capture ask the wallet itself, which refuses a suspended one.
 */
export class PartyLookups {
  private readonly users: UserClient;
  private readonly wallets: WalletClient;
  private readonly found: LRUCache<string, string | UserProfile>;

  constructor(users: UserClient, wallets: WalletClient, options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.users = users;
    this.wallets = wallets;
    this.found = new LRUCache({ max: options.maxEntries ?? 20_000, ttl: options.ttlMs ?? 10 * 60_000 });
  }

  /** The user with this id; rejects as the user service does for an unknown one. */
  user(id: string): Promise<UserProfile> {
    return this.remember(`user:${id}`, () => this.users.getUser(id)) as Promise<UserProfile>;
  }

  /** The user with this (lower-case) email, if any. */
  userByEmail(email: string): Promise<UserProfile | undefined> {
    return this.remember(`email:${email}`, () => this.users.findByEmail(email)) as Promise<UserProfile | undefined>;
  }

  /** The id of the user's wallet in the currency, if they have one. */
  walletOf(userId: string, currency: string): Promise<string | undefined> {
    return this.remember(`wallet:${userId}:${currency}`, async () => (await this.wallets.listWallets(userId)).find((w) => w.currency === currency)?.id) as Promise<string | undefined>;
  }

  private async remember<T extends string | UserProfile>(key: string, ask: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = this.found.get(key);
    if (hit !== undefined) return hit as T;
    const value = await ask();
    if (value !== undefined) this.found.set(key, value);
    return value;
  }
}
