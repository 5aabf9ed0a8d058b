import type { OutboxTables } from '../../messaging/outbox-schema.ts';

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
