import { sql, type Kysely, type Transaction } from 'kysely';
import { isRetryableTransactionError, type Database } from './database.ts';
import { WRITES_NOT_COUNTED, type NodeSqliteDatabase } from './node-sqlite-dialect.ts';

/**
 * What the writes that need not wait for the disk take: `sqlite` must be
 * given (undefined on PostgreSQL), or on SQLite they would silently wait.
 */
export type DatabaseHandle<Schema> = Pick<Database<Schema>, 'db' | 'dialect'> & { readonly sqlite: NodeSqliteDatabase | undefined };

/**
 * Runs `work` in one database transaction, retrying the whole unit when
 * PostgreSQL reports a serialization failure or deadlock. `work` must be
 * free of side effects outside the transaction for that to be safe.
 */
export async function inTransaction<Schema, T>(
  db: Kysely<Schema>,
  work: (trx: Transaction<Schema>) => Promise<T>,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (err) {
      if (attempt >= attempts || !isRetryableTransactionError(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/**
 * inTransaction for a transaction whose loss in a power cut is recovered
 * from elsewhere: its commit does not wait for the disk (on SQLite its
 * writes are not counted by the WalSync, PostgreSQL synchronous_commit=off),
 * and becomes durable with the next commit that does, which makes everything
 * before it durable too (the WAL is written in order). A caller must not let
 * anything outside the database depend on it until then.
 */
export async function inTransactionWithoutWaitingForDisk<Schema, T>(
  database: DatabaseHandle<Schema>,
  work: (trx: Transaction<Schema>) => Promise<T>,
  attempts = 5,
): Promise<T> {
  if (database.dialect === 'postgres') {
    return inTransaction(database.db, async (trx) => {
      await sql`set local synchronous_commit = off`.execute(trx);
      return work(trx);
    }, attempts);
  }
  return database.db.connection().execute(async (connection) => {
    if (database.sqlite) database.sqlite.holderMode = WRITES_NOT_COUNTED;
    return connection.transaction().execute(work);
  });
}

export type UnitOutcome<T> = { result: T } | { error: unknown };

/**
 * Applies many units of work in ONE transaction (one commit, so one fsync
 * for all of them), such as the messages of a received batch. If any unit
 * throws, that transaction rolls back and each unit runs again in a
 * transaction of its own, so a bad unit fails alone and the others commit.
 * Units must have no effects outside the transaction: they may run twice.
 */
export async function inBatchTransaction<Schema, I, T>(
  db: Kysely<Schema>,
  units: readonly I[],
  apply: (trx: Transaction<Schema>, unit: I) => Promise<T>,
): Promise<Array<UnitOutcome<T>>> {
  if (units.length === 0) return [];
  if (units.length > 1) {
    try {
      return await inTransaction(db, async (trx) => {
        const outcomes: Array<UnitOutcome<T>> = [];
        for (const unit of units) outcomes.push({ result: await apply(trx, unit) });
        return outcomes;
      });
    } catch {
      // Which unit failed is not known: each runs alone below, and only the failing one fails.
    }
  }
  const outcomes: Array<UnitOutcome<T>> = [];
  for (const unit of units) {
    try {
      outcomes.push({ result: await inTransaction(db, (trx) => apply(trx, unit)) });
    } catch (err) {
      outcomes.push({ error: err });
    }
  }
  return outcomes;
}

/**
 * Runs writes whose loss in a power cut is harmless without waiting for the
 * disk: their commits skip the fsync (on SQLite they are not counted by the
 * WalSync, PostgreSQL synchronous_commit=off) and become durable with the next
 * commit that does sync. For bookkeeping a crash may undo safely, such as an outbox relay's
 * lease and its "sent" marks (undone, a row is published again and the
 * consumers' inboxes drop the duplicate), never for the business state.
 * The work gets one connection (a transaction on PostgreSQL) to itself.
 */
export async function withoutWaitingForDisk<Schema, T>(database: DatabaseHandle<Schema>, work: (db: Kysely<Schema>) => Promise<T>): Promise<T> {
  if (database.dialect === 'postgres') {
    return database.db.transaction().execute(async (trx) => {
      await sql`set local synchronous_commit = off`.execute(trx);
      return work(trx);
    });
  }
  return database.db.connection().execute(async (connection) => {
    if (database.sqlite) database.sqlite.holderMode = WRITES_NOT_COUNTED;
    return work(connection);
  });
}
