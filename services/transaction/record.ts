import type { Kysely, Transaction } from 'kysely';
import type { TransactionEventDetail } from '../../contracts/events.ts';
import { fromDouble } from '../../contracts/money.ts';
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
  // Insert-or-advance in one statement, so events of one payment handled at the same time
  // (compensation publishes funds_released and failed together) cannot overwrite each other:
  // the conflict branch sees the row as it is when the statement runs.
  await trx
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
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => {
        // Moves forward only; a status this service does not know (a seed client's) is overtaken by anything, as before.
        const advances = eb.or([eb('transactions.status', 'in', overtakenBy(status)), eb('transactions.status', 'not in', Object.keys(RANK))]);
        const ifAdvancing = (column: 'status' | 'updated_at' | 'reason') =>
          eb.case().when(advances).then(eb.ref(`excluded.${column}`)).else(eb.ref(`transactions.${column}`)).end();
        return {
          status: ifAdvancing('status').$notNull(),
          updated_at: ifAdvancing('updated_at').$notNull(),
          ...(detail.reason ? { reason: ifAdvancing('reason') } : {}),
          // The first event seen may have lacked wallet ids (a seed-style event): take them from any later one.
          sender_wallet_id: eb.fn.coalesce('transactions.sender_wallet_id', 'excluded.sender_wallet_id'),
          receiver_wallet_id: eb.fn.coalesce('transactions.receiver_wallet_id', 'excluded.receiver_wallet_id'),
        };
      }),
    )
    .execute();
  await trx
    .insertInto('transaction_events')
    .values({ transaction_id: detail.transaction_id, event_id: eventId, detail_type: detailType, status, reason: detail.reason ?? null, at: now })
    .onConflict((oc) => oc.columns(['transaction_id', 'event_id']).doNothing())
    .execute();
}
