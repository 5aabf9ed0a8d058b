import type { OutboxTables } from '../../messaging/outbox-schema.ts';

export interface AuditRecordRow {
  seq: bigint;
  event_id: string;
  source: string;
  detail_type: string;
  /** Who caused it, when known (a user or operator id). */
  actor: string | null;
  payload: string;
  occurred_at: string;
  recorded_at: string;
  prev_hash: string;
  hash: string;
}

export interface AuditSchema extends OutboxTables {
  audit_records: AuditRecordRow;
  audit_head: { id: bigint; seq: bigint; hash: string };
}
