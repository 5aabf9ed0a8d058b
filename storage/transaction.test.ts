import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { testDatabases } from '../test/support/databases.ts';
import { openDatabase, type Database } from './database.ts';
import { inBatchTransaction, inTransactionWithoutWaitingForDisk, withoutWaitingForDisk } from './transaction.ts';

for (const target of await testDatabases()) {
  describe(`writes that need not wait for the disk, on ${target.name}`, { skip: target.skip }, () => {
    async function open(t: TestContext): Promise<Database<{ marks: { id: string } }>> {
      const created = await target.create();
      database = await openDatabase<{ marks: { id: string } }>(created.config);
      t.after(async () => {
        await database.close();
        await created.cleanup();
      });
      await database.db.schema.createTable('marks').addColumn('id', 'text', (c) => c.primaryKey()).execute();
      return database as Database<{ marks: { id: string } }>;
    }

    /**
     * Whether a commit on this connection waits for the disk: on SQLite whether the connection's holder has its
     * writes counted by the WalSync (the driver then answers only after the WAL's fdatasync; storage/durability.test.ts),
     * PostgreSQL's synchronous_commit.
     */
    let database: Database<any>;
    const durability = async (db: Database<any>['db']) =>
      target.name === 'sqlite' ? (database.sqlite!.holderMode.countWrites ? 'on' : 'off') : String(Object.values((await sql`show synchronous_commit`.execute(db)).rows[0] as object)[0]);

    test('they commit without waiting for the disk, and the connection waits for it again afterwards', async (t) => {
      const database = await open(t);
      const durable = await durability(database.db);
      assert.ok(durable === 'on', `durable commits by default (got ${durable})`);
      await withoutWaitingForDisk(database, async (db) => {
        assert.ok(['off'].includes(await durability(db)), 'inside: no waiting for the disk');
        await db.insertInto('marks').values({ id: 'sent' }).execute();
      });
      assert.equal(await durability(database.db), durable, 'afterwards: durable again');
      assert.deepEqual((await database.db.selectFrom('marks').selectAll().execute()).map((r) => r.id), ['sent']);
    });

    test('a failing write leaves the connection durable', async (t) => {
      const database = await open(t);
      const durable = await durability(database.db);
      await assert.rejects(withoutWaitingForDisk(database, async (db) => db.insertInto('marks').values([{ id: 'x' }, { id: 'x' }]).execute()));
      assert.equal(await durability(database.db), durable);
    });

    test('a transaction that need not wait for the disk commits as one, rolls back as one, and leaves the connection durable', async (t) => {
      const database = await open(t);
      const durable = await durability(database.db);
      await inTransactionWithoutWaitingForDisk(database, async (trx) => {
        assert.ok(['off'].includes(await durability(trx)), 'inside: no waiting for the disk');
        await trx.insertInto('marks').values([{ id: 'a' }, { id: 'b' }]).execute();
      });
      await assert.rejects(inTransactionWithoutWaitingForDisk(database, async (trx) => trx.insertInto('marks').values([{ id: 'c' }, { id: 'a' }]).execute()));
      assert.equal(await durability(database.db), durable, 'afterwards: durable again');
      assert.deepEqual((await database.db.selectFrom('marks').selectAll().orderBy('id').execute()).map((r) => r.id), ['a', 'b'], 'the failed one left nothing');
    });

    test('a batch of units commits together, and a failing unit fails alone', async (t) => {
      const database = await open(t);
      const outcomes = await inBatchTransaction(database.db, ['x', 'y', 'x', 'z'], (trx, id) => trx.insertInto('marks').values({ id }).execute().then(() => id));
      assert.deepEqual(outcomes.map((o) => ('error' in o ? 'failed' : o.result)), ['x', 'y', 'failed', 'z']);
      assert.deepEqual((await database.db.selectFrom('marks').selectAll().orderBy('id').execute()).map((r) => r.id), ['x', 'y', 'z']);
    });
  });
}
