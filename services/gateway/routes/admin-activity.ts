import type { FastifyInstance } from 'fastify';
import type { ActivityView } from '../../../contracts/admin-api.ts';
import type { GatewayDeps } from '../deps.ts';
import { callPaymentService, type AdminDeps } from './admin-deps.ts';

/**
 * `GET /admin/activity`, the console's chart: payments accepted per second and
 * sagas ended by outcome, per 5-second interval over the last 10 minutes. The
 * payment service counts them in the payments table its replicas and
 * deployments share, so the chart shows the whole platform however many
 * gateways and payment replicas run, and nothing resets when one restarts.
 */
export function activityRoutes(app: FastifyInstance, deps: GatewayDeps, admin: AdminDeps): void {
  app.get('/admin/activity', { schema: { hide: true } }, async () =>
    callPaymentService<ActivityView>(deps, '/admin/activity?minutes=10&interval_seconds=5', { timeoutMs: admin.timeoutMs }),
  );
}
