import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { POSTGRES_URL, postgresReachable } from '../test/support/databases.ts';
import { dropPostgresSchema, openDatabase, sql } from './database.ts';

const skip = (await postgresReachable()) ? false : `PostgreSQL is not reachable at ${POSTGRES_URL}`;

/** Ends every connection the database server has open for this schema's pool, as an operator's pg_terminate_backend or a failover would. */
async function cutConnections(schema: string): Promise<number> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ cut: boolean }>('select pg_terminate_backend(pid) as cut from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()', [`paymesh:${schema}`]);
    return rows.filter((r) => r.cut).length;
  } finally {
    await admin.end();
  }
}

test('connections the PostgreSQL server cuts do not take the service down: idle ones are replaced, a query in flight fails alone, the next query works', { skip }, async (t) => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const database = await openDatabase<any>({ kind: 'postgres', url: POSTGRES_URL, schema, poolSize: 4 });
  t.after(async () => {
    await database.close();
    await dropPostgresSchema(POSTGRES_URL, schema);
  });
  // Four connections open and idle in the pool, named after the schema so they can be told apart.
  await Promise.all(Array.from({ length: 4 }, () => sql`select pg_sleep(0.05)`.execute(database.db)));
  const slow = assert.rejects(sql`select pg_sleep(5)`.execute(database.db), /terminat/i, 'the query in flight fails with the server’s reason');
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.ok((await cutConnections(schema)) >= 2, 'the server ended the pool connections');
  await slow;
  // Before the fix, the idle clients' 'error' event, unheard, ended the process here.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const { rows } = await sql<{ one: number }>`select 1 as one`.execute(database.db);
  assert.deepEqual(rows, [{ one: 1 }]);
});

test('a connection cut while a transaction holds it between two statements fails that transaction alone; the service goes on', { skip }, async (t) => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const database = await openDatabase<any>({ kind: 'postgres', url: POSTGRES_URL, schema, poolSize: 2 });
  t.after(async () => {
    await database.close();
    await dropPostgresSchema(POSTGRES_URL, schema);
  });
  let cut!: () => void;
  const firstStatementDone = new Promise<void>((resolve) => (cut = resolve));
  const transaction = database.db.transaction().execute(async (trx) => {
    await sql`select 1`.execute(trx);
    cut();
    // The service doing other work (a call to another service, say) with the transaction open.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await sql`select 2`.execute(trx);
  });
  const failed = assert.rejects(transaction);
  await firstStatementDone;
  assert.ok((await cutConnections(schema)) >= 1);
  // Before the fix, the checked-out client's 'error' event, unheard, ended the process here.
  await failed;
  const { rows } = await sql<{ one: number }>`select 1 as one`.execute(database.db);
  assert.deepEqual(rows, [{ one: 1 }]);
});
