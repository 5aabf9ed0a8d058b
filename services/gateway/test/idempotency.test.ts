import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { openDatabase } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrate.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { IdempotencyStore, requestHash } from '../idempotency.ts';
import { gatewayMigrations, type GatewaySchema } from '../migrations/index.ts';

const request = { method: 'POST', path: '/v1/payments', body: { amount: '1.00', currency: 'USD' } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const target of await testDatabases()) {
  describe(`Idempotency-Key records on ${target.name}`, { skip: target.skip }, () => {
    async function store(t: TestContext, lease = { leaseMs: 400, renewEveryMs: 100 }) {
      const created = await target.create();
      const database = await openDatabase<GatewaySchema>(created.config);
      t.after(async () => {
        await database.close();
        await created.cleanup();
      });
      await migrateToLatest(database.db, gatewayMigrations);
      return { idempotency: new IdempotencyStore(database.db, lease), db: database.db };
    }

    test('a request that runs longer than the lease keeps its key: a retry meanwhile is told it is still in progress', async (t) => {
      const { idempotency } = await store(t);
      let finish!: () => void;
      const first = idempotency.run('user-1', 'key-long-running', request, () => new Promise((resolve) => (finish = () => resolve({ status: 202, body: { id: 'p-1' } }))));
      await sleep(1000);
      await assert.rejects(
        idempotency.run('user-1', 'key-long-running', request, async () => ({ status: 202, body: { id: 'p-2' } })),
        (err: { code?: string }) => err.code === 'IDEMPOTENCY_REQUEST_IN_PROGRESS',
      );
      finish();
      assert.deepEqual(await first, { status: 202, body: { id: 'p-1' }, replayed: false });
      assert.deepEqual(await idempotency.run('user-1', 'key-long-running', request, async () => ({ status: 202, body: { id: 'p-3' } })), {
        status: 202,
        body: { id: 'p-1' },
        replayed: true,
      });
    });

    test('a key left in progress by a gateway that crashed is taken over by the retry once its lease ran out', async (t) => {
      const { idempotency, db } = await store(t);
      // What a crashed gateway leaves behind: the claim, never renewed, never completed.
      const claimedAt = new Date(Date.now() - 500).toISOString();
      await db
        .insertInto('idempotency_requests')
        .values({ user_id: 'user-1', key: 'key-orphaned', request_hash: requestHash(request), state: 'in_progress', status_code: null, response_body: null, created_at: claimedAt, updated_at: claimedAt })
        .execute();
      const retried = await idempotency.run('user-1', 'key-orphaned', request, async () => ({ status: 202, body: { id: 'p-1' } }));
      assert.deepEqual(retried, { status: 202, body: { id: 'p-1' }, replayed: false });
    });

    test('two retries racing for an orphaned key: one takes it over, the other is told it is in progress', async (t) => {
      const { idempotency, db } = await store(t);
      const claimedAt = new Date(Date.now() - 500).toISOString();
      await db
        .insertInto('idempotency_requests')
        .values({ user_id: 'user-1', key: 'key-raced', request_hash: requestHash(request), state: 'in_progress', status_code: null, response_body: null, created_at: claimedAt, updated_at: claimedAt })
        .execute();
      let runs = 0;
      const work = async () => {
        runs++;
        await sleep(50);
        return { status: 202, body: { id: 'p-1' } };
      };
      const results = await Promise.allSettled([idempotency.run('user-1', 'key-raced', request, work), idempotency.run('user-1', 'key-raced', request, work)]);
      assert.equal(runs, 1, 'the work ran once');
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(refused?.reason.code, 'IDEMPOTENCY_REQUEST_IN_PROGRESS');
    });
  });
}
