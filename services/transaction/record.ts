import type { Kysely, Transaction } from 'kysely';
import type { TransactionEventDetail } from '../../contracts/events.ts';
import { fromDouble } from '../../core/money.ts';
import { handleOnce } from '../../messaging/inbox.ts';
import type { TransactionSchema } from './schema.ts';

/** How far along a status is: a late, out-of-order event never moves a record backwards. */
const RANK: Record<string, number> = {
  pending: 0,
  reservation_requested: 1,
  funds_reserved: 2,
  processing: 3,
  compensating: 4,
  funds_released: 5,
  completed: 6,
  failed: 6,
};

/** The statuses a record may move from to `status`: never backwards, never out of an end. */
function overtakenBy(status: string): string[] {
  const rank = RANK[status] ?? 0;
  return Object.keys(RANK).filter((s) => s !== 'completed' && s !== 'failed' && RANK[s]! <= rank);
}

export const CONSUMER = 'transaction-events';

/**
 * Records one `Transaction <event>` for both parties, once per event id.
 * Returns false for a duplicate.
 */
export async function recordTransactionEvent(db: Kysely<TransactionSchema>, eventId: string, detailType: string, detail: TransactionEventDetail): Promise<boolean> {
  const outcome = await handleOnce(db, CONSUMER, eventId, (trx) => applyTransactionEvent(trx, eventId, detailType, detail));
  return !outcome.duplicate;
}

/** The effect of one `Transaction <event>` on the record, inside the caller's transaction (with its inbox row). */
export async function applyTransactionEvent(trx: Transaction<TransactionSchema>, eventId: string, detailType: string, detail: TransactionEventDetail): Promise<void> {
  const now = detail.timestamp || new Date().toISOString();
  const status = detail.status;
  // Insert-or-advance in single statements, so events of one payment handled at the same time
  // (compensation publishes funds_released and failed together) cannot overwrite each other.
  const inserted = await trx
    .insertInto('transactions')
    .values({
      id: detail.transaction_id,
      sender_id: detail.sender_id,
      receiver_id: detail.receiver_id,
      sender_wallet_id: detail.sender_wallet_id || null,
      receiver_wallet_id: detail.receiver_wallet_id || null,
      // Seed-style events carry only the double amount: it must convert exactly.
      amount: detail.amount_minor ? BigInt(detail.amount_minor) : fromDouble(detail.amount, detail.currency),
      currency: detail.currency,
      status,
      note: detail.note ?? null,
      reason: detail.reason ?? null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) {
    // Moves forward only: the condition is checked against the row as it is when the update runs.
    await trx
      .updateTable('transactions')
      .set({ status, updated_at: now, ...(detail.reason ? { reason: detail.reason } : {}) })
      .where('id', '=', detail.transaction_id)
      // A status this service does not know (a seed client's) is overtaken by anything, as before.
      .where((eb) => eb.or([eb('status', 'in', overtakenBy(status)), eb('status', 'not in', Object.keys(RANK))]))
      .execute();
    // The first event seen may have lacked wallet ids (a seed-style event): take them from any later one.
    if (detail.sender_wallet_id) {
      await trx.updateTable('transactions').set({ sender_wallet_id: detail.sender_wallet_id }).where('id', '=', detail.transaction_id).where('sender_wallet_id', 'is', null).execute();
    }
    if (detail.receiver_wallet_id) {
      await trx.updateTable('transactions').set({ receiver_wallet_id: detail.receiver_wallet_id }).where('id', '=', detail.transaction_id).where('receiver_wallet_id', 'is', null).execute();
    }
  }
  await trx
    .insertInto('transaction_events')
    .values({ transaction_id: detail.transaction_id, event_id: eventId, detail_type: detailType, status, reason: detail.reason ?? null, at: now })
    .onConflict((oc) => oc.columns(['transaction_id', 'event_id']).doNothing())
    .execute();
}
