import { DatabaseSync, type StatementSync } from 'node:sqlite';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';

/**
 * Kysely ships a SQLite dialect for better-sqlite3, a native addon that would
 * build against the wrong Node headers here. This adapter gives Kysely the same
 * small interface over Node's built-in `node:sqlite`, so no addon is needed.
 */
export class NodeSqliteDatabase implements SqliteDatabase {
  readonly raw: DatabaseSync;
  // Prepared statements are reused: Kysely compiles the same SQL text for the
  // same query shape, and preparing is a measurable share of a short query.
  private readonly statements = new Map<string, StatementSync>();
  private static readonly MAX_CACHED = 500;

  constructor(file: string) {
    this.raw = new DatabaseSync(file);
    this.raw.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // WAL lets readers run beside the writer; FULL makes every commit durable
    // (an acknowledged transfer survives a crash or a power cut).
    whileBusy(() => this.raw.exec('PRAGMA journal_mode = WAL'));
    this.raw.exec('PRAGMA synchronous = FULL');
    this.raw.exec('PRAGMA foreign_keys = ON');
  }

  prepare(sql: string): SqliteStatement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.raw.prepare(sql);
      // int64 money must never pass through a JS number.
      stmt.setReadBigInts(true);
      if (this.statements.size >= NodeSqliteDatabase.MAX_CACHED) {
        const oldest = this.statements.keys().next().value;
        if (oldest !== undefined) this.statements.delete(oldest);
      }
      this.statements.set(sql, stmt);
    }
    const prepared = stmt;
    return {
      reader: prepared.columns().length > 0,
      all: (params) => prepared.all(...toSqliteParams(params)),
      run: (params) => {
        const result = prepared.run(...toSqliteParams(params));
        return { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
      },
      iterate: (params) => prepared.iterate(...toSqliteParams(params)) as IterableIterator<unknown>,
    };
  }

  close(): void {
    this.statements.clear();
    if (this.raw.isOpen) this.raw.close();
  }
}

const BUSY_TIMEOUT_MS = 10_000;

/**
 * Runs `statement`, retrying while the file is locked, for up to the busy
 * timeout. Switching a new file to WAL needs an exclusive lock, and SQLite
 * answers BUSY at once, without its busy handler, while another process
 * sharing the file (payment and its canary start together) holds a write
 * lock. This runs once, while a service starts, so a blocking sleep is fine.
 */
function whileBusy(statement: () => void): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      statement();
      return;
    } catch (err) {
      if ((err as { errcode?: number }).errcode !== SQLITE_BUSY || Date.now() > deadline) throw err;
      Atomics.wait(sleeper, 0, 0, 20);
    }
  }
}

const SQLITE_BUSY = 5;

type SqliteParam = null | number | bigint | string | Uint8Array;

function toSqliteParams(params: ReadonlyArray<unknown>): SqliteParam[] {
  return params.map((value) => {
    if (value === undefined || value === null) return null;
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string' || value instanceof Uint8Array) {
      return value;
    }
    throw new TypeError(`cannot bind a ${typeof value} to a SQLite parameter`);
  });
}

/** Starts write transactions with BEGIN IMMEDIATE so two processes never deadlock upgrading a read lock. */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite's DDL is transactional, but Kysely's SQLite adapter says otherwise, so
 * its migrator would run migrations outside a transaction with no lock, and two
 * processes sharing a file (payment v1 and its canary) could both apply one.
 * Saying yes makes the migrator run them in one BEGIN IMMEDIATE transaction:
 * the second process waits, then sees them applied.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export class NodeSqliteDialect extends SqliteDialect {
  private readonly database: NodeSqliteDatabase;
  constructor(database: NodeSqliteDatabase) {
    super({ database });
    this.database = database;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.database });
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
