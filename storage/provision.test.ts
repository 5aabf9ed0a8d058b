/**
 * Each service's PostgreSQL role can use only its own schema (storage/provision.ts), on a real PostgreSQL.
 * Roles and schemas here are uniquely named for this run and removed afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { paymentMigrations } from '../services/payment/migrations/index.ts';
import { walletMigrations } from '../services/wallet/migrations/index.ts';
import { POSTGRES_URL, postgresReachable } from '../test/support/databases.ts';
import { databaseConfigFromEnv, openDatabase, sql, type Database } from './database.ts';
import { migrateToLatest } from './migrate.ts';
import { platformDatabases, provisionDatabase, serviceRoleFromEnv, type ServiceRole } from './provision.ts';

const reachable = await postgresReachable();
const skip = reachable ? false : `PostgreSQL is not reachable at ${POSTGRES_URL}; set TEST_DATABASE_URL or start it to run the role tests`;

const run = randomBytes(5).toString('hex');
const payment: ServiceRole = { database: 'payment', schema: `t_${run}_payment`, role: `paymesh_t${run}_payment`, password: randomBytes(12).toString('hex') };
const paymentV2: ServiceRole = { ...payment }; // payment-v2 opens the `payment` database too: the same role and schema
const wallet: ServiceRole = { database: 'wallet', schema: `t_${run}_wallet`, role: `paymesh_t${run}_wallet`, password: randomBytes(12).toString('hex') };

/** POSTGRES_URL, logged in as `role`. */
function urlAs(role: ServiceRole): string {
  const url = new URL(POSTGRES_URL);
  url.username = role.role;
  url.password = role.password!;
  return url.toString();
}

async function asAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The SQLSTATE a statement fails with, run as `role` (undefined when it succeeds). */
async function errorCodeAs(role: ServiceRole, statement: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: urlAs(role) });
  await client.connect();
  try {
    await client.query(statement);
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  } finally {
    await client.end();
  }
}

const PERMISSION_DENIED = '42501';

test('every service database gets a role paymesh_<database>; payment v1 and v2 share paymesh_payment', async () => {
  assert.equal(serviceRoleFromEnv('payment', {}).role, 'paymesh_payment');
  assert.equal(serviceRoleFromEnv('schema-registry', {}).role, 'paymesh_schema_registry');
  assert.equal(serviceRoleFromEnv('schema-registry', {}).schema, 'schema_registry');
  assert.equal(serviceRoleFromEnv('payment', { PAYMENT_DATABASE_PASSWORD: 'p', PAYMENT_DATABASE_SCHEMA: 'pay' }).password, 'p');
  assert.equal(serviceRoleFromEnv('payment', { PAYMENT_DATABASE_SCHEMA: 'pay' }).schema, 'pay');
  const databases = await platformDatabases();
  assert.deepEqual(databases.filter((d) => d === 'payment'), ['payment'], 'one payment database for both versions');
  for (const d of ['wallet', 'user', 'gateway', 'transaction', 'notification', 'audit', 'schema-registry', 'broker']) assert.ok(databases.includes(d), d);
});

