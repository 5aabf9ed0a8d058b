import { Migrator, PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';
import { openDatabase, type Database, type DatabaseConfig } from './database.ts';

/**
 * Applies a service's versioned migrations at start-up. Migrations are plain
 * Kysely schema-builder code, so the same files run on SQLite and PostgreSQL.
 * Kysely's migrator keeps its own table and lock, so two processes starting
 * at once apply each migration exactly once.
 */
export async function migrateToLatest(
  db: Kysely<any>,
  migrations: Record<string, Migration>,
  /** Components sharing one database (the broker's SQS and EventBridge parts) keep separate histories. */
  component?: string,
): Promise<string[]> {
  const suffix = component ? `_${component}` : '';
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: `kysely_migration${suffix}`,
    migrationLockTableName: `kysely_migration_lock${suffix}`,
    // On PostgreSQL every service has its own schema in one database. Without naming it, Kysely looks
    // for its migration tables in any schema, finds another service's, and never creates its own.
    migrationTableSchema: await postgresSchemaOf(db),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${(error as Error).message ?? error}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The schema a PostgreSQL connection works in (its search_path); undefined on SQLite. */
async function postgresSchemaOf(db: Kysely<any>): Promise<string | undefined> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return undefined;
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema;
}

/** A service's database opened and migrated to the latest version; closed again if a migration fails. */
export async function openMigratedDatabase<Schema>(config: DatabaseConfig, migrations: Record<string, Migration>): Promise<Database<Schema>> {
  const database = await openDatabase<Schema>(config);
  try {
    await migrateToLatest(database.db, migrations);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}
