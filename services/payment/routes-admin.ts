import type { SQSClient } from '@aws-sdk/client-sqs';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { notFound } from '../../contracts/errors.ts';
import { formatMinor } from '../../contracts/money.ts';
import type { RouteSchemas } from '../../core/route-schemas.ts';
import { deleteDeadLetter, redriveDeadLetter } from '../../messaging/dead-letters.ts';
import type { ParkedMessage, ParkedMessages } from '../../messaging/parked-messages.ts';
import type { QueueDirectory } from '../../messaging/queue-directory.ts';
import type { StuckSagaMonitor } from './saga/stuck-sagas.ts';
import { TERMINAL, type PaymentRow, type PaymentSchema, type PaymentStatus } from './schema.ts';

export interface PaymentAdminDeps {
  db: Kysely<PaymentSchema>;
  monitor: StuckSagaMonitor;
  stepTimeoutSeconds: number;
  parked: ParkedMessages;
  sqs: SQSClient;
  directory: QueueDirectory;
}

const STATES: PaymentStatus[] = ['pending', 'reservation_requested', 'funds_reserved', 'processing', 'compensating', 'completed', 'failed'];
/**
 * A healthy saga ends in well under a second; one that has not moved for 30 s
 * is stuck as an operator sees it (the monitor compensates it once the step
 * timeout passes, if that is shorter the timeout is the mark).
 */
