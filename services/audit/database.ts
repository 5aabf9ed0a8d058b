import { openDatabase, type Database, type DatabaseConfig } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import { auditMigrations } from './migrations/index.ts';
import type { AuditSchema } from './schema.ts';

/** The audit log's database, migrated: for the service and for `npm run audit:verify`. */
export async function openAuditDatabase(config: DatabaseConfig): Promise<Database<AuditSchema>> {
  const database = await openDatabase<AuditSchema>(config);
  await migrateToLatest(database.db, auditMigrations);
  return database;
}
