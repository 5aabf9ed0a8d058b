/**
 * The operator admin API's answers, one name per shape, shared by the
 * gateway's admin routes, the operator console (web/src/console) and the CLI
 * (scripts/cli). The admin routes are kept out of the public OpenAPI document
 * (the admin surface is not advertised), so these types are the contract.
 * Types only and no imports: the browser build checks this file too.
 */

// ---- platform status ------------------------------------------------------

export interface ReadinessCheckView {
  status: 'ok' | 'failing';
  required: boolean;
  detail?: string;
}

export interface ServiceStatus {
  /** As `npm start` names it: user, payment, payment-v2, gateway, ... */
  name: string;
  address: string | null;
  state: 'ready' | 'not_ready' | 'unreachable';
  version: string | null;
  uptime_seconds: number | null;
  checks: Record<string, ReadinessCheckView>;
  /** Why it could not be asked (unreachable). */
  detail?: string;
}

export interface CanaryTarget {
  node: string;
  hostname: string;
  weight: number;
  /** Share of payment traffic, 0..100. */
  percent: number;
}

export interface PlatformStatus {
  checked_at: string;
  /** Every service ready. */
  ready: boolean;
  services: ServiceStatus[];
  canary: { route: string; targets: CanaryTarget[]; loaded_at: string | null; rejected: { at: string; error: string } | null };
}

// ---- queues and dead letters ----------------------------------------------

export interface QueueStatus {
  name: string;
  kind: 'queue' | 'dead_letter';
  /** Queues: their DLQ. */
  dead_letter_queue: string | null;
  /** DLQs: the queues that dead-letter into them (none for EventBridge's target DLQ). */
  source_queues: string[];
  max_receive_count: number | null;
  /** ApproximateNumberOfMessages (null when it could not be read). */
  messages: number | null;
  in_flight: number | null;
  delayed: number | null;
  /** DLQs: messages a DLQ handler parked (in flight, shown from its records). */
  parked: number;
  /** Seconds since the oldest message known here was sent; null where SQS does not say (CloudWatch's ApproximateAgeOfOldestMessage on AWS). */
  oldest_age_seconds: number | null;
  error?: string;
}

export interface QueuesView {
  checked_at: string;
  queues: QueueStatus[];
}

export interface DecodedBody {
  format: 'avro' | 'json' | 'text';
  value: unknown;
  schema_id?: number;
  error?: string;
}

export interface DeadLetterMessage {
  /** SQS's MessageId: what redrive and delete name. */
  message_id: string;
  queue: string;
  /** visible: waiting in the DLQ; parked: hidden there by the DLQ handler after an operations alert. */
  state: 'visible' | 'parked';
  source_queue: string | null;
  event_type: string | null;
  sent_at: string | null;
  receive_count: number | null;
  /** Redrives the DLQ handler already made. */
  redrives: number;
  failure_reason: string;
  parked_at?: string;
  parked_until?: string;
  body: DecodedBody;
  /** Message attributes (string values). */
  attributes: Record<string, string>;
}

export interface DeadLettersView {
  queue: string;
  source_queue: string | null;
  messages: DeadLetterMessage[];
  /** The visible ones were looked at up to a limit; there may be more. */
  truncated: boolean;
}

export interface DeadLetterActionResult {
  queue: string;
  action: 'redrive' | 'delete';
  done: string[];
  not_found: string[];
  failed: Array<{ message_id: string; reason: string }>;
}

// ---- sagas -------------------------------------------------------------------

export type SagaState = 'pending' | 'reservation_requested' | 'funds_reserved' | 'processing' | 'compensating' | 'completed' | 'failed';

export interface SagaSummary {
  id: string;
  state: SagaState;
  sender_id: string;
  receiver_id: string;
  amount: string;
  currency: string;
  failure_reason: string | null;
  accepted_by: string;
  created_at: string;
  updated_at: string;
  age_seconds: number;
  /** Seconds since its last step. */
  idle_seconds: number;
  stuck: boolean;
}

export interface SagaDetail extends SagaSummary {
  history: Array<{ status: string; detail: string | null; at: string }>;
}

export interface SagasView {
  sagas: SagaSummary[];
  counts: Record<SagaState, number>;
  stuck: number;
  stuck_after_seconds: number;
  step_timeout_seconds: number;
  next_before: string | null;
}

export interface DriveResult {
  outcome: 'compensation_started' | 'release_requested_again' | 'already_ended';
  state_before: SagaState;
  saga: SagaDetail;
}

// ---- audit -------------------------------------------------------------------

export interface AuditRecordView {
  seq: string;
  event_id: string;
  source: string;
  detail_type: string;
  actor: string | null;
  payload: unknown;
  occurred_at: string;
  recorded_at: string;
  prev_hash: string;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  records: number;
  broken_at: string | null;
  problem: string | null;
  checked_at: string;
}

export interface AuditView {
  records: AuditRecordView[];
  total: string;
  next_before: string | null;
}

/** The detail of an `Operator action` event (source paypal-clone.operations), which the audit rule records. */
export interface OperatorActionDetail {
  /** The operator's user id: the audit log's actor. */
  actor: string;
  action: string;
  target: string;
  parameters: Record<string, unknown>;
  requested_at: string;
}

// ---- events replay -----------------------------------------------------------

export interface ReplayView {
  name: string;
  state: string;
  reason: string | null;
  from: string;
  to: string;
  started_at: string | null;
  ended_at: string | null;
  last_replayed_at: string | null;
  /** 0..1, from how far into the window it has got. */
  progress: number;
}

// ---- operators ---------------------------------------------------------------

export interface OperatorView {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: 'operator';
  created_at: string;
  /** Only when the API made the password up: shown this once. */
  password?: string;
}

// ---- breakers and activity ---------------------------------------------------

export interface BreakerView {
  target: string;
  state: 'closed' | 'open' | 'half_open' | 'isolated';
  failureThreshold: number;
  halfOpenAfterMs: number;
  lastFailure: string | undefined;
  lastChange: string;
  halfOpenAt: string | undefined;
}

export interface ActivitySample {
  at: string;
  /** Payments the platform accepted per second over the interval before `at`. */
  payments_per_second: number;
  /** Sagas that ended in the interval, by outcome. */
  completed: number;
  failed: number;
}

export interface ActivityView {
  interval_seconds: number;
  samples: ActivitySample[];
}
