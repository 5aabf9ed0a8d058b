/**
 * The notification service's internal HTTP contract, as the gateway reads it:
 * a stored notification, and what its /stream sends for each new one.
 */
export interface NotificationView {
  id: string;
  kind: string;
  title: string;
  body: string;
  payment_id: string | null;
  created_at: string;
  read: boolean;
}

/** One server-sent event of /stream: a new notification, its user, and the W3C trace context of the event that caused it. */
export interface LiveNotification {
  user_id: string;
  notification: NotificationView;
  trace_context?: { traceparent: string; tracestate?: string };
}
