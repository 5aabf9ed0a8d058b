import type { Kysely, Migration } from 'kysely';

const initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('eb_event_buses')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('description', 'text')
      .addColumn('created_ms', 'bigint', (c) => c.notNull())
      .addColumn('modified_ms', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('eb_rules')
      .addColumn('bus_name', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('event_pattern', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('role_arn', 'text')
      .addColumn('created_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('eb_rules_pk', ['bus_name', 'name'])
      .execute();

    await db.schema
      .createTable('eb_targets')
      .addColumn('bus_name', 'text', (c) => c.notNull())
      .addColumn('rule_name', 'text', (c) => c.notNull())
      .addColumn('target_id', 'text', (c) => c.notNull())
      .addColumn('arn', 'text', (c) => c.notNull())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('created_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('eb_targets_pk', ['bus_name', 'rule_name', 'target_id'])
      .execute();

    await db.schema
      .createTable('eb_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('bus_name', 'text', (c) => c.notNull())
      .addColumn('rule_arn', 'text', (c) => c.notNull())
      .addColumn('target_id', 'text', (c) => c.notNull())
      .addColumn('target_arn', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('message_group_id', 'text')
      .addColumn('dead_letter_arn', 'text')
      .addColumn('phase', 'text', (c) => c.notNull())
      .addColumn('attempts', 'bigint', (c) => c.notNull())
      .addColumn('max_retries', 'bigint', (c) => c.notNull())
      .addColumn('deadline_ms', 'bigint', (c) => c.notNull())
      .addColumn('next_attempt_ms', 'bigint', (c) => c.notNull())
      .addColumn('lease_until_ms', 'bigint', (c) => c.notNull())
      .addColumn('last_error_code', 'text')
      .addColumn('last_error_message', 'text')
      .addColumn('dead_letter_attributes', 'text')
      .addColumn('created_ms', 'bigint', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('eb_deliveries_due').on('eb_deliveries').columns(['next_attempt_ms', 'created_ms', 'seq']).execute();

    await db.schema
      .createTable('eb_archives')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('bus_name', 'text', (c) => c.notNull())
      .addColumn('event_source_arn', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('event_pattern', 'text')
      .addColumn('retention_days', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_ms', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('eb_archive_events')
      .addColumn('archive_name', 'text', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('event_time_ms', 'bigint', (c) => c.notNull())
      .addColumn('archived_ms', 'bigint', (c) => c.notNull())
      .addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('envelope', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('eb_archive_events_pk', ['archive_name', 'event_id'])
      .execute();
    await db.schema
      .createIndex('eb_archive_events_time')
      .on('eb_archive_events')
      .columns(['archive_name', 'event_time_ms', 'event_id'])
      .execute();

    await db.schema
      .createTable('eb_replays')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('archive_name', 'text', (c) => c.notNull())
      .addColumn('event_source_arn', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('destination', 'text', (c) => c.notNull())
      .addColumn('event_start_ms', 'bigint', (c) => c.notNull())
      .addColumn('event_end_ms', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('state_reason', 'text')
      .addColumn('replay_start_ms', 'bigint', (c) => c.notNull())
      .addColumn('replay_end_ms', 'bigint')
      .addColumn('last_replayed_ms', 'bigint')
      .addColumn('cursor_time_ms', 'bigint')
      .addColumn('cursor_event_id', 'text')
      .execute();
  },
};

/**
 * Each bus's resource policy (PutPermission, RemovePermission), the default
 * bus's too, which has no eb_event_buses row: a table of its own rather than a
 * column there. The policy is the JSON document DescribeEventBus returns.
 */
const busPolicies: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('eb_bus_policies')
      .addColumn('bus_name', 'text', (c) => c.primaryKey())
      .addColumn('policy', 'text', (c) => c.notNull())
      .addColumn('modified_ms', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/** Applied by the broker with `migrateToLatest(db, eventBridgeMigrations, 'eventbridge')`. */
export const eventBridgeMigrations: Record<string, Migration> = {
  '0001_eventbridge': initial,
  '0002_bus_policies': busPolicies,
};
