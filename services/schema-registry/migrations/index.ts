import type { Kysely, Migration } from 'kysely';

export const registryMigrations: Record<string, Migration> = {
  '0001_registry': {
    async up(db: Kysely<any>) {
      // Ids are global: one id per distinct schema (by canonical form), shared by every subject that registers it.
      await db.schema
        .createTable('schemas')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('fingerprint', 'text', (c) => c.notNull().unique())
        .addColumn('schema', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('subject_versions')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('schema_id', 'bigint', (c) => c.notNull().references('schemas.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('subject_versions_pk', ['subject', 'version'])
        .addUniqueConstraint('subject_versions_schema_unique', ['subject', 'schema_id'])
        .execute();
      await db.schema
        .createTable('compatibility')
        .addColumn('subject', 'text', (c) => c.primaryKey())
        .addColumn('level', 'text', (c) => c.notNull())
        .execute();
    },
  },
};
