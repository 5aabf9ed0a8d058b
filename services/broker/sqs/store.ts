import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { CompiledQuery, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { SELF_MANAGED } from '../../../storage/node-sqlite-dialect.ts';
import type { WalSync } from '../../../storage/wal-sync.ts';
import type { BrokerDatabase } from '../database.ts';

export type Row = Record<string, unknown>;

/**
 * Plain SQL with `?` placeholders, the same text on SQLite and PostgreSQL.
 * On SQLite the calls run synchronously on cached prepared statements; on
 * PostgreSQL they are awaited. Callers always `await` them.
 */
export interface Sql {
  all<T = Row>(text: string, params?: readonly unknown[]): T[] | Promise<T[]>;
  /** Runs a statement; returns the number of rows it changed. */
  run(text: string, params?: readonly unknown[]): number | Promise<number>;
}

/** What one unit of work gets: the SQL handle of the group transaction, its clock, and post-commit hooks. */
export interface Tx {
  readonly sql: Sql;
  /** Epoch milliseconds, read when this unit started. */
  readonly now: number;
  /** Runs after the transaction holding this unit commits (e.g. waking long polls); never if it rolls back. */
  afterCommit(hook: () => void): void;
}

export type Work<T> = (tx: Tx) => Promise<T> | T;

export interface RunOptions {
  /**
   * Whether the unit's effects must be on disk before it resolves (default
   * true). Sends, PutEvents and queue definitions must; a receive, delete or
   * visibility change need not: undone by a crash, it only makes a message
   * visible again, which at-least-once delivery (and every consumer's inbox)
   * already handles. A group with no durable unit commits without an fsync.
   */
  durable?: boolean;
}

interface Pending {
  work: Work<unknown>;
  durable: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** Units per transaction: enough to amortise one fsync over many requests, few enough to keep latency low. */
const MAX_GROUP = 256;

/**
 * Group commit. Every SQS read and write is a unit of work queued here; the
 * units that arrive while the previous transaction commits run together in
 * the next one, so one fsync of the WAL (storage/wal-sync.ts) acknowledges many requests.
 * A durable unit resolves only after its transaction is on disk, so an
 * acknowledged send is never lost; other units resolve once it committed.
 * Units run one after another, never interleaved, which is what makes
 * receive, FIFO group and receipt-handle checks race-free without row locks.
 * If a unit throws, the group rolls back and every unit of it runs again
 * alone, so one failure never takes the others with it; units must therefore
 * be free of effects outside the database, except through
 * `afterCommit` (and `onRollback`, which the owner uses to reload caches).
 */
export class Store {
  private readonly database: BrokerDatabase;
  private readonly log: Logger;
  private readonly queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private readonly statements = new Map<string, StatementSync>();
  private readonly pgText = new Map<string, string>();
  /** Called after a rolled-back group, before its units are retried one by one. */
  onRollback: () => Promise<void> | void = () => {};

  private readonly clock: () => number;
  /** SQLite on a file: commits are acknowledged after an fsync of the WAL off the event loop (storage/wal-sync.ts). */
  private readonly walSync: Pick<WalSync, 'sync'> | undefined;
  private readonly acknowledging = new Set<Promise<void>>();

  /** `walSync`: how SQLite commits are made durable (by default the database's); tests pass one they control. */
  constructor(database: BrokerDatabase, log: Logger, clock: () => number = Date.now, walSync?: Pick<WalSync, 'sync'>) {
    this.database = database;
    this.log = log;
    this.clock = clock;
    this.walSync = database.sqlite?.walSync ? (walSync ?? database.sqlite.walSync) : undefined;
  }

  get dialect(): 'sqlite' | 'postgres' {
    return this.database.dialect;
  }

  run<T>(work: Work<T>, options: RunOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the SQS store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work: work as Work<unknown>, durable: options.durable ?? true, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Runs a unit at once in its own transaction, bypassing the queue: only for `onRollback`, which runs inside a flush. */
  runAlone<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.runGroup([{ work: work as Work<unknown>, durable: true, resolve: resolve as (value: unknown) => void, reject }]).catch(reject);
    });
  }

  /** Waits for queued work, then refuses more. The database stays open: it is the broker's. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing || this.queue.length > 0) {
      if (!this.flushing) this.schedule();
      await this.flushing;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(this.acknowledging);
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // setImmediate, not a microtask: requests whose bytes arrived in the same
    // event-loop turn queue their units first and share the transaction.
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue.splice(0, MAX_GROUP);
      try {
        await this.runGroup(group);
      } catch (err) {
        this.log.warn({ err, units: group.length }, 'SQS transaction rolled back; running its units one by one');
        try {
          await this.onRollback();
        } catch (reloadErr) {
          this.log.error({ err: reloadErr }, 'SQS cache reload after a rollback failed');
        }
        for (const unit of group) {
          try {
            await this.runGroup([unit]);
          } catch (unitErr) {
            await Promise.resolve(this.onRollback()).catch(() => {});
            unit.reject(unitErr);
          }
        }
      }
    }
  }

  /**
   * Runs units in one transaction and returns once it committed; durable
   * units resolve once the commit is on disk, the others at once. Throws
   * (having rolled back) if any unit throws.
   */
  private async runGroup(group: Pending[]): Promise<void> {
    const hooks: Array<() => void> = [];
    const durable = group.some((unit) => unit.durable);
    const results = await this.database.db.connection().execute(async (connection) => {
      // The group's fsync is this store's own (below), so that the next group runs meanwhile.
      if (this.database.sqlite) this.database.sqlite.holderMode = SELF_MANAGED;
      return this.transaction(this.sqlFor(connection), group, hooks, durable);
    });
    const runHooks = () => {
      for (const hook of hooks) {
        try {
          hook();
        } catch (err) {
          this.log.error({ err }, 'SQS post-commit hook failed');
        }
      }
    };
    if (!durable || !this.walSync) {
      group.forEach((unit, i) => unit.resolve(results[i]));
      runHooks();
      return;
    }
    group.forEach((unit, i) => !unit.durable && unit.resolve(results[i]));
    const acknowledge = this.walSync.sync().then(
      () => {
        group.forEach((unit, i) => unit.durable && unit.resolve(results[i]));
        // After the fsync: a long poll woken by a send hands out a message that is on disk.
        runHooks();
      },
      (err: unknown) => {
        this.log.error({ err }, 'SQS commit could not be made durable (WAL fsync failed)');
        for (const unit of group) if (unit.durable) unit.reject(err);
      },
    );
    this.acknowledging.add(acknowledge);
    void acknowledge.finally(() => this.acknowledging.delete(acknowledge));
  }

  private async transaction(sql: Sql, group: Pending[], hooks: Array<() => void>, durable: boolean): Promise<unknown[]> {
    await sql.run(this.dialect === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN');
    // PostgreSQL: a group of receives, deletes and visibility changes commits without waiting for the WAL flush.
    if (!durable && this.dialect === 'postgres') await sql.run('SET LOCAL synchronous_commit = off');
    const values: unknown[] = [];
    try {
      for (const unit of group) {
        const tx: Tx = { sql, now: this.clock(), afterCommit: (hook) => void hooks.push(hook) };
        values.push(await unit.work(tx));
      }
      await sql.run('COMMIT');
    } catch (err) {
      hooks.length = 0;
      try {
        await sql.run('ROLLBACK');
      } catch {
        // the transaction may already be gone (e.g. a failed COMMIT)
      }
      throw err;
    }
    return values;
  }

  private sqlFor(connection: Kysely<any>): Sql {
    const raw = this.database.sqlite?.raw;
    if (raw) return this.sqliteSql(raw);
    return {
      all: async <T>(text: string, params: readonly unknown[] = []) =>
        (await connection.executeQuery<T>(CompiledQuery.raw(this.toPg(text), params as unknown[]))).rows as T[],
      run: async (text: string, params: readonly unknown[] = []) =>
        Number((await connection.executeQuery(CompiledQuery.raw(this.toPg(text), params as unknown[]))).numAffectedRows ?? 0n),
    };
  }

  private sqliteSql(raw: DatabaseSync): Sql {
    const prepare = (text: string) => {
      let stmt = this.statements.get(text);
      if (!stmt) {
        stmt = raw.prepare(text);
        this.statements.set(text, stmt);
      }
      return stmt;
    };
    return {
      all: <T>(text: string, params: readonly unknown[] = []) => prepare(text).all(...(params as never[])) as T[],
      run: (text: string, params: readonly unknown[] = []) => {
        if (params.length === 0 && !/\?/.test(text)) {
          // BEGIN/COMMIT/ROLLBACK: exec skips the statement cache.
          raw.exec(text);
          return 0;
        }
        return Number(prepare(text).run(...(params as never[])).changes);
      },
    };
  }

  /** `?` placeholders as PostgreSQL's `$1, $2, ...` (the broker's SQL has no `?` inside literals). */
  private toPg(text: string): string {
    let converted = this.pgText.get(text);
    if (converted === undefined) {
      let n = 0;
      converted = text.replace(/\?/g, () => `$${++n}`);
      this.pgText.set(text, converted);
    }
    return converted;
  }
}
