import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import { openDatabase, type DatabaseConfig } from '../../storage/database.ts';
import { NodeSqliteDatabase, NodeSqliteDialect } from '../../storage/node-sqlite-dialect.ts';

export interface BrokerDatabase {
  readonly db: Kysely<any>;
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * The node:sqlite handle under `db`, for the SQS engine's hot path: it runs
   * its own prepared statements synchronously while it holds Kysely's one
   * SQLite connection (see sqs/store.ts). Absent on PostgreSQL.
   */
  readonly sqlite: DatabaseSync | undefined;
  /** The SQLite file (its WAL is `<file>-wal`); absent on PostgreSQL. */
  readonly sqliteFile: string | undefined;
  close(): Promise<void>;
}

/**
 * Opens the broker's one database. PostgreSQL goes through storage's
 * openDatabase unchanged. For SQLite this builds the same thing openDatabase
 * does (storage's NodeSqliteDatabase: WAL, synchronous=FULL, busy timeout)
 * but keeps the raw handle, which openDatabase does not expose: Kysely's
 * per-query compilation would otherwise be most of a send's cost.
 */
export async function openBrokerDatabase(config: DatabaseConfig): Promise<BrokerDatabase> {
  if (config.kind === 'postgres') {
    const database = await openDatabase<any>(config);
    return { db: database.db, dialect: 'postgres', sqlite: undefined, sqliteFile: undefined, close: () => database.close() };
  }
  if (config.file !== ':memory:') mkdirSync(path.dirname(config.file), { recursive: true });
  const handle = new NodeSqliteDatabase(config.file);
  const db = new Kysely<any>({ dialect: new NodeSqliteDialect(handle) });
  return { db, dialect: 'sqlite', sqlite: handle.raw, sqliteFile: config.file, close: () => db.destroy() };
}
