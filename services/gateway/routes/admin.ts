import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RouteSchemas } from '../../../core/route-schemas.ts';
import { breakerSnapshots } from '../../../resilience/service-policy.ts';
import { requireOperator } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';

/**
 * Operator views of the gateway's own machinery: its circuit breakers and its
 * weighted route. Hidden from the OpenAPI document, and a 404 to anyone who
 * is not an operator.
 */
export function adminRoutes(plain: FastifyInstance, deps: GatewayDeps): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  // On request, before the body or its schema is looked at (as operatorsOnly does): a check that ran later let a 400
  // tell anyone these routes exist, where an unknown path is a 404 (found by the fuzzer).
  const operatorsFirst = { onRequest: async (request: FastifyRequest) => void (await requireOperator(deps.tokens, request)) };

  app.get('/admin/breakers', { schema: { hide: true }, ...operatorsFirst }, async (request) => {
    await requireOperator(deps.tokens, request);
    return { breakers: breakerSnapshots() };
  });

  app.get('/admin/routing', { schema: { hide: true }, ...operatorsFirst }, async (request) => {
    await requireOperator(deps.tokens, request);
    return deps.paymentRouter ? deps.paymentRouter.status() : { route: null };
  });

  // A version the canary guard halted gets new payments again (docs/operations.md#canary-guard).
  app.post('/admin/routing/resume', { schema: { hide: true, body: { type: 'object', additionalProperties: false, required: ['target'], properties: { target: { type: 'string', minLength: 1, maxLength: 100 } } } }, ...operatorsFirst }, async (request) => {
    const operator = await requireOperator(deps.tokens, request);
    const { target } = request.body;
    const resumed = deps.canaryGuard?.resume(target, `operator ${operator.userId}`) ?? false;
    return { target, resumed, routing: deps.paymentRouter ? deps.paymentRouter.status() : { route: null } };
  });
}
