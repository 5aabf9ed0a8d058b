import { openDatabase, type Database, type DatabaseConfig } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import { userMigrations } from './migrations/index.ts';
import type { UserSchema } from './schema.ts';

/** The user service's own database, migrated to the latest version (closed again if the migration fails). */
export async function openUserDatabase(config: DatabaseConfig): Promise<Database<UserSchema>> {
  const database = await openDatabase<UserSchema>(config);
  try {
    await migrateToLatest(database.db, userMigrations);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}
