import type { Kysely } from 'kysely';
import { SOURCES, type TransactionEventDetail } from '../../contracts/events.ts';
import { parseEventEnvelope } from '../../messaging/consumer-host.ts';
import { inboxBatchHandler, stableMessageId } from '../../messaging/inbox.ts';
import type { BatchHandler } from '../../messaging/queue-consumer.ts';
import { applyTransactionEvent, CONSUMER } from './record.ts';
import type { TransactionSchema } from './schema.ts';

/** Under load, how long the consumer lets a partial batch fill before its next receive. */
export const RECORD_BATCH_FILL_MS = 100;

/**
 * The `transaction-events` queue's handler: a received batch is recorded in
 * one transaction (one commit), each event once (inbox); events from other
 * sources are not this record's.
 */
export function transactionEventsBatchHandler(db: Kysely<TransactionSchema>): BatchHandler {
  return inboxBatchHandler(db, CONSUMER, (message) => {
    const event = parseEventEnvelope<TransactionEventDetail>(message.body);
    if (event.source !== SOURCES.transaction || !event.detail.transaction_id) return undefined;
    const eventId = stableMessageId(message);
    return { messageId: eventId, effect: (trx) => applyTransactionEvent(trx, eventId, event.detailType, event.detail) };
  });
}
