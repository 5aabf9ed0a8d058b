import type { FastifyInstance } from 'fastify';
import type { PaymentClient } from '../../../clients/payment-client.ts';
import { parseDecimal, requirePositiveAmount } from '../../../contracts/money.ts';
import type { RouteSchemas } from '../../../core/route-schemas.ts';
import type { GatewayDeps } from '../deps.ts';
import { replyIdempotently } from '../idempotency.ts';
import { errorResponses, idempotencyHeader, money, uuidParam } from '../schemas.ts';

const payment = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', description: 'pending, reservation_requested, funds_reserved, processing, completed, compensating or failed' },
    sender_id: { type: 'string' },
    receiver_id: { type: 'string' },
    amount: { type: 'string' },
    currency: { type: 'string' },
    note: { type: ['string', 'null'] },
    failure_reason: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    history: { type: 'array', items: { type: 'object', properties: { status: { type: 'string' }, detail: { type: ['string', 'null'] }, at: { type: 'string' } } } },
  },
} as const;

/** Sending money: routed to the payment service's versions by the routing file's weights, sticky per user. */
export function paymentRoutes(plain: FastifyInstance, deps: GatewayDeps & { paymentClients: (node: string) => PaymentClient }): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  const clientFor = (userId: string) => deps.paymentClients(deps.paymentRouter ? deps.paymentRouter.pick(userId).node : 'payment-service-v1');
  /** A call to the user's version whose outcome the router's canary guard hears (5xx and unreachable count against it). */
  const callFor = async <T>(userId: string, call: (client: PaymentClient) => Promise<T>): Promise<T> => {
    const node = deps.paymentRouter ? deps.paymentRouter.pick(userId).node : 'payment-service-v1';
    try {
      const result = await call(deps.paymentClients(node));
      deps.paymentRouter?.recordCall(node);
      return result;
    } catch (err) {
      deps.paymentRouter?.recordCall(node, err);
      throw err;
    }
  };

  app.post(
    '/v1/payments',
    {
      schema: {
        tags: ['payments'],
        summary: 'Send money to another user; answers 202 while the payment saga runs',
        headers: idempotencyHeader,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['amount', 'currency'],
          properties: {
            ...money.properties,
            receiver_id: { type: 'string', minLength: 1, maxLength: 128 },
            receiver_email: { type: 'string', format: 'email', maxLength: 254, description: 'an email address' },
            note: { type: 'string', maxLength: 280 },
            payment_method_id: { type: 'string', minLength: 1, maxLength: 100 },
          },
        },
        response: { 202: payment, ...errorResponses },
      },
    },
    async (request, reply) => {
      const caller = await deps.tokens.authenticate(request);
      const body = request.body;
      // Malformed input is refused before the Idempotency-Key is claimed: a corrected retry may reuse the key.
      requirePositiveAmount(parseDecimal(body.amount, body.currency));
      return replyIdempotently(deps.idempotency, request, reply, caller.userId, async (key) => {
        const { payment: created } = await callFor(caller.userId, (client) => client.create({ ...body, sender_id: caller.userId, idempotency_key: key }));
        return { status: 202, body: created };
      });
    },
  );

  app.get(
    '/v1/payments/:id',
    { schema: { tags: ['payments'], summary: 'A payment I sent or received, with its saga history', params: uuidParam('id'), response: { 200: payment, ...errorResponses } } },
    async (request) => {
      const caller = await deps.tokens.authenticate(request);
      return clientFor(caller.userId).get(request.params.id, caller.userId);
    },
  );
}
