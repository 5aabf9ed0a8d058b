import type { Kysely, Transaction } from 'kysely';
import { isRetryableTransactionError } from './database.ts';

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
