import type { Database, DatabaseConfig } from '../../storage/database.ts';
import { openMigratedDatabase } from '../../storage/migrate.ts';
import { transactionMigrations } from './migrations/index.ts';
import type { TransactionSchema } from './schema.ts';

/** The transaction record's database, migrated. */
export function openTransactionDatabase(config: DatabaseConfig): Promise<Database<TransactionSchema>> {
  return openMigratedDatabase<TransactionSchema>(config, transactionMigrations);
}
