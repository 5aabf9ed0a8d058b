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
import { WalSync } from './wal-sync.ts';

/**
 * Kysely ships a SQLite dialect for better-sqlite3, a native addon that would
 * build against the wrong Node headers here. This adapter gives Kysely the same
 * small interface over Node's built-in `node:sqlite`, so no addon is needed.
 */
export class NodeSqliteDatabase implements SqliteDatabase {
  readonly raw: DatabaseSync;
  /**
   * How commits on a file reach the disk (wal-sync.ts): they commit with
   * synchronous=NORMAL and the driver answers a transaction that wrote only
   * once this fdatasync of the WAL covers it. Absent for `:memory:`.
   */
  readonly walSync: WalSync | undefined;
  // Prepared statements are reused: Kysely compiles the same SQL text for the
  // same query shape, and preparing is a measurable share of a short query.
  private readonly statements = new Map<string, { stmt: StatementSync; reader: boolean; writes: boolean }>();
  private static readonly MAX_CACHED = 500;
  /** Whether a statement that writes ran since the connection was last released. */
  private wrote = false;
  /** The current holder's DurabilityMode (set after acquiring, reset on release). */
  holderMode: DurabilityMode = DURABLE;

  /** `walSync`: tests pass one they control; by default one on the file's WAL. */
  constructor(file: string, options: { walSync?: WalSync } = {}) {
    this.raw = new DatabaseSync(file);
    this.raw.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // WAL lets readers run beside the writer. An acknowledged transfer must
    // survive a crash or a power cut: on a file, the WAL is fdatasynced after
    // the commit, off the event loop (WalSync); in memory there is no disk.
    whileBusy(() => this.raw.exec('PRAGMA journal_mode = WAL'));
    this.walSync = file === ':memory:' ? undefined : (options.walSync ?? new WalSync(file));
    this.raw.exec(this.walSync ? 'PRAGMA synchronous = NORMAL' : 'PRAGMA synchronous = FULL');
    this.raw.exec('PRAGMA foreign_keys = ON');
  }

  prepare(sql: string): SqliteStatement {
    let cached = this.statements.get(sql);
    if (!cached) {
      const stmt = this.raw.prepare(sql);
      // int64 money must never pass through a JS number.
      stmt.setReadBigInts(true);
      if (this.statements.size >= NodeSqliteDatabase.MAX_CACHED) {
        const oldest = this.statements.keys().next().value;
        if (oldest !== undefined) this.statements.delete(oldest);
      }
      cached = { stmt, reader: stmt.columns().length > 0, writes: !READ_OR_CONTROL.test(sql) };
      this.statements.set(sql, cached);
    }
    const { stmt: prepared, reader, writes } = cached;
    return {
      reader,
      all: (params) => {
        if (writes) this.wrote = true;
        return prepared.all(...toSqliteParams(params));
      },
      run: (params) => {
        if (writes) this.wrote = true;
        const result = prepared.run(...toSqliteParams(params));
        return { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
      },
      iterate: (params) => prepared.iterate(...toSqliteParams(params)) as IterableIterator<unknown>,
    };
  }

  /** What the holder letting go of the connection did and asked for; resets both for the next holder. */
  release(): { wrote: boolean; mode: DurabilityMode } {
    const released = { wrote: this.wrote, mode: this.holderMode };
    this.wrote = false;
    this.holderMode = DURABLE;
    return released;
  }

  close(): void {
    this.statements.clear();
    if (this.raw.isOpen) this.raw.close();
  }
}

/** Statements that never change the database's contents (an INSERT ... RETURNING is a reader that writes). */
const READ_OR_CONTROL = /^\s*(select|pragma|begin|commit|end|rollback|savepoint|release|explain)\b/i;

/**
 * How the connection's current holder treats the disk; set by the holder
 * after it acquired the connection (which is exclusive), cleared as it lets go.
 */
export interface DurabilityMode {
  /** Whether its writes must be on disk before anything depends on them (counted by WalSync). */
  readonly countWrites: boolean;
  /** Whether letting go of the connection waits until every counted commit is on disk. */
  readonly waitForDisk: boolean;
}

/** Every holder's mode unless it says otherwise: a transaction resolves once durable. */
export const DURABLE: DurabilityMode = { countWrites: true, waitForDisk: true };

/**
 * Writes whose loss in a power cut is recovered from elsewhere
 * (storage/transaction.ts): not counted, so they become durable with the next
 * commit that is (the WAL is written in order). The holder still waits for
 * commits others made that are not on disk yet before it lets go, so nothing
 * it read leaves the process before it is durable.
 */
export const WRITES_NOT_COUNTED: DurabilityMode = { countWrites: false, waitForDisk: true };

/**
 * A holder that makes its own commits durable with the database's WalSync:
 * the broker's group commit acknowledges each unit once its own fsync is
 * done, while the next group already runs.
 */
export const SELF_MANAGED: DurabilityMode = { countWrites: false, waitForDisk: false };

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

/**
 * Starts write transactions with BEGIN IMMEDIATE so two processes never
 * deadlock upgrading a read lock, and makes the WAL durable after a commit,
 * not inside it: as the holder lets go of the connection, its commits are
 * counted and it waits, with the connection already free for the next
 * holder, until every counted commit is on disk. So a transaction resolves
 * only once durable, and a read resolves only once what it could have read
 * is durable (synchronous=FULL's promise to every reader).
 */
class DurableSqliteDriver extends SqliteDriver {
  private readonly database: NodeSqliteDatabase;
  constructor(database: NodeSqliteDatabase) {
    super({ database });
    this.database = database;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async releaseConnection(): Promise<void> {
    const walSync = this.database.walSync;
    const { wrote, mode } = this.database.release();
    if (wrote && walSync && mode.countWrites) walSync.committed();
    await super.releaseConnection();
    if (!mode.waitForDisk) return;
    const onDisk = walSync?.durable();
    if (onDisk) await onDisk;
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
    return new DurableSqliteDriver(this.database);
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
