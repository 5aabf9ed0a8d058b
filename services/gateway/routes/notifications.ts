import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { NotificationClient } from '../../../clients/notification-client.ts';
import type { RouteSchemas } from '../../../core/route-schemas.ts';
import type { GatewayDeps } from '../deps.ts';
import type { LiveNotifications } from '../live-notifications.ts';
import { errorResponses } from '../schemas.ts';

const notification = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string' },
    title: { type: 'string' },
    body: { type: 'string' },
    payment_id: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    read: { type: 'boolean' },
  },
} as const;

/** Notifications: live over /ws (authenticated with the access token), and stored for later. */
export async function notificationRoutes(
  plain: FastifyInstance,
  deps: GatewayDeps & { notifications: NotificationClient; live: LiveNotifications },
): Promise<void> {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  await app.register(websocket, {
    options: { maxPayload: 4096 },
    // A client that breaks the protocol (a reserved opcode, an unmasked or oversized frame) has been sent a close frame
    // saying why by ws, which then closes the connection once the client answers (or after its timeout). The plugin's
    // default handler logged each as a server error and destroyed the socket at once, often before that close frame
    // left, so the client saw a reset instead (found by the fuzzer).
    errorHandler: (error, socket, request) => {
      request.log.debug({ err: error }, 'websocket client error');
      if (socket.readyState === socket.OPEN) socket.close(1011);
    },
  });

  app.get(
    '/ws',
    {
      websocket: true,
      schema: { hide: true },
      // Browsers cannot set headers on a WebSocket: the token may come as ?access_token=.
      preValidation: async (request) => {
        const token = (request.query as { access_token?: string }).access_token;
        const caller = token ? await deps.tokens.verify(token) : await deps.tokens.authenticate(request);
        (request as unknown as { caller: { userId: string } }).caller = caller;
      },
    },
    (socket, request) => {
      const { userId } = (request as unknown as { caller: { userId: string } }).caller;
      deps.live.add(userId, socket);
      socket.send(JSON.stringify({ type: 'hello', user_id: userId }));
      // The socket only listens; anything a client sends is ignored.
      socket.on('message', () => {});
    },
  );

  app.get(
    '/v1/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: 'My notifications, newest first, with the unread count',
        querystring: { type: 'object', additionalProperties: false, properties: { unread_only: { type: 'boolean', default: false } } },
        response: { 200: { type: 'object', properties: { notifications: { type: 'array', items: notification }, unread_count: { type: 'integer' } } }, ...errorResponses },
      },
    },
    async (request) => {
      const caller = await deps.tokens.authenticate(request);
      return deps.notifications.list(caller.userId, request.query.unread_only);
    },
  );

  app.post(
    '/v1/notifications/read',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Mark my notifications read (all, or the ones listed)',
        body: { type: 'object', additionalProperties: false, properties: { ids: { type: 'array', maxItems: 500, items: { type: 'string', maxLength: 64 } } } },
        response: { 200: { type: 'object', properties: { marked: { type: 'integer' } } }, ...errorResponses },
      },
    },
    async (request) => {
      const caller = await deps.tokens.authenticate(request);
      return { marked: await deps.notifications.markRead(caller.userId, request.body?.ids) };
    },
  );
}
