import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createHttpApp } from '../../core/http-app.ts';
import { sql, type Database } from '../../storage/database.ts';
import type { LiveFeed } from './live-feed.ts';
import { notificationRoutes } from './routes.ts';
import type { NotificationSchema } from './schema.ts';

export interface NotificationDeps {
  database: Database<NotificationSchema>;
  feed: LiveFeed;
  log: Logger;
}

/**
 * The notification service's HTTP side, built from what it is given and
 * never listening (main.ts listens and starts the `notifications` consumer):
 * every notification is kept so a user can fetch what they missed, and new
 * ones stream (server-sent events on /stream) to the gateway, which pushes
 * them to the user's open WebSockets.
 */
export function buildNotificationService(deps: NotificationDeps): FastifyInstance {
  const app = createHttpApp({ log: deps.log, ready: async () => void (await sql`select 1`.execute(deps.database.db)) });
  notificationRoutes(app, { db: deps.database.db, feed: deps.feed });
  return app;
}
