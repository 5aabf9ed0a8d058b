import { openDatabase, type Database, type DatabaseConfig } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import { registryMigrations } from './migrations/index.ts';
import type { RegistrySchema } from './schema.ts';

/** The registry's database, migrated (closed again if the migration fails). */
export async function openRegistryDatabase(config: DatabaseConfig): Promise<Database<RegistrySchema>> {
  const database = await openDatabase<RegistrySchema>(config);
  try {
    await migrateToLatest(database.db, registryMigrations);
    return database;
  } catch (err) {
    await database.close();
    throw err;
  }
}
