import { openDatabase, type Database, type DatabaseConfig } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import { walletMigrations } from './migrations/index.ts';
import type { WalletSchema } from './schema.ts';

/** The ledger's database, migrated to the latest version (closed again if the migration fails). */
export async function openWalletDatabase(config: DatabaseConfig): Promise<Database<WalletSchema>> {
  const database = await openDatabase<WalletSchema>(config);
  try {
    await migrateToLatest(database.db, walletMigrations);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}
