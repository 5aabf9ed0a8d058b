import type { Kysely } from 'kysely';
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

export const CONSUMER = 'transaction-events';

/**
 * Records one `Transaction <event>` for both parties, once per event id.
 * Returns false for a duplicate.
 */
export async function recordTransactionEvent(db: Kysely<TransactionSchema>, eventId: string, detailType: string, detail: TransactionEventDetail): Promise<boolean> {
  const outcome = await handleOnce(db, CONSUMER, eventId, async (trx) => {
    const now = detail.timestamp || new Date().toISOString();
    const status = detail.status;
    const existing = await trx.selectFrom('transactions').selectAll().where('id', '=', detail.transaction_id).executeTakeFirst();
    if (!existing) {
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
        .execute();
    } else {
      if ((RANK[status] ?? 0) >= (RANK[existing.status] ?? 0) && !(existing.status === 'completed' || existing.status === 'failed')) {
        await trx
          .updateTable('transactions')
          .set({ status, updated_at: now, ...(detail.reason ? { reason: detail.reason } : {}) })
          .where('id', '=', detail.transaction_id)
          .execute();
      }
      // The first event seen may have lacked wallet ids (a seed-style event): take them from any later one.
      const walletIds = {
        ...(!existing.sender_wallet_id && detail.sender_wallet_id ? { sender_wallet_id: detail.sender_wallet_id } : {}),
        ...(!existing.receiver_wallet_id && detail.receiver_wallet_id ? { receiver_wallet_id: detail.receiver_wallet_id } : {}),
      };
      if (Object.keys(walletIds).length > 0) {
        await trx.updateTable('transactions').set(walletIds).where('id', '=', detail.transaction_id).execute();
      }
    }
    await trx
      .insertInto('transaction_events')
      .values({ transaction_id: detail.transaction_id, event_id: eventId, detail_type: detailType, status, reason: detail.reason ?? null, at: now })
      .onConflict((oc) => oc.columns(['transaction_id', 'event_id']).doNothing())
      .execute();
  });
  return !outcome.duplicate;
}
