import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { notFound } from '../../contracts/errors.ts';
import { formatMinor, parseDecimal } from '../../contracts/money.ts';
import type { RouteSchemas } from '../../core/route-schemas.ts';
import { createPayment, type CreatePaymentDeps } from './create-payment.ts';
import type { PaymentRow, PaymentSchema } from './schema.ts';

export function presentPayment(p: PaymentRow, history?: Array<{ status: string; detail: string | null; at: string }>) {
  return {
    id: p.id,
    status: p.status,
    sender_id: p.sender_id,
    receiver_id: p.receiver_id,
    amount: formatMinor(BigInt(p.amount), p.currency),
    amount_minor: BigInt(p.amount).toString(),
    currency: p.currency,
    note: p.note,
    failure_reason: p.failure_reason,
    accepted_by: p.accepted_by,
    created_at: p.created_at,
    updated_at: p.updated_at,
    ...(history ? { history } : {}),
  };
}

/** A payment as its accepting 202 showed it. */
function asAccepted(p: PaymentRow): PaymentRow {
  return { ...p, status: 'pending', failure_reason: null, hold_id: null, updated_at: p.created_at };
}

const paymentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string' },
    sender_id: { type: 'string' },
    receiver_id: { type: 'string' },
    amount: { type: 'string' },
    amount_minor: { type: 'string' },
    currency: { type: 'string' },
    note: { type: ['string', 'null'] },
    failure_reason: { type: ['string', 'null'] },
    accepted_by: { type: 'string' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    history: { type: 'array', items: { type: 'object', properties: { status: { type: 'string' }, detail: { type: ['string', 'null'] }, at: { type: 'string' } } } },
  },
} as const;

/** The payment service's internal API, called by the gateway. */
export function paymentRoutes(plain: FastifyInstance, deps: CreatePaymentDeps & { db: Kysely<PaymentSchema> }): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  app.post(
    '/payments',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['sender_id', 'amount', 'currency', 'idempotency_key'],
          properties: {
            sender_id: { type: 'string', minLength: 1, maxLength: 128 },
            receiver_id: { type: 'string', minLength: 1, maxLength: 128 },
            receiver_email: { type: 'string', minLength: 3, maxLength: 254 },
            amount: { type: 'string', maxLength: 32 },
            currency: { type: 'string', pattern: '^[A-Z]{3}$' },
            note: { type: 'string', maxLength: 280 },
            payment_method_id: { type: 'string', maxLength: 100 },
            idempotency_key: { type: 'string', minLength: 1, maxLength: 300 },
          },
        },
        response: { 200: paymentSchema, 202: paymentSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { payment, created } = await createPayment(deps, {
        senderId: body.sender_id,
        receiverId: body.receiver_id,
        receiverEmail: body.receiver_email,
        amountMinor: parseDecimal(body.amount, body.currency),
        currency: body.currency,
        note: body.note,
        paymentMethodId: body.payment_method_id,
        idempotencyKey: body.idempotency_key,
      });
      // A replay answers as the first request was answered (the payment as accepted), whatever became of it since:
      // the gateway may have lost its own record of the key, and the client must see the first response again.
      return reply.code(created ? 202 : 200).send(presentPayment(created ? payment : asAccepted(payment)));
    },
  );

  app.get(
    '/payments/:id',
    {
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
        querystring: { type: 'object', properties: { user_id: { type: 'string', maxLength: 128 } } },
        response: { 200: paymentSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { user_id: userId } = request.query;
      const payment = await deps.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
      // A payment is visible only to its two parties when the caller says who is asking.
      if (!payment || (userId && payment.sender_id !== userId && payment.receiver_id !== userId)) {
        throw notFound('PAYMENT_NOT_FOUND', `payment ${id} not found`);
      }
      const history = await deps.db.selectFrom('payment_history').select(['status', 'detail', 'at']).where('payment_id', '=', id).orderBy('seq').execute();
      return presentPayment(payment, history);
    },
  );

  app.get(
    '/payments',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['user_id'],
          properties: { user_id: { type: 'string', maxLength: 128 }, limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        },
        response: { 200: { type: 'object', properties: { payments: { type: 'array', items: paymentSchema } } } },
      },
    },
    async (request) => {
      const { user_id: userId, limit } = request.query;
      const rows = await deps.db
        .selectFrom('payments')
        .selectAll()
        .where((eb) => eb.or([eb('sender_id', '=', userId), eb('receiver_id', '=', userId)]))
        .orderBy('created_at', 'desc')
        .limit(limit)
        .execute();
      return { payments: rows.map((p) => presentPayment(p)) };
    },
  );
}
