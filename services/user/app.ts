import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createHttpApp } from '../../core/http-app.ts';
import { sql } from '../../storage/database.ts';
import { mountUserSubgraph, usersTable } from './graphql.ts';
import { userAdminRoutes } from './routes-admin.ts';
import { userRoutes } from './routes.ts';
import type { UserDeps } from './users.ts';

/** Builds the HTTP app from its dependencies without listening (main.ts listens; tests call it with `app.inject`). */
export function buildUserApp(deps: UserDeps & { log: Logger }): FastifyInstance {
  const app = createHttpApp({ log: deps.log, ready: async () => void (await sql`select 1`.execute(deps.db)) });
  userRoutes(app, deps);
  userAdminRoutes(app, deps);
  mountUserSubgraph(app, usersTable(deps.db), deps.log);
  return app;
}
