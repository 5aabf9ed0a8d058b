import type { Database, DatabaseConfig } from '../../storage/database.ts';
import { openMigratedDatabase } from '../../storage/migrate.ts';
import { registryMigrations } from './migrations/index.ts';
import type { RegistrySchema } from './schema.ts';

/** The registry's database, migrated (closed again if the migration fails). */
export function openRegistryDatabase(config: DatabaseConfig): Promise<Database<RegistrySchema>> {
  return openMigratedDatabase<RegistrySchema>(config, registryMigrations);
}
