import type { Kysely, Migration } from 'kysely';
import { outboxInboxMigration, outboxTraceContextMigration } from '../../../messaging/outbox-schema.ts';

const notifications: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('notifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('payment_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('read_at', 'text')
      .execute();
    await db.schema.createIndex('notifications_user').on('notifications').columns(['user_id', 'created_at']).execute();
  },
};

export const notificationMigrations: Record<string, Migration> = {
  '0001_outbox_inbox': outboxInboxMigration,
  '0002_notifications': notifications,
  '0003_outbox_trace_context': outboxTraceContextMigration,
};
