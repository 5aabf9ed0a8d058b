import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { TRANSACTION_EVENTS, USER_EVENTS, type TransactionEventDetail, type UserEventDetail } from '../../contracts/events.ts';
import { formatMinor } from '../../contracts/money.ts';
import type { NotificationRow, NotificationSchema } from './schema.ts';

export type NotificationDraft = Omit<NotificationRow, 'id' | 'created_at' | 'read_at'>;

/** What each party is told about an event; nothing for events no one needs to hear about. */
export function notificationsFor(detailType: string, detail: Record<string, unknown>): NotificationDraft[] {
  if (detailType.startsWith('Transaction ')) {
    const t = detail as unknown as TransactionEventDetail;
    const amount = `${formatMinor(BigInt(t.amount_minor), t.currency)} ${t.currency}`;
    const payment = { payment_id: t.transaction_id };
    switch (detailType) {
      case TRANSACTION_EVENTS.completed:
        return [
          { user_id: t.sender_id, kind: 'payment_sent', title: 'Payment sent', body: `You sent ${amount}.`, ...payment },
          { user_id: t.receiver_id, kind: 'payment_received', title: 'Payment received', body: `You received ${amount}${t.note ? `: ${t.note}` : '.'}`, ...payment },
        ];
      case TRANSACTION_EVENTS.failed:
        return [{ user_id: t.sender_id, kind: 'payment_failed', title: 'Payment failed', body: `Your payment of ${amount} failed${t.reason ? `: ${t.reason}` : '.'}`, ...payment }];
      case TRANSACTION_EVENTS.fundsReserved:
        return [{ user_id: t.sender_id, kind: 'payment_progress', title: 'Funds reserved', body: `${amount} is reserved for your payment.`, ...payment }];
      default:
        return [];
    }
  }
  if (detailType === USER_EVENTS.registered) {
    const u = detail as unknown as UserEventDetail;
    return [{ user_id: u.user_id, kind: 'welcome', title: 'Welcome to PayMesh', body: 'Your account and wallet are ready.', payment_id: null }];
  }
  return [];
}

/** The inbox's consumer name for the notifications queue. */
export const CONSUMER = 'notifications';

/** An event's notifications, inside the caller's transaction (with its inbox row); ids derive from the event, so a retry adds none. */
export async function insertNotifications(trx: Transaction<NotificationSchema>, eventId: string, drafts: NotificationDraft[]): Promise<NotificationRow[]> {
  const now = new Date().toISOString();
  const rows = drafts.map((d) => ({ ...d, id: deterministicId(eventId, d.user_id, d.kind), created_at: now, read_at: null }));
  await trx.insertInto('notifications').values(rows).onConflict((oc) => oc.column('id').doNothing()).execute();
  return rows;
}

function deterministicId(eventId: string, userId: string, kind: string): string {
  const h = createHash('sha256').update(`${eventId}\0${userId}\0${kind}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A user's notifications, newest first, and how many of all of theirs are unread. */
export async function listNotifications(
  db: Kysely<NotificationSchema>,
  userId: string,
  options: { unreadOnly: boolean; limit: number },
): Promise<{ rows: NotificationRow[]; unread: number }> {
  const rows = await db
    .selectFrom('notifications')
    .selectAll()
    .where('user_id', '=', userId)
    .$if(options.unreadOnly, (q) => q.where('read_at', 'is', null))
    .orderBy('created_at', 'desc')
    .limit(options.limit)
    .execute();
  const unread = await db.selectFrom('notifications').select((eb) => eb.fn.countAll<bigint>().as('n')).where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirst();
  return { rows, unread: Number(unread?.n ?? 0) };
}

/** Marks a user's unread notifications read: those named, or all of them. Returns how many changed. */
export async function markRead(db: Kysely<NotificationSchema>, userId: string, ids?: string[]): Promise<number> {
  if (ids && ids.length === 0) return 0;
  const result = await db
    .updateTable('notifications')
    .set({ read_at: new Date().toISOString() })
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .$if(!!ids, (q) => q.where('id', 'in', ids!))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
