import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { TRANSACTION_EVENTS, type TransactionEventDetail } from '../../../contracts/events.ts';
import { callerHeaders } from '../../../federation/caller.ts';
import { openDatabase, sql, type DatabaseConfig } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrate.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { buildTransactionService } from '../app.ts';
import { openTransactionDatabase } from '../database.ts';
import { transactionMigrations } from '../migrations/index.ts';
import { recordTransactionEvent } from '../record.ts';

/*
 * The transaction subgraph on the transaction service's own HTTP app, with
 * records written by the service's own event handler, asked as the gateway
 * asks: root fields and entity references with the caller in the headers.
 */

const silent = pino({ level: 'silent' });
/** The service as main.ts runs it, without its consumer: these tests write the records themselves. */
interface TransactionService {
  address: string;
  database: Awaited<ReturnType<typeof openTransactionDatabase>>;
}

/** A SQLite file in a fresh directory, removed after the test (after hooks run first-registered first, so after the service stops). */
async function sqliteService(t: TestContext, before?: (file: string) => Promise<void>): Promise<TransactionService> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-transaction-graphql-'));
  const file = path.join(dir, 'transaction.db');
  try {
    await before?.(file);
    return await startService(t, { kind: 'sqlite', file });
  } finally {
    t.after(() => rmSync(dir, { recursive: true, force: true }));
  }
}

async function startService(t: TestContext, config: DatabaseConfig): Promise<TransactionService> {
  const database = await openTransactionDatabase(config);
  const app = buildTransactionService({ database, log: silent });
  t.after(async () => {
    await app.close();
    await database.close();
  });
  return { address: await app.listen({ host: '127.0.0.1', port: 0 }), database };
}

