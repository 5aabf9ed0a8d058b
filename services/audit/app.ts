import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createHttpApp } from '../../core/http-app.ts';
import { sql, type Database } from '../../storage/database.ts';
import { auditAdminRoutes } from './routes-admin.ts';
import { auditRoutes } from './routes.ts';
import type { AuditSchema } from './schema.ts';

export interface AuditDeps {
  database: Database<AuditSchema>;
  log: Logger;
}

/**
 * The audit service's HTTP side, built from what it is given and never
 * listening (main.ts listens and starts the `audit-logs` consumer).
 */
export function buildAuditService(deps: AuditDeps): FastifyInstance {
  const app = createHttpApp({ log: deps.log, ready: async () => void (await sql`select 1`.execute(deps.database.db)) });
  auditRoutes(app, deps.database.db);
  auditAdminRoutes(app, deps.database.db);
  return app;
}
