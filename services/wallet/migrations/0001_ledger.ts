import { sql, type Kysely, type Migration } from 'kysely';

export const ledger: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('wallets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('available', 'bigint', (c) => c.notNull())
      .addColumn('frozen', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('wallets_user_currency_unique', ['user_id', 'currency'])
      .addCheckConstraint('wallets_available_non_negative', sql`available >= 0`)
      .addCheckConstraint('wallets_frozen_non_negative', sql`frozen >= 0`)
      .execute();

    await db.schema
      .createTable('holds')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('wallet_id', 'text', (c) => c.notNull().references('wallets.id'))
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reference', 'text')
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('to_wallet_id', 'text', (c) => c.references('wallets.id'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addCheckConstraint('holds_amount_positive', sql`amount > 0`)
      .execute();
    await db.schema.createIndex('holds_active_expiry').on('holds').columns(['status', 'expires_at']).execute();

    await db.schema
      .createTable('journal_entries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('hold_id', 'text', (c) => c.references('holds.id'))
      .addColumn('reference', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('journal_lines')
      .addColumn('entry_id', 'text', (c) => c.notNull().references('journal_entries.id'))
      .addColumn('line_no', 'bigint', (c) => c.notNull())
      .addColumn('wallet_id', 'text', (c) => c.references('wallets.id'))
      .addColumn('bucket', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('journal_lines_pk', ['entry_id', 'line_no'])
      .addCheckConstraint('journal_lines_amount_non_zero', sql`amount <> 0`)
      .execute();
    await db.schema.createIndex('journal_lines_wallet').on('journal_lines').columns(['wallet_id']).execute();

    await db.schema
      .createTable('funding_accounts')
      .addColumn('currency', 'text', (c) => c.primaryKey())
      .addColumn('balance', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('idempotency_keys')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('operation', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('response', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
  },
};
