import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { TRANSACTION_EVENTS, type TransactionEventDetail } from '../../../contracts/events.ts';
import { openDatabase } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrate.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { transactionMigrations } from '../migrations/index.ts';
import { recordTransactionEvent } from '../record.ts';
import type { TransactionSchema } from '../schema.ts';

function detail(id: string, status: string): TransactionEventDetail {
  return {
    transaction_id: id,
    saga_id: id,
    sender_id: 'alice',
    receiver_id: 'bob',
    amount: 1.25,
    amount_minor: '125',
    currency: 'USD',
    status,
    timestamp: new Date().toISOString(),
    sender_wallet_id: 'wallet-a',
    receiver_wallet_id: 'wallet-b',
  };
}

/** As the queue consumer does it: an event whose handling fails (a lost race) is delivered again. */
async function deliver(db: Parameters<typeof recordTransactionEvent>[0], eventId: string, detailType: string, event: TransactionEventDetail): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await recordTransactionEvent(db, eventId, detailType, event);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
}

for (const target of await testDatabases()) {
  describe(`the transaction record on ${target.name}`, { skip: target.skip }, () => {
    async function database(t: TestContext) {
      const created = await target.create();
      const opened = await openDatabase<TransactionSchema>(created.config);
      t.after(async () => {
        await opened.close();
        await created.cleanup();
      });
      await migrateToLatest(opened.db, transactionMigrations);
      return opened.db;
    }

    test('events of one payment handled at the same time leave its record at the furthest status, never an earlier one', async (t) => {
      const db = await database(t);
      const ids = Array.from({ length: 20 }, () => randomUUID());
      // Compensation publishes funds_released and failed together; a consumer handles them side by side.
      await Promise.all(ids.map((id) => deliver(db, randomUUID(), TRANSACTION_EVENTS.fundsReleaseRequested, detail(id, 'compensating'))));
      await Promise.all(
        ids.flatMap((id) => [
          deliver(db, randomUUID(), TRANSACTION_EVENTS.fundsReleased, detail(id, 'funds_released')),
          deliver(db, randomUUID(), TRANSACTION_EVENTS.failed, detail(id, 'failed')),
        ]),
      );
      // A late funds_reserved (redelivered after an outage) arriving with the completion, before the record exists.
      const late = Array.from({ length: 20 }, () => randomUUID());
      await Promise.all(
        late.flatMap((id) => [
          deliver(db, randomUUID(), TRANSACTION_EVENTS.fundsReserved, detail(id, 'funds_reserved')),
          deliver(db, randomUUID(), TRANSACTION_EVENTS.completed, detail(id, 'completed')),
        ]),
      );
      const rows = await db.selectFrom('transactions').select(['id', 'status']).execute();
      const status = new Map(rows.map((r) => [r.id, r.status]));
      assert.deepEqual(ids.map((id) => status.get(id)), ids.map(() => 'failed'));
      assert.deepEqual(late.map((id) => status.get(id)), late.map(() => 'completed'));
    });

    test('a later event fills in the wallet ids a seed-style event lacked, and an earlier status never overwrites a later one', async (t) => {
      const db = await database(t);
      const id = randomUUID();
      const seedStyle = { ...detail(id, 'funds_reserved'), sender_wallet_id: undefined, receiver_wallet_id: undefined, amount_minor: undefined, amount: 1.25 };
      await deliver(db, randomUUID(), TRANSACTION_EVENTS.fundsReserved, seedStyle as unknown as TransactionEventDetail);
      let row = await db.selectFrom('transactions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.sender_wallet_id, null);
      assert.equal(BigInt(row.amount), 125n);
      const reservedAt = row.updated_at;

      // A late, earlier event: wallet ids taken, status and time kept.
      await deliver(db, randomUUID(), TRANSACTION_EVENTS.fundsReservationRequested, { ...detail(id, 'reservation_requested'), timestamp: '2000-01-01T00:00:00.000Z' });
      row = await db.selectFrom('transactions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.deepEqual([row.status, row.updated_at, row.sender_wallet_id, row.receiver_wallet_id], ['funds_reserved', reservedAt, 'wallet-a', 'wallet-b']);

      // A later one with its reason moves it on; an end is final, and a wallet id once set is never replaced.
      await deliver(db, randomUUID(), TRANSACTION_EVENTS.failed, { ...detail(id, 'failed'), reason: 'RECEIVER_WALLET_FROZEN', sender_wallet_id: 'other' });
      await deliver(db, randomUUID(), TRANSACTION_EVENTS.completed, { ...detail(id, 'completed'), reason: 'late' });
      row = await db.selectFrom('transactions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.deepEqual([row.status, row.reason, row.sender_wallet_id], ['failed', 'RECEIVER_WALLET_FROZEN', 'wallet-a']);
      const events = await db.selectFrom('transaction_events').select('status').where('transaction_id', '=', id).execute();
      assert.equal(events.length, 4, 'every event is in the history, whatever it did to the record');
    });

    test('a record in a status this service does not know is overtaken by any event', async (t) => {
      const db = await database(t);
      const id = randomUUID();
      await deliver(db, randomUUID(), TRANSACTION_EVENTS.fundsReservationRequested, detail(id, 'SOMETHING_A_SEED_CLIENT_SENT'));
      await deliver(db, randomUUID(), TRANSACTION_EVENTS.fundsReserved, detail(id, 'pending'));
      const row = await db.selectFrom('transactions').select('status').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.status, 'pending');
    });
  });
}
