import { parseEventEnvelope } from '../../messaging/consumer-host.ts';
import { stableMessageId, transactionalBatchHandler } from '../../messaging/inbox.ts';
import type { BatchHandler } from '../../messaging/queue-consumer.ts';
import type { Database } from '../../storage/database.ts';
import { appendToChain, type AuditEntry } from './chain.ts';
import type { AuditSchema } from './schema.ts';

/** Under load, how long the consumer lets a partial batch fill before its next receive. */
export const RECORD_BATCH_FILL_MS = 100;

/** The audit entry an EventBridge envelope on `audit-logs` records. */
export function auditEntryOf(body: string, eventId: string): AuditEntry {
  const event = parseEventEnvelope<Record<string, unknown>>(body);
  const detail = event.detail;
  return {
    eventId,
    source: event.source,
    detailType: event.detailType,
    actor: typeof detail.actor === 'string' ? detail.actor : typeof detail.sender_id === 'string' ? detail.sender_id : typeof detail.user_id === 'string' ? detail.user_id : undefined,
    payload: detail,
    occurredAt: event.time ?? new Date().toISOString(),
  };
}

/**
 * Every domain event, from `audit-logs`, into the hash-chained log: a
 * received batch is chained in one transaction (one commit); the log's unique
 * event ids are its inbox.
 */
export function auditBatchHandler(database: Database<AuditSchema>): BatchHandler {
  return transactionalBatchHandler(
    database.db,
    (message) => auditEntryOf(message.body, stableMessageId(message)),
    (trx, entry) => appendToChain(trx, entry, database.dialect),
  );
}
