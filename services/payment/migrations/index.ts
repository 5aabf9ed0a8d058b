import type { Kysely, Migration } from 'kysely';
import { outboxInboxMigration, outboxTraceContextMigration } from '../../../messaging/outbox-schema.ts';
import { parkedMessagesMigration } from '../../../messaging/parked-messages.ts';

const payments: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('payments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('sender_id', 'text', (c) => c.notNull())
      .addColumn('receiver_id', 'text', (c) => c.notNull())
      .addColumn('sender_wallet_id', 'text', (c) => c.notNull())
      .addColumn('receiver_wallet_id', 'text', (c) => c.notNull())
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('failure_reason', 'text')
      .addColumn('hold_id', 'text')
      .addColumn('idempotency_key', 'text', (c) => c.notNull())
      .addColumn('accepted_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('payments_sender_key_unique', ['sender_id', 'idempotency_key'])
      .execute();
    await db.schema.createIndex('payments_open_by_age').on('payments').columns(['status', 'updated_at']).execute();
    await db.schema.createIndex('payments_sender').on('payments').columns(['sender_id', 'created_at']).execute();
    await db.schema.createIndex('payments_receiver').on('payments').columns(['receiver_id', 'created_at']).execute();

    await db.schema
      .createTable('payment_history')
      .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('detail', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('payment_history_pk', ['payment_id', 'seq'])
      .execute();
  },
};

export const paymentMigrations: Record<string, Migration> = {
  '0001_outbox_inbox': outboxInboxMigration,
  '0002_payments': payments,
  '0003_outbox_trace_context': outboxTraceContextMigration,
  // What the DLQ handlers parked, for operators (messaging/parked-messages.ts).
  '0004_parked_messages': parkedMessagesMigration,
  // The console's activity chart counts recently accepted payments (routes-activity.ts).
  '0005_payments_by_creation': {
    async up(db: Kysely<any>) {
      await db.schema.createIndex('payments_created').on('payments').column('created_at').execute();
    },
  },
  // Which versions are alive, so a saga message about a payment another live version accepted is left for it
  // (saga/ownership.ts). The accepting version itself is payments.accepted_by, recorded since 0002.
  '0006_payment_versions': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('payment_versions')
        .addColumn('version', 'text', (c) => c.primaryKey())
        .addColumn('alive_until', 'text', (c) => c.notNull())
        .addColumn('seen_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
};
