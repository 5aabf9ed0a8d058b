import type { Database, DatabaseConfig } from '../../storage/database.ts';
import { openMigratedDatabase } from '../../storage/migrate.ts';
import { userMigrations } from './migrations/index.ts';
import type { UserSchema } from './schema.ts';

/** The user service's own database, migrated to the latest version (closed again if the migration fails). */
export function openUserDatabase(config: DatabaseConfig): Promise<Database<UserSchema>> {
  return openMigratedDatabase<UserSchema>(config, userMigrations);
}
