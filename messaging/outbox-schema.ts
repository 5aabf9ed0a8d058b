import { sql, type Kysely, type Migration } from 'kysely';

/** Tables every service with an outbox or inbox carries in its own database. */
export interface OutboxTables {
  outbox: OutboxRow;
  inbox: InboxRow;
}

export interface OutboxRow {
  id: string;
  /** Monotonic within a process: the relay publishes in this order. */
  seq: bigint;
  kind: 'queue' | 'event';
  /** Queue name, or event bus name. */
  destination: string;
  /** JSON: for a queue message { body, eventType, priority, attributes }, for an event { source, detailType, detail, resources }. */
  payload: string;
  created_at: string;
  sent_at: string | null;
  attempts: bigint;
  last_error: string | null;
  /** When the relay may try a failed row again. */
  next_attempt_at: string;
  /** The W3C trace context the row was written in (JSON: traceparent, tracestate); the relay publishes under it. */
  trace_context: string | null;
}

export interface InboxRow {
  message_id: string;
  consumer: string;
  processed_at: string;
}

export const outboxInboxMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('destination', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'text')
      .addColumn('attempts', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .execute();
    // The relay's scan: unsent rows in order. Partial on both SQLite and PostgreSQL.
    await db.schema.createIndex('outbox_unsent').on('outbox').columns(['seq']).where(sql.ref('sent_at'), 'is', null).execute();

    await db.schema
      .createTable('inbox')
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('consumer', 'text', (c) => c.notNull())
      .addColumn('processed_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('inbox_pk', ['consumer', 'message_id'])
      .execute();
  },
};

/**
 * Adds the trace context column: a message published minutes later by the
 * relay (or after a restart) still belongs to the trace of the request that
 * caused it. Every service with an outbox lists this after its first migration.
 */
export const outboxTraceContextMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('outbox').addColumn('trace_context', 'text').execute();
  },
};
