import type { Database, DatabaseConfig } from '../../storage/database.ts';
import { openMigratedDatabase } from '../../storage/migrate.ts';
import { walletMigrations } from './migrations/index.ts';
import type { WalletSchema } from './schema.ts';

/** The ledger's database, migrated to the latest version (closed again if the migration fails). */
export function openWalletDatabase(config: DatabaseConfig): Promise<Database<WalletSchema>> {
  return openMigratedDatabase<WalletSchema>(config, walletMigrations);
}
