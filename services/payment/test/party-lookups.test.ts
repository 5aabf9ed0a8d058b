import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UserClient, UserProfile } from '../../../clients/user-client.ts';
import type { WalletClient } from '../../../clients/wallet-client.ts';
import { notFound } from '../../../contracts/errors.ts';
import { PartyLookups } from '../party-lookups.ts';

/** In-process stand-ins for the user and wallet services, counting what they are asked. */
function services() {
  const asked: string[] = [];
  const users = new Map<string, UserProfile>([['u-bob', { id: 'u-bob', email: 'bob@example.com' } as UserProfile]]);
  const wallets = new Map<string, Array<{ id: string; currency: string }>>([['u-bob', [{ id: 'w-bob-usd', currency: 'USD' }]]]);
  const userClient = {
    getUser: async (id: string) => {
      asked.push(`user ${id}`);
      const user = users.get(id);
      if (!user) throw notFound('USER_NOT_FOUND', 'no such user');
      return user;
    },
    findByEmail: async (email: string) => {
      asked.push(`email ${email}`);
      return [...users.values()].find((u) => u.email === email);
    },
  } as unknown as UserClient;
  const walletClient = {
    listWallets: async (userId: string) => {
      asked.push(`wallets ${userId}`);
      return wallets.get(userId) ?? [];
    },
  } as unknown as WalletClient;
  return { asked, users, wallets, userClient, walletClient };
}

test('parties and wallets found once are answered from memory; what was not found is asked again', async () => {
  const s = services();
  const lookups = new PartyLookups(s.userClient, s.walletClient);
  for (let i = 0; i < 3; i++) {
    assert.equal((await lookups.user('u-bob')).id, 'u-bob');
    assert.equal((await lookups.userByEmail('bob@example.com'))?.id, 'u-bob');
    assert.equal(await lookups.walletOf('u-bob', 'USD'), 'w-bob-usd');
  }
  assert.deepEqual(s.asked, ['user u-bob', 'email bob@example.com', 'wallets u-bob'], 'each asked once');

  // Not there yet: asked every time, and found once it exists.
  assert.equal(await lookups.walletOf('u-bob', 'EUR'), undefined);
  s.wallets.set('u-bob', [...s.wallets.get('u-bob')!, { id: 'w-bob-eur', currency: 'EUR' }]);
  assert.equal(await lookups.walletOf('u-bob', 'EUR'), 'w-bob-eur');
  await assert.rejects(lookups.user('u-carol'), (err: { code?: string }) => err.code === 'USER_NOT_FOUND');
  s.users.set('u-carol', { id: 'u-carol', email: 'carol@example.com' } as UserProfile);
  assert.equal((await lookups.user('u-carol')).id, 'u-carol');
});

test('entries expire after their time and the oldest leave first when the memory is full', async () => {
  const s = services();
  const lookups = new PartyLookups(s.userClient, s.walletClient, { ttlMs: 30, maxEntries: 2 });
  await lookups.user('u-bob');
  await new Promise((resolve) => setTimeout(resolve, 40));
  await lookups.user('u-bob');
  assert.equal(s.asked.filter((a) => a === 'user u-bob').length, 2, 'asked again once expired');

  const bounded = new PartyLookups(s.userClient, s.walletClient, { maxEntries: 2 });
  await bounded.user('u-bob');
  await bounded.walletOf('u-bob', 'USD');
  await bounded.userByEmail('bob@example.com');
  s.asked.length = 0;
  await bounded.user('u-bob');
  assert.deepEqual(s.asked, ['user u-bob'], 'the oldest entry made room');
});
