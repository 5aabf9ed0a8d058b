import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { notFound } from '../../contracts/errors.ts';
import { formatMinor } from '../../contracts/money.ts';
import type { RouteSchemas } from '../../core/route-schemas.ts';
import type { TransactionRow, TransactionSchema } from './schema.ts';

export function presentTransaction(t: TransactionRow, viewer?: string) {
  return {
    id: t.id,
    sender_id: t.sender_id,
    receiver_id: t.receiver_id,
    direction: viewer === undefined ? undefined : viewer === t.sender_id ? 'sent' : 'received',
    amount: formatMinor(BigInt(t.amount), t.currency),
    amount_minor: BigInt(t.amount).toString(),
    currency: t.currency,
    status: t.status,
    note: t.note,
    reason: t.reason,
    created_at: t.created_at,
    updated_at: t.updated_at,
  };
}

const transaction = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    sender_id: { type: 'string' },
    receiver_id: { type: 'string' },
    direction: { type: 'string' },
    amount: { type: 'string' },
    amount_minor: { type: 'string' },
    currency: { type: 'string' },
    status: { type: 'string' },
    note: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    events: { type: 'array', items: { type: 'object', properties: { detail_type: { type: 'string' }, status: { type: 'string' }, reason: { type: ['string', 'null'] }, at: { type: 'string' } } } },
  },
} as const;

/** Listing and reading the record; callers say whose view it is, and see only their own transactions. */
export function transactionRoutes(plain: FastifyInstance, db: Kysely<TransactionSchema>): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  app.get(
    '/transactions',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['user_id'],
          properties: {
            user_id: { type: 'string', maxLength: 128 },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            status: { type: 'string', maxLength: 32 },
            currency: { type: 'string', pattern: '^[A-Z]{3}$' },
            before: { type: 'string', maxLength: 40, description: 'created_at of the last item of the previous page' },
          },
        },
        response: { 200: { type: 'object', properties: { transactions: { type: 'array', items: transaction } } } },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await db
        .selectFrom('transactions')
        .selectAll()
        .where((eb) => eb.or([eb('sender_id', '=', q.user_id), eb('receiver_id', '=', q.user_id)]))
        .$if(!!q.status, (b) => b.where('status', '=', q.status!))
        .$if(!!q.currency, (b) => b.where('currency', '=', q.currency!))
        .$if(!!q.before, (b) => b.where('created_at', '<', q.before!))
        .orderBy('created_at', 'desc')
        .limit(q.limit)
        .execute();
      return { transactions: rows.map((t) => presentTransaction(t, q.user_id)) };
    },
  );

  app.get(
    '/transactions/:id',
    {
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
        querystring: { type: 'object', properties: { user_id: { type: 'string', maxLength: 128 } } },
        response: { 200: transaction },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { user_id: userId } = request.query;
      const row = await db.selectFrom('transactions').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row || (userId && row.sender_id !== userId && row.receiver_id !== userId)) throw notFound('TRANSACTION_NOT_FOUND', `transaction ${id} not found`);
      const events = await db.selectFrom('transaction_events').select(['detail_type', 'status', 'reason', 'at']).where('transaction_id', '=', id).orderBy('at').execute();
      return { ...presentTransaction(row, userId), events };
    },
  );
}
