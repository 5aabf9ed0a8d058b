import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigReader } from '../../core/config.ts';
import { createHttpApp } from '../../core/http-app.ts';
import { QUEUES } from '../../contracts/topology.ts';
import { createSqsClient, type MessagingConfig } from '../../messaging/aws.ts';
import { consumeWhenReady, parseEventEnvelope } from '../../messaging/consumer-host.ts';
import { inboxBatchHandler, stableMessageId } from '../../messaging/inbox.ts';
import { QueueDirectory } from '../../messaging/queue-directory.ts';
import { traceCarrier } from '../../observability/propagation.ts';
import type { QueueConsumer } from '../../messaging/queue-consumer.ts';
import { databaseConfigFromEnv, openDatabase, sql, type Database, type DatabaseConfig } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import { CONSUMER, insertNotifications, notificationMigrations, notificationsFor, type NotificationRow, type NotificationSchema } from './store.ts';

export interface NotificationConfig {
  host: string;
  port: number;
  database: DatabaseConfig;
  consumers: boolean;
}

export function notificationConfigFromEnv(env: NodeJS.ProcessEnv = process.env): NotificationConfig {
  const read = new ConfigReader(env);
  const config = {
    host: read.string('NOTIFICATION_HOST', '127.0.0.1'),
    port: read.port('NOTIFICATION_PORT', 8004),
    database: databaseConfigFromEnv('notification', env),
    consumers: read.onOff('NOTIFICATION_CONSUMERS', true),
  };
  read.done('notification');
  return config;
}

export interface NotificationService {
  app: FastifyInstance;
  database: Database<NotificationSchema>;
  address: string;
  stop(): Promise<void>;
}

const present = (n: NotificationRow) => ({ id: n.id, kind: n.kind, title: n.title, body: n.body, payment_id: n.payment_id, created_at: n.created_at, read: n.read_at !== null });

/**
 * Consumes `notifications`, keeps every notification so a user can fetch
 * what they missed, and streams new ones (server-sent events on /stream) to
 * the gateway, which pushes them to the user's open WebSockets.
 */
export async function startNotificationService(config: NotificationConfig, log: Logger, messaging: MessagingConfig): Promise<NotificationService> {
  const database = await openDatabase<NotificationSchema>(config.database);
  await migrateToLatest(database.db, notificationMigrations);
  const live = new EventEmitter();
  live.setMaxListeners(0);

  const app = createHttpApp({ log, ready: async () => void (await sql`select 1`.execute(database.db)) });
  const userParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 128 } } } as const;
  app.get('/users/:id/notifications', { schema: { params: userParams, querystring: { type: 'object', properties: { unread_only: { type: 'boolean', default: false }, limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 } } } } }, async (request) => {
    const { id } = request.params as { id: string };
    const { unread_only: unreadOnly, limit } = request.query as { unread_only: boolean; limit: number };
    const rows = await database.db
      .selectFrom('notifications')
      .selectAll()
      .where('user_id', '=', id)
      .$if(unreadOnly, (q) => q.where('read_at', 'is', null))
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    const unread = await database.db.selectFrom('notifications').select((eb) => eb.fn.countAll<bigint>().as('n')).where('user_id', '=', id).where('read_at', 'is', null).executeTakeFirst();
    return { notifications: rows.map(present), unread_count: Number(unread?.n ?? 0) };
  });
  app.post('/users/:id/notifications/read', { schema: { params: userParams, body: { type: 'object', additionalProperties: false, properties: { ids: { type: 'array', maxItems: 500, items: { type: 'string', maxLength: 64 } } } } } }, async (request) => {
    const { id } = request.params as { id: string };
    const { ids } = (request.body ?? {}) as { ids?: string[] };
    const result = await database.db
      .updateTable('notifications')
      .set({ read_at: new Date().toISOString() })
      .where('user_id', '=', id)
      .where('read_at', 'is', null)
      .$if(!!ids, (q) => q.where('id', 'in', ids!.length ? ids! : ['']))
      .executeTakeFirst();
    return { marked: Number(result.numUpdatedRows) };
  });
  // One long-lived stream per gateway instance: every new notification, tagged with its user.
  app.get('/stream', async (request, reply) => {
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    reply.raw.write(': connected\n\n');
    const send = (item: unknown) => reply.raw.write(`data: ${JSON.stringify(item)}\n\n`);
    const heartbeat = setInterval(() => reply.raw.write(': ping\n\n'), 15_000);
    live.on('notification', send);
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      live.off('notification', send);
    });
    return reply;
  });
  const address = await app.listen({ host: config.host, port: config.port });

  const sqs = createSqsClient(messaging);
  const consumers: QueueConsumer[] = [];
  if (config.consumers) {
    consumers.push(
      consumeWhenReady({
        sqs,
        directory: new QueueDirectory(sqs),
        log,
        queue: QUEUES.notifications,
        // A received batch is stored in one transaction (one commit), each event once (inbox), and pushed once durable.
        batchHandler: inboxBatchHandler(
          database.db,
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
            for (const { rows, trace } of stored) for (const n of rows) live.emit('notification', { user_id: n.user_id, notification: present(n), trace_context: trace });
          },
        ),
      }),
    );
  }
  return {
    app,
    database,
    address,
    async stop() {
      await Promise.all(consumers.map((c) => c.stop()));
      live.removeAllListeners();
      await app.close();
      sqs.destroy();
      await database.close();
    },
  };
}
