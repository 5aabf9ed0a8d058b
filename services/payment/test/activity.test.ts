import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import pino from 'pino';
import { createHttpApp } from '../../../core/http-app.ts';
import { openDatabase } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrate.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { paymentMigrations } from '../migrations/index.ts';
import { paymentActivityRoutes } from '../routes-activity.ts';
import type { PaymentSchema, PaymentStatus } from '../schema.ts';

const NOW = new Date('2030-06-15T12:00:02.300Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

for (const target of await testDatabases()) {
  describe(`the payments activity on ${target.name}`, { skip: target.skip }, () => {
    test('payments accepted per second and sagas ended per whole interval, counted from the shared payments table', async (t) => {
      const created = await target.create();
      const database = await openDatabase<PaymentSchema>(created.config);
      t.after(async () => {
        await database.close();
        await created.cleanup();
      });
      await migrateToLatest(database.db, paymentMigrations);
      const app = createHttpApp({ log: pino({ level: 'silent' }) });
      paymentActivityRoutes(app, { db: database.db, now: () => NOW });
      t.after(() => app.close());

      const insert = async (status: PaymentStatus, createdSecondsAgo: number, endedSecondsAgo: number, acceptedBy: string) =>
        database.db
          .insertInto('payments')
          .values({
            id: randomUUID(), sender_id: 'alice', receiver_id: 'bob', sender_wallet_id: 'w-a', receiver_wallet_id: 'w-b', amount: 100n, currency: 'USD',
            note: null, status, failure_reason: null, hold_id: null, idempotency_key: randomUUID(), accepted_by: acceptedBy,
            created_at: ago(createdSecondsAgo), updated_at: ago(endedSecondsAgo),
          })
          .execute();
      // The last whole 5-second interval is 11:59:55–12:00:00; the one under way (12:00:00–12:00:02.3) is left out.
      for (let i = 0; i < 10; i++) await insert('completed', 4, 3, i % 2 ? 'v1' : 'v2'); // accepted 11:59:58.3, ended 11:59:59.3
      await insert('failed', 7, 6, 'v1'); // accepted 11:59:55.3, ended 11:59:56.3
      await insert('processing', 1, 1, 'v1'); // in the interval under way: not counted yet
      await insert('completed', 3600, 3600, 'v1'); // long before the window

      const response = await app.inject({ method: 'GET', url: '/admin/activity?minutes=1&interval_seconds=5' });
      assert.equal(response.statusCode, 200, response.body);
      const view = response.json() as { interval_seconds: number; samples: Array<{ at: string; payments_per_second: number; completed: number; failed: number }> };
      assert.equal(view.interval_seconds, 5);
      assert.equal(view.samples.length, 12, 'a minute of 5-second intervals');
      assert.equal(view.samples.at(-1)!.at, '2030-06-15T12:00:00.000Z');
      assert.deepEqual(view.samples.at(-1), { at: '2030-06-15T12:00:00.000Z', payments_per_second: 2.2, completed: 10, failed: 1 }, 'both deployments counted');
      for (const sample of view.samples.slice(0, -1)) assert.deepEqual([sample.payments_per_second, sample.completed, sample.failed], [0, 0, 0], sample.at);

      const refused = await app.inject({ method: 'GET', url: '/admin/activity?minutes=0' });
      assert.equal(refused.statusCode, 400);
    });
  });
}
