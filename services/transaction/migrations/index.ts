import type { Kysely, Migration } from 'kysely';
import { outboxInboxMigration, outboxTraceContextMigration } from '../../../messaging/outbox-schema.ts';

const transactions: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('transactions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('sender_id', 'text', (c) => c.notNull())
      .addColumn('receiver_id', 'text', (c) => c.notNull())
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('reason', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('transactions_sender').on('transactions').columns(['sender_id', 'created_at']).execute();
    await db.schema.createIndex('transactions_receiver').on('transactions').columns(['receiver_id', 'created_at']).execute();
    await db.schema
      .createTable('transaction_events')
      .addColumn('transaction_id', 'text', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('detail_type', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('transaction_events_pk', ['transaction_id', 'event_id'])
      .execute();
  },
};

/** Which wallets a payment moved money between, so a wallet can list its own transactions (Wallet.transactions). */
const walletIds: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('transactions').addColumn('sender_wallet_id', 'text').execute();
    await db.schema.alterTable('transactions').addColumn('receiver_wallet_id', 'text').execute();
    await db.schema.createIndex('transactions_sender_wallet').on('transactions').columns(['sender_wallet_id', 'created_at']).execute();
    await db.schema.createIndex('transactions_receiver_wallet').on('transactions').columns(['receiver_wallet_id', 'created_at']).execute();
  },
};

export const transactionMigrations: Record<string, Migration> = {
  '0001_outbox_inbox': outboxInboxMigration,
  '0002_transactions': transactions,
  '0003_transaction_wallet_ids': walletIds,
  '0004_outbox_trace_context': outboxTraceContextMigration,
};