const STUCK_AFTER_SECONDS = 30;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const messageParams = {
  type: 'object',
  required: ['queue', 'messageId'],
  properties: { queue: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,80}$' }, messageId: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

/**
 * The payment service's operator endpoints, internal like the rest of its API
 * and called only by the gateway's admin API (which checks the operator and
 * audits the action): its sagas (list, history, drive to an end) and the
 * messages its DLQ handlers parked (list, redrive, delete).
 */
export function paymentAdminRoutes(plain: FastifyInstance, deps: PaymentAdminDeps): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  const stuckAfter = Math.min(STUCK_AFTER_SECONDS, deps.stepTimeoutSeconds);
  const present = (p: PaymentRow, now = Date.now()) => {
    const idle = Math.max(0, Math.round((now - Date.parse(p.updated_at)) / 1000));
    return {
      id: p.id,
      state: p.status,
      sender_id: p.sender_id,
      receiver_id: p.receiver_id,
      amount: formatMinor(BigInt(p.amount), p.currency),
      currency: p.currency,
      failure_reason: p.failure_reason,
      accepted_by: p.accepted_by,
      created_at: p.created_at,
      updated_at: p.updated_at,
      age_seconds: Math.max(0, Math.round((now - Date.parse(p.created_at)) / 1000)),
      idle_seconds: idle,
      stuck: !TERMINAL.has(p.status) && idle >= stuckAfter,
    };
  };
  const history = (id: string) => deps.db.selectFrom('payment_history').select(['status', 'detail', 'at']).where('payment_id', '=', id).orderBy('seq').execute();

  app.get(
    '/admin/sagas',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', enum: [...STATES, 'active'] },
            stuck: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            before: { type: 'string', maxLength: 40 },
          },
        },
      },
    },
    async (request) => {
      const { state, stuck, limit, before } = request.query;
      const now = Date.now();
      const stuckCutoff = new Date(now - stuckAfter * 1000).toISOString();
      const active = STATES.filter((s) => !TERMINAL.has(s));
      const rows = await deps.db
        .selectFrom('payments')
        .selectAll()
        .$if(state === 'active' || stuck === true, (q) => q.where('status', 'in', active))
        .$if(state !== undefined && state !== 'active', (q) => q.where('status', '=', state as PaymentStatus))
        .$if(stuck === true, (q) => q.where('updated_at', '<=', stuckCutoff))
        .$if(before !== undefined, (q) => q.where('created_at', '<', before!))
        .orderBy('created_at', 'desc')
        .limit(limit)
        .execute();
      const counts = await deps.db.selectFrom('payments').select((eb) => ['status', eb.fn.countAll<number | bigint>().as('n')]).groupBy('status').execute();
      const stuckCount = await deps.db
        .selectFrom('payments')
        .select((eb) => eb.fn.countAll<number | bigint>().as('n'))
        .where('status', 'in', active)
        .where('updated_at', '<=', stuckCutoff)
        .executeTakeFirstOrThrow();
      return {
        sagas: rows.map((p) => present(p, now)),
        counts: Object.fromEntries(STATES.map((s) => [s, Number(counts.find((c) => c.status === s)?.n ?? 0)])),
        stuck: Number(stuckCount.n),
        stuck_after_seconds: stuckAfter,
        step_timeout_seconds: deps.stepTimeoutSeconds,
        next_before: rows.length === limit ? rows.at(-1)!.created_at : null,
      };
    },
  );

  app.get('/admin/sagas/:id', { schema: { params: idParams } }, async (request) => {
    const { id } = request.params;
    const payment = await deps.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!payment) throw notFound('SAGA_NOT_FOUND', `no payment saga ${id}`);
    return { ...present(payment), history: await history(id) };
  });

  app.post(
    '/admin/sagas/:id/drive',
    {
      schema: {
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['reason', 'operator_id'],
          properties: { reason: { type: 'string', minLength: 1, maxLength: 280 }, operator_id: { type: 'string', minLength: 1, maxLength: 128 } },
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { reason, operator_id: operatorId } = request.body;
      const payment = await deps.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
      if (!payment) throw notFound('SAGA_NOT_FOUND', `no payment saga ${id}`);
      const before = payment.status;
      const outcome = TERMINAL.has(before) ? 'already_ended' : await deps.monitor.driveToEnd(payment, `driven to its end by operator ${operatorId}: ${reason}`);
      const after = (await deps.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
      return { outcome, state_before: before, saga: { ...present(after), history: await history(id) } };
    },
  );

  const presentParked = ({ receipt_handle: _handle, attributes, ...row }: ParkedMessage) => ({ ...row, attributes: JSON.parse(attributes) as Record<string, { DataType?: string; StringValue?: string }> });

  app.get(
    '/admin/parked-messages',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { queue: { type: 'string', maxLength: 80 }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 200 } } } } },
    async (request) => {
      const { queue, limit } = request.query;
      return { messages: (await deps.parked.list(queue, limit)).map(presentParked), summary: await deps.parked.summary() };
    },
  );

  const parkedOrNotFound = async (queue: string, messageId: string) => {
    const found = await deps.parked.get(queue, messageId);
    if (!found) throw notFound('MESSAGE_NOT_FOUND', `no parked message ${messageId} in ${queue}`);
    return found;
  };

  app.post('/admin/parked-messages/:queue/:messageId/redrive', { schema: { params: messageParams } }, async (request) => {
    const { queue, messageId } = request.params;
    const parked = await parkedOrNotFound(queue, messageId);
    await redriveDeadLetter(
      deps.sqs,
      { deadLetterQueue: queue, deadLetterQueueUrl: await deps.directory.url(queue), sourceQueueUrl: await deps.directory.url(parked.source_queue) },
      { messageId, body: parked.body, attributes: JSON.parse(parked.attributes), receiptHandle: parked.receipt_handle },
    );
    await deps.parked.forget(queue, messageId);
    return { message_id: messageId, queue, redriven_to: parked.source_queue };
  });

  app.delete('/admin/parked-messages/:queue/:messageId', { schema: { params: messageParams } }, async (request) => {
    const { queue, messageId } = request.params;
    const parked = await parkedOrNotFound(queue, messageId);
    await deleteDeadLetter(deps.sqs, await deps.directory.url(queue), parked.receipt_handle);
    await deps.parked.forget(queue, messageId);
    return { message_id: messageId, queue, deleted: true };
  });
}
