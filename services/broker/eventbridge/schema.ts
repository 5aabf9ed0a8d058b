/**
 * The EventBridge half's tables in the broker's database, as Kysely sees them.
 * Only this folder touches them. Times are epoch milliseconds (bigint columns,
 * read back as bigint on both SQLite and PostgreSQL).
 */
export interface EventBridgeSchema {
  eb_event_buses: EventBusRow;
  eb_rules: RuleRow;
  eb_targets: TargetRow;
  eb_deliveries: DeliveryRow;
  eb_archives: ArchiveRow;
  eb_archive_events: ArchiveEventRow;
  eb_replays: ReplayRow;
  eb_bus_policies: BusPolicyRow;
}

/** Custom buses only: the `default` bus always exists and has no row. */
export interface EventBusRow {
  name: string;
  description: string | null;
  created_ms: bigint | number;
  modified_ms: bigint | number;
}

/** A bus's resource policy (the default bus's too), as the JSON document DescribeEventBus returns. */
export interface BusPolicyRow {
  bus_name: string;
  policy: string;
  modified_ms: bigint | number;
}

export type RuleState = 'ENABLED' | 'DISABLED';

export interface RuleRow {
  bus_name: string;
  name: string;
  event_pattern: string | null;
  state: RuleState;
  description: string | null;
  role_arn: string | null;
  created_ms: bigint | number;
}

export interface TargetRow {
  bus_name: string;
  rule_name: string;
  target_id: string;
  arn: string;
  /** The target as PutTargets received it (after validation), as JSON. */
  spec: string;
  created_ms: bigint | number;
}

/** `target` while delivering to the rule's target, `dead-letter` once retries are exhausted and the event goes to the DLQ. */
export type DeliveryPhase = 'target' | 'dead-letter';

/**
 * One event on its way to one target. Written in the same transaction that
 * acknowledges PutEvents (or replays an archived event), deleted once the
 * queue has it. The body is rendered when the row is written, so later rule
 * or target changes do not alter an event already routed.
 */
export interface DeliveryRow {
  id: string;
  event_id: string;
  bus_name: string;
  rule_arn: string;
  target_id: string;
  target_arn: string;
  body: string;
  /** The event envelope as JSON: what the dead-letter queue receives. */
  event: string;
  message_group_id: string | null;
  dead_letter_arn: string | null;
  phase: DeliveryPhase;
  /** Failed attempts in the current phase. */
  attempts: bigint | number;
  /** Retries allowed in the current phase after the first attempt. */
  max_retries: bigint | number;
  /** No attempt in the current phase is made after this time. */
  deadline_ms: bigint | number;
  next_attempt_ms: bigint | number;
  /** A worker that claimed the row owns it until then (0: unclaimed). */
  lease_until_ms: bigint | number;
  last_error_code: string | null;
  last_error_message: string | null;
  /** The attributes the dead-letter queue message carries (ERROR_CODE, RULE_ARN, ...), as JSON, once retries are exhausted. */
  dead_letter_attributes: string | null;
  created_ms: bigint | number;
  /** Order of routing within one transaction, so deliveries keep the order events were put in. */
  seq: bigint | number;
}

export interface ArchiveRow {
  name: string;
  bus_name: string;
  event_source_arn: string;
  description: string | null;
  event_pattern: string | null;
  /** 0 keeps events indefinitely. */
  retention_days: bigint | number;
  state: 'ENABLED' | 'DISABLED';
  created_ms: bigint | number;
}

export interface ArchiveEventRow {
  archive_name: string;
  event_id: string;
  /** The event's own `time`, which replay windows select on. */
  event_time_ms: bigint | number;
  archived_ms: bigint | number;
  size_bytes: bigint | number;
  envelope: string;
}

export type ReplayState = 'STARTING' | 'RUNNING' | 'CANCELLING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';

export interface ReplayRow {
  name: string;
  archive_name: string;
  event_source_arn: string;
  description: string | null;
  /** `{ Arn, FilterArns? }` as JSON. */
  destination: string;
  event_start_ms: bigint | number;
  event_end_ms: bigint | number;
  state: ReplayState;
  state_reason: string | null;
  replay_start_ms: bigint | number;
  replay_end_ms: bigint | number | null;
  last_replayed_ms: bigint | number | null;
  /** The last archived event replayed, by (event_time_ms, event_id): where a resumed replay continues. */
  cursor_time_ms: bigint | number | null;
  cursor_event_id: string | null;
}
