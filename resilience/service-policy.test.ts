import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { WalletClient } from '../clients/wallet-client.ts';
import { isPayMeshError } from '../contracts/errors.ts';
import { startTestWallet } from '../services/wallet/test/support.ts';
import { testDatabases } from '../test/support/databases.ts';
import { breakerSnapshots } from './service-policy.ts';

const [sqlite] = await testDatabases();

const rejectsWith = (code: string) => (err: unknown) => isPayMeshError(err) && err.code === code;

test('the wallet client breaker opens after three failures, fails fast, and closes once the service is back', async (t) => {
  const { config, cleanup } = await sqlite!.create();
  t.after(cleanup);
  let wallet = await startTestWallet(config);
  const port = Number(wallet.address.split(':')[1]);
  const client = new WalletClient(wallet.address, { timeoutMs: 1000, halfOpenAfterMs: 400 });
  t.after(() => client.close());

  const opened = await client.openWallet(`breaker-${randomUUID()}`, 'USD', randomUUID());
  assert.equal(client.policy.state, 'closed');

  // A refused request is the caller's problem, not the service's: the breaker stays closed.
  for (let i = 0; i < 4; i++) await assert.rejects(client.getBalance(randomUUID()), rejectsWith('WALLET_NOT_FOUND'));
  assert.equal(client.policy.state, 'closed');

  await wallet.stop();
  for (let i = 0; i < 3 && client.policy.state === 'closed'; i++) {
    await assert.rejects(client.getBalance(opened.id), rejectsWith('SERVICE_UNAVAILABLE'));
  }
  assert.equal(client.policy.state, 'open');
  const started = Date.now();
  await assert.rejects(client.getBalance(opened.id), (err) => rejectsWith('SERVICE_UNAVAILABLE')(err) && /circuit breaker open/.test((err as Error).message));
  assert.ok(Date.now() - started < 200, 'an open breaker fails fast');
  assert.equal(breakerSnapshots().find((b) => b.target === 'wallet-service')?.state, 'open');

  wallet = await startTestWallet(config, { port });
  t.after(() => wallet.stop());
  // Half-open after 400 ms: the first call that reaches the restarted service closes the breaker.
  let balance;
  for (const deadline = Date.now() + 10_000; !balance && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    balance = await client.getBalance(opened.id).catch(() => undefined);
  }
  assert.equal(balance?.balance_minor, '0');
  assert.equal(client.policy.state, 'closed');
});
