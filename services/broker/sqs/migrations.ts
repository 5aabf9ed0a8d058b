import { SqliteAdapter, sql, type Kysely, type Migration } from 'kysely';

/**
 * Row ids are never reused (AUTOINCREMENT on SQLite, a sequence on
 * PostgreSQL): a receipt handle names a row, so a reused id would let a
 * stale handle touch a newer message.
 */
function idColumn(db: Kysely<any>, table: ReturnType<Kysely<any>['schema']['createTable']>) {
  return db.getExecutor().adapter instanceof SqliteAdapter
    ? table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    : table.addColumn('id', 'bigserial', (c) => c.primaryKey());
}

const initial: Migration = {
  async up(db: Kysely<any>) {
    await idColumn(db, db.schema.createTable('sqs_queues'))
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('fifo', 'integer', (c) => c.notNull())
      /** The settable attributes as AWS names them, values as strings (JSON object). */
      .addColumn('attributes', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('created_ms', 'bigint', (c) => c.notNull())
      .addColumn('modified_ms', 'bigint', (c) => c.notNull())
      .addColumn('last_purge_ms', 'bigint')
      .execute();

    await idColumn(db, db.schema.createTable('sqs_messages'))
      .addColumn('queue_id', 'bigint', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('md5_body', 'text', (c) => c.notNull())
      /** MessageAttributes as JSON (binary values base64), null when none. */
      .addColumn('attributes', 'text')
      /** AWSTraceHeader, the one message system attribute a sender may set. */
      .addColumn('trace_header', 'text')
      .addColumn('sender_id', 'text', (c) => c.notNull())
      .addColumn('sent_ms', 'bigint', (c) => c.notNull())
      /** When the message can next be received; FIFO messages queued behind their group's head hold BLOCKED (2^53 - 1). */
      .addColumn('visible_at', 'bigint', (c) => c.notNull())
      .addColumn('receive_count', 'integer', (c) => c.notNull())
      .addColumn('first_receive_ms', 'bigint')
      .addColumn('last_receive_ms', 'bigint')
      .addColumn('group_id', 'text')
      .addColumn('dedup_id', 'text')
      .addColumn('dead_letter_source_arn', 'text')
      .execute();
    // Receive: the visible messages of one queue, oldest first (also counts by state).
    await db.schema.createIndex('sqs_messages_receive').on('sqs_messages').columns(['queue_id', 'visible_at', 'id']).execute();
    // Retention expiry.
    await db.schema.createIndex('sqs_messages_sent').on('sqs_messages').columns(['queue_id', 'sent_ms']).execute();
    // FIFO: a group's head and the messages behind it, in order; and whether any of the group is in flight.
    await db.schema
      .createIndex('sqs_messages_group_order')
      .on('sqs_messages')
      .columns(['queue_id', 'group_id', 'id'])
      .where(sql.ref('group_id'), 'is not', null)
      .execute();
    await db.schema
      .createIndex('sqs_messages_group_visibility')
      .on('sqs_messages')
      .columns(['queue_id', 'group_id', 'visible_at'])
      .where(sql.ref('group_id'), 'is not', null)
      .execute();

    await db.schema
      .createTable('sqs_deduplication')
      .addColumn('queue_id', 'bigint', (c) => c.notNull())
      .addColumn('dedup_key', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('sequence_number', 'text', (c) => c.notNull())
      .addColumn('expires_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('sqs_deduplication_pk', ['queue_id', 'dedup_key'])
      .execute();
    await db.schema.createIndex('sqs_deduplication_expiry').on('sqs_deduplication').column('expires_ms').execute();

    await db.schema
      .createTable('sqs_move_tasks')
      .addColumn('task_handle', 'text', (c) => c.primaryKey())
      .addColumn('source_arn', 'text', (c) => c.notNull())
      .addColumn('destination_arn', 'text')
      .addColumn('max_per_second', 'integer')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('started_ms', 'bigint', (c) => c.notNull())
      .addColumn('to_move', 'bigint', (c) => c.notNull())
      .addColumn('moved', 'bigint', (c) => c.notNull())
      /** Only messages already in the source queue when the task started (row id up to this) are moved. */
      .addColumn('last_message_row', 'bigint', (c) => c.notNull())
      .addColumn('failure_reason', 'text')
      .execute();
    await db.schema.createIndex('sqs_move_tasks_source').on('sqs_move_tasks').columns(['source_arn', 'started_ms']).execute();

    // AWS refuses to recreate a queue name for 60 seconds after DeleteQueue.
    await db.schema
      .createTable('sqs_deleted_queues')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('deleted_ms', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/**
 * FIFO receives made with a ReceiveRequestAttemptId, for 5 minutes: a retry
 * with the same id gets the same messages and receipt handles (receive.ts).
 */
const receiveAttempts: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('sqs_receive_attempts')
      .addColumn('queue_id', 'bigint', (c) => c.notNull())
      .addColumn('attempt_id', 'text', (c) => c.notNull())
      /** The messages handed out, in order, as JSON [row id, receive count, visible_at] triples. */
      .addColumn('messages', 'text', (c) => c.notNull())
      .addColumn('expires_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('sqs_receive_attempts_pk', ['queue_id', 'attempt_id'])
      .execute();
    // Housekeeping drops attempts past their window.
    await db.schema.createIndex('sqs_receive_attempts_expiry').on('sqs_receive_attempts').column('expires_ms').execute();
  },
};

/** Applied by the broker with `migrateToLatest(db, sqsMigrations, 'sqs')`. */
export const sqsMigrations: Record<string, Migration> = {
  '0001_sqs': initial,
  '0002_sqs_receive_attempts': receiveAttempts,
};
