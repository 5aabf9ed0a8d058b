import { createHash } from 'node:crypto';
import type { Kysely, Migration, Transaction } from 'kysely';
import { TRANSACTION_EVENTS, USER_EVENTS, type TransactionEventDetail, type UserEventDetail } from '../../contracts/events.ts';
import { formatMinor } from '../../core/money.ts';
import { outboxInboxMigration, outboxTraceContextMigration, type OutboxTables } from '../../messaging/outbox-schema.ts';

export interface NotificationRow {
  id: string;
  user_id: string;
  kind: string;
  title: string;
  body: string;
  payment_id: string | null;
  created_at: string;
  read_at: string | null;
}

export interface NotificationSchema extends OutboxTables {
  notifications: NotificationRow;
}

const notifications: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('notifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('payment_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('read_at', 'text')
      .execute();
    await db.schema.createIndex('notifications_user').on('notifications').columns(['user_id', 'created_at']).execute();
  },
};

export const notificationMigrations: Record<string, Migration> = {
  '0001_outbox_inbox': outboxInboxMigration,
  '0002_notifications': notifications,
  '0003_outbox_trace_context': outboxTraceContextMigration,
};

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