async function ask(service: TransactionService, query: string, variables: Record<string, unknown>, callerId?: string) {
  const response = await fetch(`${service.address}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(callerId ? callerHeaders({ userId: callerId, role: 'user' }) : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

interface Party {
  id: string;
  walletId: string;
}

const party = (): Party => ({ id: randomUUID(), walletId: randomUUID() });

function detail(from: Party, to: Party, minor: bigint, status: string, at: string, overrides: Partial<TransactionEventDetail> = {}): TransactionEventDetail {
  const id = overrides.transaction_id ?? randomUUID();
  return {
    transaction_id: id,
    saga_id: id,
    sender_id: from.id,
    receiver_id: to.id,
    amount: Number(minor) / 100,
    amount_minor: minor.toString(),
    currency: 'USD',
    status,
    timestamp: at,
    sender_wallet_id: from.walletId,
    receiver_wallet_id: to.walletId,
    ...overrides,
  };
}

async function record(db: Kysely<any>, event: TransactionEventDetail, detailType: string = TRANSACTION_EVENTS.completed): Promise<string> {
  await recordTransactionEvent(db, randomUUID(), detailType, event);
  return event.transaction_id;
}

const WALLET_TRANSACTIONS = `query ($reps: [_Any!]!, $limit: Int) { _entities(representations: $reps) { ... on Wallet {
  transactions(limit: $limit) { id amountMinor direction senderWalletId receiverWalletId } } } }`;

for (const target of await testDatabases()) {
  test(`the transaction subgraph (${target.name})`, { skip: target.skip }, async (t) => {
    const database = await target.create();
    // Registered after the service's stop, so it runs after it.
    const service = await startService(t, database.config);
    t.after(() => database.cleanup());
    const db = service.database.db;
    const alice = party();
    const bob = party();
    const carol = party();
    const first = await record(db, detail(alice, bob, 1000n, 'completed', '2026-01-01T10:00:00.000Z'));
    const second = await record(db, detail(bob, alice, 250n, 'completed', '2026-01-01T11:00:00.000Z'));
    const third = await record(db, detail(alice, carol, 75n, 'completed', '2026-01-01T12:00:00.000Z'));

    await t.test('a wallet lists the payments its caller made or received through it, newest first', async () => {
      const body = await ask(service, WALLET_TRANSACTIONS, { reps: [{ __typename: 'Wallet', id: alice.walletId }] }, alice.id);
      assert.equal(body.errors, undefined);
      assert.deepEqual(body.data._entities[0].transactions, [
        { id: third, amountMinor: '75', direction: 'SENT', senderWalletId: alice.walletId, receiverWalletId: carol.walletId },
        { id: second, amountMinor: '250', direction: 'RECEIVED', senderWalletId: bob.walletId, receiverWalletId: alice.walletId },
        { id: first, amountMinor: '1000', direction: 'SENT', senderWalletId: alice.walletId, receiverWalletId: bob.walletId },
      ]);
      const limited = await ask(service, WALLET_TRANSACTIONS, { reps: [{ __typename: 'Wallet', id: alice.walletId }], limit: 1 }, alice.id);
      assert.deepEqual(limited.data._entities[0].transactions.map((x: { id: string }) => x.id), [third]);
    });

    await t.test("someone else's wallet id lists nothing, even one that paid the caller", async () => {
      const body = await ask(service, WALLET_TRANSACTIONS, { reps: [{ __typename: 'Wallet', id: bob.walletId }, { __typename: 'Wallet', id: carol.walletId }] }, alice.id);
      assert.equal(body.errors, undefined);
      assert.deepEqual(body.data._entities, [{ transactions: [] }, { transactions: [] }]);
    });

    await t.test('a page size outside 1..100 is BAD_USER_INPUT naming limit', async () => {
      for (const limit of [0, 101, -5]) {
        const body = await ask(service, WALLET_TRANSACTIONS, { reps: [{ __typename: 'Wallet', id: alice.walletId }], limit }, alice.id);
        assert.deepEqual(body.errors?.map((e) => e.extensions), [{ code: 'BAD_USER_INPUT', paymeshCode: 'INVALID_LIMIT', field: 'limit' }]);
      }
    });

    await t.test('transaction(id) answers its sender and receiver, and is null with NOT_FOUND for anyone else', async () => {
      const query = `query ($id: ID!) { transaction(id: $id) { id amount amountDecimal currency status direction createdAt updatedAt } }`;
      const asSender = await ask(service, query, { id: first }, alice.id);
      assert.deepEqual(asSender.data.transaction, {
        id: first, amount: 10, amountDecimal: '10.00', currency: 'USD', status: 'completed', direction: 'SENT', createdAt: '2026-01-01T10:00:00.000Z', updatedAt: '2026-01-01T10:00:00.000Z',
      });
      assert.equal((await ask(service, query, { id: first }, bob.id)).data.transaction.direction, 'RECEIVED');
      for (const id of [first, randomUUID(), 'x'.repeat(500)]) {
        const stranger = await ask(service, query, { id }, carol.id);
        assert.equal(stranger.data.transaction, null);
        assert.deepEqual(stranger.errors?.map((e) => e.extensions), [{ code: 'NOT_FOUND', paymeshCode: 'TRANSACTION_NOT_FOUND' }]);
      }
      const reference = await ask(service, `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Transaction { id } } }`, { reps: [{ __typename: 'Transaction', id: first }] }, carol.id);
      assert.deepEqual(reference.data._entities, [null]);
    });

    await t.test('a request that names no caller is UNAUTHENTICATED', async () => {
      const body = await ask(service, `query ($id: ID!) { transaction(id: $id) { id } }`, { id: first });
      assert.equal(body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    });

    await t.test('a failure inside the service is masked as an internal error', async (st) => {
      await sql`alter table transactions rename to transactions_elsewhere`.execute(db);
      st.after(() => sql`alter table transactions_elsewhere rename to transactions`.execute(db));
      const body = await ask(service, `query ($id: ID!) { transaction(id: $id) { id } }`, { id: first }, alice.id);
      assert.deepEqual(body.errors?.map((e) => [e.message, e.extensions?.code]), [['internal error', 'INTERNAL_SERVER_ERROR']]);
      assert.doesNotMatch(JSON.stringify(body), /no such table|does not exist|sqlite|select /i);
    });
  });
}

test('the record keeps the wallets a payment moved money between, taking them from a later event when the first lacked them', async (t) => {
  const service = await sqliteService(t);
  const db = service.database.db;
  const alice = party();
  const bob = party();
  const id = await record(db, detail(alice, bob, 500n, 'completed', '2026-01-02T00:00:00.000Z'));
  // Spread: node:sqlite rows have no prototype.
  assert.deepEqual(
    { ...(await db.selectFrom('transactions').select(['sender_wallet_id', 'receiver_wallet_id']).where('id', '=', id).executeTakeFirstOrThrow()) },
    { sender_wallet_id: alice.walletId, receiver_wallet_id: bob.walletId },
  );

  // A seed-style event carries no wallet ids; the saga's next event does.
  const seedStyle = detail(alice, bob, 700n, 'pending', '2026-01-02T01:00:00.000Z', { sender_wallet_id: undefined as unknown as string, receiver_wallet_id: undefined as unknown as string });
  await record(db, seedStyle, TRANSACTION_EVENTS.fundsReservationRequested);
  const withoutWallets = await db.selectFrom('transactions').select(['sender_wallet_id', 'receiver_wallet_id']).where('id', '=', seedStyle.transaction_id).executeTakeFirstOrThrow();
  assert.deepEqual({ ...withoutWallets }, { sender_wallet_id: null, receiver_wallet_id: null });
  await record(db, detail(alice, bob, 700n, 'completed', '2026-01-02T01:00:01.000Z', { transaction_id: seedStyle.transaction_id }));
  const completed = await db.selectFrom('transactions').select(['status', 'sender_wallet_id', 'receiver_wallet_id']).where('id', '=', seedStyle.transaction_id).executeTakeFirstOrThrow();
  assert.deepEqual({ ...completed }, { status: 'completed', sender_wallet_id: alice.walletId, receiver_wallet_id: bob.walletId });
});

test('migration 0003 adds wallet ids to an existing record; older rows keep null wallet ids and stay readable', async (t) => {
  const alice = randomUUID();
  const id = randomUUID();
  const service = await sqliteService(t, async (file) => {
    const before = await openDatabase<any>({ kind: 'sqlite', file });
    // The schema as it was before 0003: later migrations are left out too.
    const earlier = Object.fromEntries(Object.entries(transactionMigrations).filter(([name]) => name < '0003'));
    await migrateToLatest(before.db, earlier);
    await before.db
      .insertInto('transactions')
      .values({ id, sender_id: alice, receiver_id: randomUUID(), amount: 1234n, currency: 'EUR', status: 'completed', note: null, reason: null, created_at: '2025-12-31T00:00:00.000Z', updated_at: '2025-12-31T00:00:00.000Z' })
      .execute();
    await before.close();
  });

  const body = await ask(service, `query ($id: ID!) { transaction(id: $id) { amountMinor senderWalletId receiverWalletId senderWallet { id } } }`, { id }, alice);
  assert.equal(body.errors, undefined);
  assert.deepEqual(body.data.transaction, { amountMinor: '1234', senderWalletId: null, receiverWalletId: null, senderWallet: null });
});
