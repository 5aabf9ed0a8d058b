import type { Kysely, Migration } from 'kysely';

const idempotency: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('idempotency_requests')
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('status_code', 'bigint')
      .addColumn('response_body', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_requests_pk', ['user_id', 'key'])
      .execute();
  },
};

/** Login and sign-up attempts, shared by every gateway task (access-limits.ts). */
const accessCounters: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('access_counters')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('access_counters_window_start').on('access_counters').column('window_start').execute();
  },
};

export const gatewayMigrations: Record<string, Migration> = { '0001_idempotency': idempotency, '0002_access_counters': accessCounters };

export interface GatewaySchema {
  access_counters: {
    key: string;
    window_start: number | bigint;
    count: number | bigint;
  };
  idempotency_requests: {
    user_id: string;
    key: string;
    request_hash: string;
    state: 'in_progress' | 'completed';
    status_code: bigint | null;
    response_body: string | null;
    created_at: string;
    updated_at: string;
  };
}
