import type { FastifyInstance } from 'fastify';
import type { RouteSchemas } from '../../../core/route-schemas.ts';
import type { GatewayDeps } from '../deps.ts';
import { errorResponses } from '../schemas.ts';

const transaction = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    sender_id: { type: 'string' },
    receiver_id: { type: 'string' },
    direction: { type: 'string', enum: ['sent', 'received'] },
    amount: { type: 'string' },
    currency: { type: 'string' },
    status: { type: 'string' },
    note: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const;

/** My transaction history: payments I sent or received. */
export function transactionRoutes(plain: FastifyInstance, deps: GatewayDeps): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  app.get(
    '/v1/transactions',
    {
      schema: {
        tags: ['transactions'],
        summary: 'My transactions, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            status: { type: 'string', enum: ['pending', 'reservation_requested', 'funds_reserved', 'processing', 'compensating', 'funds_released', 'completed', 'failed'] },
            currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'an ISO 4217 currency code, e.g. "USD"' },
            before: { type: 'string', maxLength: 40 },
          },
        },
        response: { 200: { type: 'object', properties: { transactions: { type: 'array', items: transaction } } }, ...errorResponses },
      },
    },
    async (request) => {
      const caller = await deps.tokens.authenticate(request);
      return { transactions: await deps.transactions.list(caller.userId, request.query) };
    },
  );
}
