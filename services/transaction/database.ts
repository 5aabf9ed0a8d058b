import { openDatabase, type Database, type DatabaseConfig } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import { transactionMigrations } from './migrations/index.ts';
import type { TransactionSchema } from './schema.ts';

/** The transaction record's database, migrated. */
export async function openTransactionDatabase(config: DatabaseConfig): Promise<Database<TransactionSchema>> {
  const database = await openDatabase<TransactionSchema>(config);
  await migrateToLatest(database.db, transactionMigrations);
  return database;
}
