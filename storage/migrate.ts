import { Migrator, type Kysely, type Migration } from 'kysely';

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
