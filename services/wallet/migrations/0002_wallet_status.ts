import type { Kysely, Migration } from 'kysely';

/** Wallets can be suspended (compliance review, fraud): existing wallets stay active. */
export const walletStatus: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('wallets').addColumn('status', 'text', (c) => c.notNull().defaultTo('active')).execute();
    await db.schema.alterTable('wallets').addColumn('status_reason', 'text').execute();
  },
};
