import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { TRANSACTION_EVENTS, type TransactionEventDetail } from '../../../contracts/events.ts';
import { openDatabase } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrate.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { recordTransactionEvent } from '../record.ts';
import { transactionMigrations, type TransactionSchema } from '../schema.ts';

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
  });
}
