import type { Kysely, Migration } from 'kysely';
import { outboxInboxMigration } from '../../../messaging/outbox-schema.ts';
import { GENESIS_HASH } from '../chain.ts';

const auditLog: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('audit_records')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull().unique())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('detail_type', 'text', (c) => c.notNull())
      .addColumn('actor', 'text')
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    // One row holding the chain's head: appending locks it, so concurrent writers queue up.
    await db.schema
      .createTable('audit_head')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await db.insertInto('audit_head').values({ id: 1n, seq: 0n, hash: GENESIS_HASH }).execute();
  },
};

export const auditMigrations: Record<string, Migration> = {
  '0001_outbox_inbox': outboxInboxMigration,
  '0002_audit_log': auditLog,
};