describe('per-service PostgreSQL roles', { skip }, () => {
  let paymentDb: Database<any>;
  let walletDb: Database<any>;

  before(async () => {
    // An installation from before roles: the wallet's schema already exists, made by the admin login.
    await asAdmin(async (c) => {
      await c.query(`CREATE SCHEMA "${wallet.schema}"`);
      await c.query(`CREATE TABLE "${wallet.schema}".legacy (id int)`);
    });
    const first = await provisionDatabase({ adminUrl: POSTGRES_URL, roles: [payment, paymentV2, wallet] });
    assert.deepEqual(first.map((r) => [r.role, r.created]), [[payment.role, true], [wallet.role, true]]);
    // Safe to run again: nothing new, nothing broken.
    const again = await provisionDatabase({ adminUrl: POSTGRES_URL, roles: [payment, paymentV2, wallet] });
    assert.deepEqual(again.map((r) => [r.role, r.created]), [[payment.role, false], [wallet.role, false]]);

    paymentDb = await openDatabase(databaseConfigFromEnv('payment', { PAYMENT_DATABASE_URL: urlAs(payment), PAYMENT_DATABASE_SCHEMA: payment.schema }));
    walletDb = await openDatabase(databaseConfigFromEnv('wallet', { WALLET_DATABASE_URL: urlAs(wallet), WALLET_DATABASE_SCHEMA: wallet.schema }));
  });

  after(async () => {
    await paymentDb?.close();
    await walletDb?.close();
    await asAdmin(async (c) => {
      for (const r of [payment, wallet]) await c.query(`DROP SCHEMA IF EXISTS "${r.schema}" CASCADE`);
      for (const r of [payment, wallet]) {
        const { rowCount } = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [r.role]);
        if (rowCount) {
          await c.query(`DROP OWNED BY "${r.role}"`);
          await c.query(`DROP ROLE "${r.role}"`);
        }
      }
    });
  });

  test('the payment service, logged in as its role, opens its database and runs its migrations', async () => {
    const applied = await migrateToLatest(paymentDb.db, paymentMigrations);
    assert.ok(applied.length > 0, 'migrations applied');
    const { rows } = await sql<{ user: string; schema: string }>`select current_user as user, current_schema() as schema`.execute(paymentDb.db);
    assert.deepEqual(rows[0], { user: payment.role, schema: payment.schema });
    const tables = await sql<{ owner: string }>`select tableowner as owner from pg_tables where schemaname = ${payment.schema}`.execute(paymentDb.db);
    assert.ok(tables.rows.length > 2 && tables.rows.every((t) => t.owner === payment.role), 'its tables are its own');
    assert.deepEqual(await migrateToLatest(paymentDb.db, paymentMigrations), [], 'a second start applies nothing');
  });

  test('the wallet role works on its own schema, and owns what was there before it', async () => {
    const applied = await migrateToLatest(walletDb.db, walletMigrations);
    assert.ok(applied.length > 0);
    const { rows } = await sql<{ n: bigint }>`select count(*)::int8 as n from wallets`.execute(walletDb.db);
    assert.equal(rows[0]!.n, 0n);
    await sql`alter table legacy add column note text`.execute(walletDb.db);
    await sql`drop table legacy`.execute(walletDb.db);
  });

  test('the payment role cannot read or write the wallet schema', async () => {
    await migrateToLatest(walletDb.db, walletMigrations);
    assert.equal(await errorCodeAs(payment, `SELECT * FROM "${wallet.schema}".wallets`), PERMISSION_DENIED);
    assert.equal(await errorCodeAs(payment, `SELECT count(*) FROM "${wallet.schema}".journal_entries`), PERMISSION_DENIED);
    assert.equal(
      await errorCodeAs(payment, `INSERT INTO "${wallet.schema}".wallets (id) VALUES ('00000000-0000-0000-0000-000000000000')`),
      PERMISSION_DENIED,
    );
    assert.equal(await errorCodeAs(payment, `UPDATE "${wallet.schema}".wallets SET id = id`), PERMISSION_DENIED);
    assert.equal(await errorCodeAs(payment, `DROP TABLE "${wallet.schema}".wallets`), PERMISSION_DENIED);
    assert.equal(await errorCodeAs(payment, `CREATE TABLE "${wallet.schema}".intruder (id int)`), PERMISSION_DENIED);
    // The wallet role cannot read the payment schema either.
    await migrateToLatest(paymentDb.db, paymentMigrations);
    assert.equal(await errorCodeAs(wallet, `SELECT * FROM "${payment.schema}".kysely_migration`), PERMISSION_DENIED);
  });

  test('the payment role cannot create tables in public, nor schemas of its own, nor other roles', async () => {
    assert.equal(await errorCodeAs(payment, 'CREATE TABLE public.intruder (id int)'), PERMISSION_DENIED);
    assert.equal(await errorCodeAs(payment, `CREATE SCHEMA "t_${run}_intruder"`), PERMISSION_DENIED);
    assert.equal(await errorCodeAs(payment, `CREATE ROLE "paymesh_t${run}_intruder"`), PERMISSION_DENIED);
  });

  test('a service whose schema was never provisioned is told to provision it', async () => {
    await assert.rejects(
      openDatabase(databaseConfigFromEnv('payment', { PAYMENT_DATABASE_URL: urlAs(payment), PAYMENT_DATABASE_SCHEMA: `t_${run}_missing` })),
      /does not exist and this login may not create it: run `npm run db:provision`/,
    );
  });
});

describe('provisioning by an admin that is not a superuser (as the RDS master user is)', { skip }, () => {
  const admin: ServiceRole = { database: 'admin', schema: `t_${run}_none`, role: `paymesh_t${run}_admin`, password: randomBytes(12).toString('hex') };
  const user: ServiceRole = { database: 'user', schema: `t_${run}_user`, role: `paymesh_t${run}_user`, password: randomBytes(12).toString('hex') };

  before(async () => {
    await asAdmin(async (c) => {
      await c.query(`CREATE ROLE "${admin.role}" LOGIN CREATEROLE PASSWORD ${c.escapeLiteral(admin.password!)}`);
      const { rows } = await c.query<{ db: string }>('SELECT current_database() AS db');
      await c.query(`GRANT CREATE ON DATABASE "${rows[0]!.db}" TO "${admin.role}"`);
    });
  });

  after(async () => {
    await asAdmin(async (c) => {
      await c.query(`DROP SCHEMA IF EXISTS "${user.schema}" CASCADE`);
      for (const r of [user, admin]) {
        const { rowCount } = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [r.role]);
        if (rowCount) {
          await c.query(`DROP OWNED BY "${r.role}"`);
          await c.query(`DROP ROLE "${r.role}"`);
        }
      }
    });
  });

  test('it makes the role and hands it the schema, twice over', async () => {
    for (let i = 0; i < 2; i++) {
      const [result] = await provisionDatabase({ adminUrl: urlAs(admin), roles: [user] });
      assert.equal(result!.created, i === 0);
    }
    assert.equal(await errorCodeAs(user, `CREATE TABLE "${user.schema}".t (id int); INSERT INTO t VALUES (1)`), undefined);
    assert.equal(await errorCodeAs(user, 'CREATE TABLE public.intruder (id int)'), PERMISSION_DENIED);
  });
});
