import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../deps.ts';
import { activityRoutes } from './admin-activity.ts';
import { auditRoutes } from './admin-audit.ts';
import { consoleSessionRoutes } from './admin-console.ts';
import { eventRoutes } from './admin-events.ts';
import { operatorRoutes } from './admin-operators.ts';
import { platformRoutes } from './admin-platform.ts';
import { queueRoutes } from './admin-queues.ts';
import { sagaRoutes } from './admin-sagas.ts';
import { operatorsOnly } from './admin-scope.ts';

/**
 * The operator admin API behind the console and the CLI (beside
 * /admin/breakers, /admin/routing and /admin/traces): platform status,
 * queues and dead letters, sagas, the audit log, event replays, operators,
 * live activity, and the console's sign-in cookie. All of it answers 404 to
 * anyone but an operator, is left out of the public OpenAPI document, and
 * writes every action to the audit trail first. Without `deps.admin` (an
 * in-process test gateway) only the console cookie routes exist.
 */
export async function operationsRoutes(app: FastifyInstance, deps: GatewayDeps): Promise<void> {
  const admin = deps.admin;
  if (admin) app.addHook('onClose', async () => admin.close());
  await operatorsOnly(app, deps.tokens, (scoped) => {
    consoleSessionRoutes(scoped, deps.tokens);
    if (!admin) return;
    platformRoutes(scoped, deps, admin);
    queueRoutes(scoped, deps, admin);
    sagaRoutes(scoped, deps, admin);
    auditRoutes(scoped, admin);
    eventRoutes(scoped, admin);
    operatorRoutes(scoped, admin);
    activityRoutes(scoped, deps, admin);
  });
}
