import { EventEmitter } from 'node:events';
import type { LiveNotification, NotificationView } from '../../contracts/notifications.ts';
import type { NotificationRow } from './schema.ts';

export function presentNotification(n: NotificationRow): NotificationView {
  return { id: n.id, kind: n.kind, title: n.title, body: n.body, payment_id: n.payment_id, created_at: n.created_at, read: n.read_at !== null };
}

/** New notifications, once durable, to every open stream of this process (the gateways' subscriptions). */
export class LiveFeed {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(item: LiveNotification): void {
    this.emitter.emit('notification', item);
  }

  /** Returns the unsubscribe. */
  subscribe(listener: (item: LiveNotification) => void): () => void {
    this.emitter.on('notification', listener);
    return () => this.emitter.off('notification', listener);
  }

  close(): void {
    this.emitter.removeAllListeners();
  }
}
