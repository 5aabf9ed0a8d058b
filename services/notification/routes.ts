import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { RouteSchemas } from '../../core/route-schemas.ts';
import { presentNotification, type LiveFeed } from './live-feed.ts';
import type { NotificationSchema } from './schema.ts';
import { listNotifications, markRead } from './store.ts';

const userParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 128 } } } as const;

/**
 * The notification service's internal API, called by the gateway on behalf
 * of the user it authenticated (the user id in the path is the gateway's,
 * never a client's): what a user missed, marking it read, and the stream of
 * new notifications the gateway pushes to WebSockets.
 */
export function notificationRoutes(plain: FastifyInstance, deps: { db: Kysely<NotificationSchema>; feed: LiveFeed }): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  app.get(
    '/users/:id/notifications',
    {
      schema: {
        params: userParams,
        querystring: {
          type: 'object',
          properties: { unread_only: { type: 'boolean', default: false }, limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { unread_only: unreadOnly, limit } = request.query;
      const { rows, unread } = await listNotifications(deps.db, id, { unreadOnly, limit });
      return { notifications: rows.map(presentNotification), unread_count: unread };
    },
  );

  app.post(
    '/users/:id/notifications/read',
    {
      schema: {
        params: userParams,
        body: { type: 'object', additionalProperties: false, properties: { ids: { type: 'array', maxItems: 500, items: { type: 'string', maxLength: 64 } } } },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { ids } = (request.body ?? {}) as { ids?: string[] };
      return { marked: await markRead(deps.db, id, ids) };
    },
  );

  // One long-lived stream per gateway instance: every new notification, tagged with its user.
  app.get('/stream', async (request, reply) => {
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    reply.raw.write(': connected\n\n');
    const unsubscribe = deps.feed.subscribe((item) => reply.raw.write(`data: ${JSON.stringify(item)}\n\n`));
    const heartbeat = setInterval(() => reply.raw.write(': ping\n\n'), 15_000);
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
    return reply;
  });
}
