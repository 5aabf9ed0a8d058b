import type { Kysely, Transaction } from 'kysely';
import { inBatchTransaction, inTransaction } from '../storage/transaction.ts';
import type { OutboxTables } from './outbox-schema.ts';
import type { BatchHandler, ReceivedMessage } from './queue-consumer.ts';

/**
 * Applies a message's effect at most once per consumer: the inbox row and the
 * effect commit in one transaction, so redelivery, relay duplicates and DLQ
 * redrives are recognised and skipped. Returns whether the effect ran.
 */
export async function handleOnce<DB, T>(
  db: Kysely<DB>,
  consumer: string,
  messageId: string,
  effect: (trx: Transaction<DB>) => Promise<T>,
): Promise<{ duplicate: true } | { duplicate: false; result: T }> {
  return inTransaction(db, (trx) => applyOnce(trx, consumer, { messageId, effect }));
}

/** One message's effect, applied once per consumer (inboxBatchHandler). */
export interface InboxItem<DB, T> {
  messageId: string;
  effect: (trx: Transaction<DB>) => Promise<T>;
}

/**
 * A queue consumer's batch handler that applies a received batch in one
 * database transaction: `plan` turns each message into what to apply
 * (undefined: nothing to do; a throw: the message is bad), `apply` runs inside
 * the transaction and inside the message's span (and must itself make a
 * redelivered message a no-op), and `committed` gets the results once they
 * are durable. A failing message fails alone (inBatchTransaction).
 */
export function transactionalBatchHandler<DB, P, T>(
  db: Kysely<DB>,
  plan: (message: ReceivedMessage) => P | undefined,
  apply: (trx: Transaction<DB>, planned: P) => Promise<T>,
  committed: (results: T[]) => void = () => {},
): BatchHandler {
  return async (messages, traced) => {
    const outcomes: unknown[] = messages.map(() => undefined);
    const planned: Array<{ message: ReceivedMessage; position: number; unit: P }> = [];
    messages.forEach((message, position) => {
      try {
        const unit = plan(message);
        if (unit !== undefined) planned.push({ message, position, unit });
      } catch (err) {
        outcomes[position] = err;
        // Through the span, so the refusal is logged and counted like any failed message.
        traced(message, () => Promise.reject(err)).catch(() => {});
      }
    });
    const results: T[] = [];
    (await inBatchTransaction(db, planned, (trx, p) => traced(p.message, () => apply(trx, p.unit)))).forEach((outcome, k) => {
      if ('error' in outcome) outcomes[planned[k]!.position] = outcome.error;
      else results.push(outcome.result);
    });
    if (results.length > 0) committed(results);
    return outcomes;
  };
}

/** transactionalBatchHandler with the inbox: each message's effect applied once per consumer; `committed` gets the new ones' results. */
export function inboxBatchHandler<DB, T>(
  db: Kysely<DB>,
  consumer: string,
  plan: (message: ReceivedMessage) => InboxItem<DB, T> | undefined,
  committed: (results: T[]) => void = () => {},
): BatchHandler {
  return transactionalBatchHandler(db, plan, (trx, item) => applyOnce(trx, consumer, item), (outcomes) => {
    const results = outcomes.flatMap((o) => (o.duplicate ? [] : [o.result]));
    if (results.length > 0) committed(results);
  });
}

async function applyOnce<DB, T>(trx: Transaction<DB>, consumer: string, item: InboxItem<DB, T>): Promise<{ duplicate: true } | { duplicate: false; result: T }> {
  const inserted = await (trx as unknown as Transaction<OutboxTables>)
    .insertInto('inbox')
    .values({ message_id: item.messageId, consumer, processed_at: new Date().toISOString() })
    .onConflict((oc) => oc.columns(['consumer', 'message_id']).doNothing())
    .returning('message_id')
    .executeTakeFirst();
  if (!inserted) return { duplicate: true as const };
  return { duplicate: false as const, result: await item.effect(trx) };
}

/**
 * The stable id of a message for the inbox: PayMesh's `message_id` attribute for
 * queue messages, the outbox `event_id` inside an EventBridge envelope's detail,
 * else the envelope id.
 */
export function stableMessageId(message: { id: string; sqsMessageId: string; body: string; attributes: Record<string, string> }): string {
  if (message.attributes.message_id) return message.attributes.message_id;
  try {
    const envelope = JSON.parse(message.body) as { id?: unknown; detail?: { event_id?: unknown } };
    if (typeof envelope.detail?.event_id === 'string') return envelope.detail.event_id;
    if (typeof envelope.id === 'string' && envelope.detail) return `event:${envelope.id}`;
  } catch {
    // not JSON: fall back to the SQS id
  }
  return message.id;
}
