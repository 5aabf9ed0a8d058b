import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { callerHeaders } from '../../../federation/caller.ts';
import { sql } from '../../../storage/database.ts';
import { walletConfigFromEnv } from '../config.ts';
import { startWalletService, type WalletService } from '../server.ts';
import { silentLog } from './support.ts';

/*
 * The wallet subgraph on its own HTTP listener, asked as the gateway asks:
 * entity references with the caller in the internal headers.
 */

async function startWallet(t: TestContext): Promise<WalletService> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-wallet-graphql-'));
  const service = await startWalletService(
    {
      host: '127.0.0.1',
      port: 0,
      database: { kind: 'sqlite', file: path.join(dir, 'wallet.db') },
      holdTtlSeconds: 900,
      holdSweepIntervalMs: 60_000,
      graphql: { host: '127.0.0.1', port: 0 },
    },
    silentLog,
  );
  // After hooks run first-registered first: the service stops before its directory goes.
  t.after(async () => {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return service;
}

async function ask(service: WalletService, query: string, variables: Record<string, unknown>, callerId?: string) {
  const response = await fetch(`${service.graphqlAddress}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(callerId ? callerHeaders({ userId: callerId, role: 'user' }) : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } };
}

const USER_WALLETS = `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { wallets {
  id currency balance balanceDecimal balanceMinor available availableMinor frozen frozenMinor createdAt } } } }`;
const WALLET = `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Wallet { id currency balanceMinor } } }`;

test('the wallet subgraph', async (t) => {
  const service = await startWallet(t);
  const alice = randomUUID();
  const bob = randomUUID();
  const usd = await service.ledger.openWallet({ userId: alice, currency: 'USD' });
  const jpy = await service.ledger.openWallet({ userId: alice, currency: 'JPY' });
  const bobs = await service.ledger.openWallet({ userId: bob, currency: 'USD' });
  await service.ledger.updateBalance({ walletId: usd.id, amount: { minor: 12_345n }, idempotencyKey: `fund-${alice}` });
  await service.ledger.updateBalance({ walletId: jpy.id, amount: { minor: 500n }, idempotencyKey: `fund-jpy-${alice}` });
  await service.ledger.reserve({ walletId: usd.id, amount: { minor: 2_000n }, idempotencyKey: `hold-${alice}` });

  await t.test("User.wallets lists the caller's own wallets with exact balances beside the seed float", async () => {
    const { body } = await ask(service, USER_WALLETS, { reps: [{ __typename: 'User', id: alice }] }, alice);
    assert.equal(body.errors, undefined);
    const wallets = body.data._entities[0].wallets.map((w: Record<string, unknown>) => ({ ...w, createdAt: typeof w.createdAt }));
    assert.deepEqual(wallets, [
      { id: jpy.id, currency: 'JPY', balance: 500, balanceDecimal: '500', balanceMinor: '500', available: '500', availableMinor: '500', frozen: '0', frozenMinor: '0', createdAt: 'string' },
      { id: usd.id, currency: 'USD', balance: 123.45, balanceDecimal: '123.45', balanceMinor: '12345', available: '103.45', availableMinor: '10345', frozen: '20.00', frozenMinor: '2000', createdAt: 'string' },
    ]);
  });

  await t.test("another user's wallets are an empty list, and their wallet by id is null", async () => {
    const listed = await ask(service, USER_WALLETS, { reps: [{ __typename: 'User', id: bob }] }, alice);
    assert.deepEqual(listed.body.data._entities, [{ wallets: [] }]);
    const byId = await ask(service, WALLET, { reps: [{ __typename: 'Wallet', id: bobs.id }, { __typename: 'Wallet', id: usd.id }] }, alice);
    assert.equal(byId.body.errors, undefined);
    assert.deepEqual(byId.body.data._entities, [null, { id: usd.id, currency: 'USD', balanceMinor: '12345' }]);
  });

  await t.test('an unknown or malformed wallet id reads as none', async () => {
    const { body } = await ask(service, WALLET, { reps: [{ __typename: 'Wallet', id: randomUUID() }, { __typename: 'Wallet', id: 'not-a-uuid' }] }, alice);
    assert.equal(body.errors, undefined);
    assert.deepEqual(body.data._entities, [null, null]);
  });

  await t.test('a request that names no caller is UNAUTHENTICATED', async () => {
    const { body } = await ask(service, USER_WALLETS, { reps: [{ __typename: 'User', id: alice }] });
    assert.equal(body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.doesNotMatch(JSON.stringify(body), new RegExp(usd.id));
  });

  await t.test('the subgraph serves its SDL for composition tooling, and the listener has health endpoints', async () => {
    const { body } = await ask(service, '{ _service { sdl } }', {});
    assert.match(body.data._service.sdl, /type Wallet/);
    assert.equal((await fetch(`${service.graphqlAddress}/readyz`)).status, 200);
  });

  await t.test('a failure inside the service is masked as an internal error', async (st) => {
    await sql`alter table wallets rename to wallets_elsewhere`.execute(service.database.db);
    st.after(() => sql`alter table wallets_elsewhere rename to wallets`.execute(service.database.db));
    const { body } = await ask(service, USER_WALLETS, { reps: [{ __typename: 'User', id: alice }] }, alice);
    assert.deepEqual(body.errors?.map((e) => [e.message, e.extensions?.code]), [['internal error', 'INTERNAL_SERVER_ERROR']]);
    assert.doesNotMatch(JSON.stringify(body), /no such table|sqlite|select /i);
  });
});

test('the GraphQL listener defaults to 127.0.0.1:8007, and to a free port beside an ephemeral gRPC port', () => {
  assert.deepEqual(walletConfigFromEnv({}).graphql, { host: '127.0.0.1', port: 8007 });
  assert.deepEqual(walletConfigFromEnv({ WALLET_GRPC_PORT: '0' }).graphql, { host: '127.0.0.1', port: 0 });
  assert.deepEqual(walletConfigFromEnv({ WALLET_GRAPHQL_HOST: '0.0.0.0', WALLET_GRAPHQL_PORT: '9100' }).graphql, { host: '0.0.0.0', port: 9100 });
  assert.throws(() => walletConfigFromEnv({ WALLET_GRAPHQL_PORT: '70000' }), /WALLET_GRAPHQL_PORT must be an integer from 0 to 65535/);
});
