import type { Kysely } from 'kysely';
import { parseEventEnvelope } from '../../messaging/consumer-host.ts';
import { inboxBatchHandler, stableMessageId } from '../../messaging/inbox.ts';
import type { BatchHandler } from '../../messaging/queue-consumer.ts';
import { traceCarrier } from '../../observability/propagation.ts';
import { presentNotification, type LiveFeed } from './live-feed.ts';
import type { NotificationSchema } from './schema.ts';
import { CONSUMER, insertNotifications, notificationsFor } from './store.ts';

/**
 * The `notifications` queue's handler: a received batch is stored in one
 * transaction (one commit), each event once (inbox), and pushed to the live
 * feed once durable, so a push never announces what a crash could undo.
 */
export function notificationBatchHandler(db: Kysely<NotificationSchema>, feed: LiveFeed): BatchHandler {
  return inboxBatchHandler(
    db,
    CONSUMER,
    (message) => {
      const event = parseEventEnvelope<Record<string, unknown>>(message.body);
      const drafts = notificationsFor(event.detailType, event.detail);
      if (drafts.length === 0) return undefined;
      const eventId = stableMessageId(message);
      // The trace context goes along, so the gateway's WebSocket push joins the event's trace.
      return { messageId: eventId, effect: async (trx) => ({ rows: await insertNotifications(trx, eventId, drafts), trace: traceCarrier() }) };
    },
    (stored) => {
      for (const { rows, trace } of stored) for (const n of rows) feed.publish({ user_id: n.user_id, notification: presentNotification(n), trace_context: trace });
    },
  );
}
