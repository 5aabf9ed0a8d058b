import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, sql, type KyselyConfig } from 'kysely';
import pg from 'pg';
import { counter } from '../observability/metrics.ts';
import { NodeSqliteDatabase, NodeSqliteDialect } from './node-sqlite-dialect.ts';

/**
 * Statements the service ran through Kysely (transaction control not
 * counted): what a unit of work costs the database, for the benchmark's
 * per-payment counts beside broker requests and fsyncs.
 */
const statements = counter('db_statements_total', 'SQL statements executed through the query builder (BEGIN/COMMIT not counted)');
const connectionsLost = counter('db_connections_lost_total', 'PostgreSQL connections the server ended (replaced on the next checkout)');
const countStatement: KyselyConfig['log'] = (event) => {
  if (event.level === 'query') statements.inc();
};

export type DatabaseConfig =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string; schema: string; poolSize?: number };

export interface Database<Schema> {
  readonly db: Kysely<Schema>;
  readonly config: DatabaseConfig;
  readonly dialect: 'sqlite' | 'postgres';
  /** The node:sqlite database under `db` (its holder's DurabilityMode, its WalSync); undefined on PostgreSQL. */
  readonly sqlite: NodeSqliteDatabase | undefined;
  close(): Promise<void>;
}

/**
 * Picks the database for a service from the environment:
 * `<SERVICE>_DATABASE_URL`, else `DATABASE_URL` (a schema per service), else a
 * SQLite file `<DATA_DIR>/<service>.db`.
 */
export function databaseConfigFromEnv(service: string, env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const prefix = service.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  const url = env[`${prefix}_DATABASE_URL`] || env.DATABASE_URL;
  const schema = env[`${prefix}_DATABASE_SCHEMA`] || service.replace(/[^a-z0-9_]/gi, '_');
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error(`${prefix}_DATABASE_URL / DATABASE_URL must be a postgres:// URL (got a value with another scheme)`);
    }
    return { kind: 'postgres', url, schema };
  }
  const dataDir = env.DATA_DIR || path.resolve('data');
  return { kind: 'sqlite', file: path.join(dataDir, `${service}.db`) };
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openDatabase<Schema>(config: DatabaseConfig): Promise<Database<Schema>> {
  if (config.kind === 'sqlite') {
    if (config.file !== ':memory:') mkdirSync(path.dirname(config.file), { recursive: true });
    const sqlite = new NodeSqliteDatabase(config.file);
    const db = new Kysely<Schema>({ dialect: new NodeSqliteDialect(sqlite), log: countStatement });
    return {
      db,
      config,
      dialect: 'sqlite',
      sqlite,
      close: async () => {
        await db.destroy();
        await sqlite.walSync?.close();
      },
    };
  }

  if (!SCHEMA_NAME.test(config.schema)) throw new Error(`invalid PostgreSQL schema name '${config.schema}'`);
  // Create the schema on its own connection first: the pool's connections pin search_path to it.
  // A service logged in as its own role (storage/provision.ts) finds its schema made for it, and may not
  // create schemas: PostgreSQL checks that right before IF NOT EXISTS, so look first.
  const admin = new pg.Client({ connectionString: config.url });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [config.schema]);
    if (rowCount === 0) await admin.query(`CREATE SCHEMA IF NOT EXISTS "${config.schema}"`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    // Two services racing to create the same schema: the loser sees a unique violation.
    if (code === '42501') {
      throw new Error(`PostgreSQL schema '${config.schema}' does not exist and this login may not create it: run \`npm run db:provision\` with the admin credentials`, { cause: err });
    }
    if (code !== '23505') throw err;
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize ?? 10,
    options: `-c search_path="${config.schema}"`,
    // Names the connections in pg_stat_activity by the schema (the service) they serve.
    application_name: `paymesh:${config.schema}`,
    types: { getTypeParser: bigintTypeParser },
  });
  // A connection the server ends (pg_terminate_backend, a restart, a failover) emits 'error', and unheard that
  // would end the process: on the pool for an idle connection, on the client itself for one a transaction holds
  // between statements. A query in flight fails by itself, the transaction holding it fails with its next
  // statement, and pg drops the broken connection rather than pooling it again (the next checkout opens a new
  // one): counting is all there is left to do.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => connectionsLost.inc()));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }), log: countStatement });
  return { db, config, dialect: 'postgres', sqlite: undefined, close: () => db.destroy() };
}

const INT8_OID = 20;
// int8 (bigint) comes back as a JS bigint, matching node:sqlite with setReadBigInts.
function bigintTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID) return (value: string) => BigInt(value);
  return pg.types.getTypeParser(oid, format as 'text');
}

/** PostgreSQL error codes worth retrying a whole transaction for. */
const RETRYABLE_PG_CODES = new Set(['40001', '40P01']);

export function isRetryableTransactionError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return typeof code === 'string' && RETRYABLE_PG_CODES.has(code);
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; errcode?: number; message?: string } | null;
  if (!e) return false;
  if (e.code === '23505') return true;
  // node:sqlite reports SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY through errcode and the message.
  return e.errcode === 2067 || e.errcode === 1555 || /UNIQUE constraint failed/.test(e.message ?? '');
}

/** Drops a PostgreSQL schema: for tests that create one schema per run. */
export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name '${schema}'`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export { sql };
