import type { Kysely, Transaction } from 'kysely';
import { inTransaction } from '../storage/transaction.ts';
import type { OutboxTables } from './outbox-schema.ts';

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
  return inTransaction(db, async (trx) => {
    const inserted = await (trx as unknown as Transaction<OutboxTables>)
      .insertInto('inbox')
      .values({ message_id: messageId, consumer, processed_at: new Date().toISOString() })
      .onConflict((oc) => oc.columns(['consumer', 'message_id']).doNothing())
      .returning('message_id')
      .executeTakeFirst();
    if (!inserted) return { duplicate: true as const };
    return { duplicate: false as const, result: await effect(trx) };
  });
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
