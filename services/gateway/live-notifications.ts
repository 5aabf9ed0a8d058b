import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { LiveNotification } from '../../contracts/notifications.ts';
import { gauge } from '../../observability/metrics.ts';
import { contextFromCarrier, type TraceCarrier } from '../../observability/propagation.ts';
import { SpanKind, withSpan } from '../../observability/tracing.ts';

const connections = gauge('websocket_connections', 'Open WebSocket connections on the gateway');

/**
 * Fans the notification service's stream out to users' WebSockets. One
 * server-sent-events subscription per gateway, reconnected with backoff if it
 * drops; a notification missed meanwhile is still stored and can be fetched.
 */
export class LiveNotifications {
  private readonly streamUrl: string;
  private readonly log: Logger;
  private readonly sockets = new Map<string, Set<WebSocket>>();
  private abort = new AbortController();
  private stopped = false;

  constructor(notificationServiceUrl: string, log: Logger) {
    this.streamUrl = `${notificationServiceUrl}/stream`;
    this.log = log;
  }

  start(): void {
    void this.subscribe(250);
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    for (const set of this.sockets.values()) for (const socket of set) socket.close(1001, 'gateway shutting down');
  }

  add(userId: string, socket: WebSocket): void {
    const set = this.sockets.get(userId) ?? new Set();
    set.add(socket);
    this.sockets.set(userId, set);
    connections.inc();
    socket.on('close', () => {
      set.delete(socket);
      if (set.size === 0) this.sockets.delete(userId);
      connections.dec();
    });
  }

  /** Sends a message to every open socket of one user. */
  push(userId: string, message: unknown): number {
    const set = this.sockets.get(userId);
    if (!set) return 0;
    const text = JSON.stringify(message);
    for (const socket of set) if (socket.readyState === socket.OPEN) socket.send(text);
    return set.size;
  }

  /** The push as the last hop of the trace that caused the notification (its context comes along in the stream item). */
  private pushInTrace(userId: string, message: unknown, carrier: TraceCarrier | undefined): void {
    if (!carrier) {
      this.push(userId, message);
      return;
    }
    void withSpan(
      'websocket push',
      { kind: SpanKind.PRODUCER, parent: contextFromCarrier(carrier), attributes: { user_id: userId, 'messaging.system.name': 'websocket', 'messaging.operation.type': 'send' } },
      async (span) => {
        span.setAttribute('websocket.sockets', this.push(userId, message));
      },
    );
  }

  private async subscribe(retryMs: number): Promise<void> {
    while (!this.stopped) {
      try {
        const response = await fetch(this.streamUrl, { signal: this.abort.signal, headers: { accept: 'text/event-stream' } });
        if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
        retryMs = 250;
        let buffer = '';
        for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            if (!data) continue;
            const item = JSON.parse(data) as LiveNotification;
            this.pushInTrace(item.user_id, { type: 'notification', notification: item.notification }, item.trace_context);
          }
        }
      } catch (err) {
        if (this.stopped) return;
        this.log.debug({ err: (err as Error).message }, 'notification stream unavailable; reconnecting');
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      retryMs = Math.min(retryMs * 2, 5000);
    }
  }
}
