import type { FastifyInstance } from 'fastify';
import { breakerSnapshots } from '../../../resilience/service-policy.ts';
import { requireOperator } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';

/**
 * Operator views of the gateway's own machinery: its circuit breakers and its
 * weighted route. Hidden from the OpenAPI document, and a 404 to anyone who
 * is not an operator.
 */
export function adminRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/admin/breakers', { schema: { hide: true } }, async (request) => {
    await requireOperator(deps.tokens, request);
    return { breakers: breakerSnapshots() };
  });

  app.get('/admin/routing', { schema: { hide: true } }, async (request) => {
    await requireOperator(deps.tokens, request);
    return deps.paymentRouter ? deps.paymentRouter.status() : { route: null };
  });

  // A version the canary guard halted gets new payments again (docs/operations.md#canary-guard).
  app.post('/admin/routing/resume', { schema: { hide: true, body: { type: 'object', additionalProperties: false, required: ['target'], properties: { target: { type: 'string', minLength: 1, maxLength: 100 } } } } }, async (request) => {
    const operator = await requireOperator(deps.tokens, request);
    const { target } = request.body as { target: string };
    const resumed = deps.canaryGuard?.resume(target, `operator ${operator.userId}`) ?? false;
    return { target, resumed, routing: deps.paymentRouter ? deps.paymentRouter.status() : { route: null } };
  });
}
