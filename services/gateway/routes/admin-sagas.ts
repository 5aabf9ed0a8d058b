import type { FastifyInstance } from 'fastify';
import type { DriveResult, SagaDetail, SagasView } from '../../../contracts/admin-api.ts';
import { notFound } from '../../../contracts/errors.ts';
import type { RouteSchemas } from '../../../core/route-schemas.ts';
import type { PaymentTraceView } from '../../../observability/trace-view.ts';
import type { Sampling } from '../../../observability/tracing.ts';
import type { GatewayDeps } from '../deps.ts';
import { recordOperatorAction } from './admin-audit-trail.ts';
import { callPaymentService, type AdminDeps } from './admin-deps.ts';
import { operatorOf } from './admin-scope.ts';

const STATES = ['pending', 'reservation_requested', 'funds_reserved', 'processing', 'compensating', 'completed', 'failed', 'active'];
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' } } } as const;

/**
 * Payment sagas for operators, from the payment service that runs them:
 * `GET /admin/sagas` (`state` one of the saga's states or `active`, `stuck`,
 * `limit`, `before`), `GET /admin/sagas/{id}` with its history,
 * `POST /admin/sagas/{id}/drive` (audited: drives it to its end), and
 * `GET /admin/sagas/{id}/trace`, the payment's trace from the trace store,
 * or a 404 saying why there is none (most payments are not sampled).
 */
export function sagaRoutes(plain: FastifyInstance, deps: GatewayDeps, admin: AdminDeps): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  const call = <T>(path: string, init: { method?: string; body?: unknown } = {}) => callPaymentService<T>(deps, path, { ...init, timeoutMs: admin.timeoutMs });

  app.get(
    '/admin/sagas',
    {
      schema: {
        hide: true,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { state: { type: 'string', enum: STATES }, stuck: { type: 'boolean' }, limit: { type: 'integer', minimum: 1, maximum: 500 }, before: { type: 'string', maxLength: 40 } },
        },
      },
    },
    async (request) => {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(request.query)) if (value !== undefined) query.set(name, String(value));
      return call<SagasView>(`/admin/sagas${query.size > 0 ? `?${query}` : ''}`);
    },
  );

  app.get('/admin/sagas/:id', { schema: { hide: true, params: idParams } }, async (request) => call<SagaDetail>(`/admin/sagas/${request.params.id}`));

  app.post(
    '/admin/sagas/:id/drive',
    {
      schema: {
        hide: true,
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 3, maxLength: 280 } } },
      },
    },
    async (request) => {
      const operator = operatorOf(request);
      const { id } = request.params;
      const { reason } = request.body;
      // A saga that does not exist is not worth an audit record.
      await call<SagaDetail>(`/admin/sagas/${id}`);
      await recordOperatorAction(admin.events, operator, 'saga.drive_to_end', `payment ${id}`, { reason });
      return call<DriveResult>(`/admin/sagas/${id}/drive`, { method: 'POST', body: { reason, operator_id: operator.userId } });
    },
  );

  app.get('/admin/sagas/:id/trace', { schema: { hide: true, params: idParams } }, async (request): Promise<PaymentTraceView> => {
    const { id } = request.params;
    if (!deps.traces) throw notFound('TRACE_NOT_FOUND', 'this gateway keeps no traces (GATEWAY_TRACE_STORE_TRACES=0): look the trace up in the tracing backend (X-Ray on AWS)');
    // Every saga span carries the payment id as `transaction_id` (the seed's tag). The payment's own trace
    // starts first; later ones (a redrive starts its own, linked to the original) are named.
    const matching = await deps.traces.withAttribute('transaction_id', id);
    if (matching.length > 0) return { ...matching[0]!, other_traces: matching.slice(1).map((t) => t.trace_id) };
    // A payment that does not exist is the payment service's 404, not a missing trace.
    await call<SagaDetail>(`/admin/sagas/${id}`);
    if (deps.sampling && deps.sampling.ratio < 1) throw notFound('TRACE_NOT_SAMPLED', notSampled(id, deps.sampling));
    throw notFound('TRACE_NOT_FOUND', `no recent trace of payment ${id} is kept here`);
  });
}

/** Why a payment has no trace: what is sampled, and what is kept whatever the sampling. */
export function notSampled(id: string, sampling: Sampling): string {
  const share = sampling.ratio === 0 ? 'none are sampled' : `${Number((sampling.ratio * 100).toPrecision(3))}% of payments are sampled`;
  const setting = sampling.sampler.includes('ratio') ? `OTEL_TRACES_SAMPLER_ARG=${sampling.ratio}` : `OTEL_TRACES_SAMPLER=${sampling.sampler}`;
  return `payment ${id} was not sampled for tracing: ${share} (${setting}); failed payments and slow ones (a step over ${sampling.slowMs} ms) are always kept`;
}
