import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { openDatabase } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrate.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { IdempotencyStore } from '../idempotency.ts';
import { gatewayMigrations, type GatewaySchema } from '../migrations/index.ts';

const request = { method: 'POST', path: '/v1/payments', body: { amount: '1.00', currency: 'USD' } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const target of await testDatabases()) {
  describe(`Idempotency-Key records on ${target.name}`, { skip: target.skip }, () => {
    async function store(t: TestContext) {
      const created = await target.create();
      const database = await openDatabase<GatewaySchema>(created.config);
      t.after(async () => {
        await database.close();
        await created.cleanup();
      });
      await migrateToLatest(database.db, gatewayMigrations);
      return { idempotency: new IdempotencyStore(database), db: database.db, database };
    }

    test('a request still running keeps its key: a retry meanwhile is told it is in progress, and later gets the first response', async (t) => {
      const { idempotency } = await store(t);
      let finish!: () => void;
      const first = idempotency.run('user-1', 'key-long-running', request, () => new Promise((resolve) => (finish = () => resolve({ status: 202, body: { id: 'p-1' } }))));
      await sleep(50);
      await assert.rejects(
        idempotency.run('user-1', 'key-long-running', request, async () => ({ status: 202, body: { id: 'p-2' } })),
        (err: { code?: string }) => err.code === 'IDEMPOTENCY_REQUEST_IN_PROGRESS',
      );
      await assert.rejects(
        idempotency.run('user-1', 'key-long-running', { ...request, body: { amount: '2.00', currency: 'USD' } }, async () => ({ status: 202, body: {} })),
        (err: { code?: string }) => err.code === 'IDEMPOTENCY_KEY_REUSED',
        'another request under a key in use is refused as reused, not as in progress',
      );
      finish();
      assert.deepEqual(await first, { status: 202, body: { id: 'p-1' }, replayed: false });
      assert.deepEqual(await idempotency.run('user-1', 'key-long-running', request, async () => ({ status: 202, body: { id: 'p-3' } })), {
        status: 202,
        body: { id: 'p-1' },
        replayed: true,
      });
    });

    test('two requests racing with one key: the work runs once, the other is told it is in progress', async (t) => {
      const { idempotency } = await store(t);
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

    test('a failure of ours leaves no record, so the retry runs again; a refusal is an answer the retry gets again', async (t) => {
      const { idempotency, db } = await store(t);
      await assert.rejects(idempotency.run('user-1', 'key-outage', request, async () => Promise.reject(new Error('the payment service is down'))));
      assert.equal((await db.selectFrom('idempotency_requests').selectAll().execute()).length, 0);
      assert.deepEqual(await idempotency.run('user-1', 'key-outage', request, async () => ({ status: 202, body: { id: 'p-9' } })), { status: 202, body: { id: 'p-9' }, replayed: false });

      const { invalidArgument } = await import('../../../contracts/errors.ts');
      const refused = await idempotency.run('user-1', 'key-refused', request, async () => Promise.reject(invalidArgument('INVALID_AMOUNT', 'no', 'amount')));
      assert.equal(refused.status, 400);
      const again = await idempotency.run('user-1', 'key-refused', request, async () => ({ status: 202, body: {} }));
      assert.deepEqual({ status: again.status, replayed: again.replayed }, { status: 400, replayed: true });
    });

    test('a key completed through another gateway replica first is answered from its record', async (t) => {
      const { idempotency, database } = await store(t);
      const other = new IdempotencyStore(database);
      assert.equal((await other.run('user-1', 'key-elsewhere', request, async () => ({ status: 202, body: { id: 'p-7' } }))).replayed, false);
      assert.deepEqual(await idempotency.run('user-1', 'key-elsewhere', request, async () => ({ status: 202, body: { id: 'p-8' } })), { status: 202, body: { id: 'p-7' }, replayed: true });
    });
  });
}
