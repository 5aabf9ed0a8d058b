import { sql, type Kysely, type Transaction } from 'kysely';
import { isRetryableTransactionError, type Database } from './database.ts';

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
 * Runs writes whose loss in a power cut is harmless without waiting for the
 * disk: their commits skip the fsync (SQLite synchronous=NORMAL, PostgreSQL
 * synchronous_commit=off) and become durable with the next commit that does
 * sync. For bookkeeping a crash may undo safely, such as an outbox relay's
 * lease and its "sent" marks (undone, a row is published again and the
 * consumers' inboxes drop the duplicate), never for the business state.
 * The work gets one connection (a transaction on PostgreSQL) to itself.
 */
export async function withoutWaitingForDisk<Schema, T>(database: Pick<Database<Schema>, 'db' | 'dialect'>, work: (db: Kysely<Schema>) => Promise<T>): Promise<T> {
  if (database.dialect === 'postgres') {
    return database.db.transaction().execute(async (trx) => {
      await sql`set local synchronous_commit = off`.execute(trx);
      return work(trx);
    });
  }
  return database.db.connection().execute(async (connection) => {
    await sql`pragma synchronous = normal`.execute(connection);
    try {
      return await work(connection);
    } finally {
      await sql`pragma synchronous = full`.execute(connection);
    }
  });
}
