import type { Database, DatabaseConfig } from '../../storage/database.ts';
import { openMigratedDatabase } from '../../storage/migrate.ts';
import { auditMigrations } from './migrations/index.ts';
import type { AuditSchema } from './schema.ts';

/** The audit log's database, migrated: for the service and for `npm run audit:verify`. */
export function openAuditDatabase(config: DatabaseConfig): Promise<Database<AuditSchema>> {
  return openMigratedDatabase<AuditSchema>(config, auditMigrations);
}
