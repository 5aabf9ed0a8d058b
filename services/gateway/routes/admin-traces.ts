import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../../core/errors.ts';
import { ServiceResolver } from '../../../discovery/resolver.ts';
import { messagingConfigFromEnv } from '../../../messaging/aws.ts';
import { federate, ONE_MACHINE_METRICS_SOURCES, type ScrapeTarget } from '../../../observability/metrics-federation.ts';
import { registry } from '../../../observability/metrics.ts';
import { spansFromOtlpJson, type OtlpTraceRequest, type TraceStore } from '../../../observability/trace-store.ts';
import { GATEWAY_OTLP_PATH } from '../../../observability/tracing.ts';
import { requireOperator, type TokenIssuer } from '../auth.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const isLoopback = (request: FastifyRequest) => LOOPBACK.has(request.socket.remoteAddress ?? '');

/** Operators anywhere, or a scraper on this machine; a 404 to everyone else. */
async function requireOperatorOrLoopback(tokens: TokenIssuer, request: FastifyRequest): Promise<void> {
  if (!isLoopback(request)) await requireOperator(tokens, request);
}

/**
 * On one machine (static discovery) every service's /metrics; on AWS none: there each service's collector
 * sends its metrics to CloudWatch, and the network lets the gateway reach only the services it calls.
 */
function metricsTargets(env: NodeJS.ProcessEnv = process.env): ScrapeTarget[] {
  if ((env.SERVICE_DISCOVERY ?? 'static') !== 'static') return [];
  const resolver = new ServiceResolver(env);
  const targets = ONE_MACHINE_METRICS_SOURCES.map((name) => ({ name, url: `${resolver.resolve(name).address}/metrics` }));
  const messaging = messagingConfigFromEnv(env);
  if (messaging.embedded && messaging.endpoint) targets.push({ name: 'broker', url: `${messaging.endpoint}/metrics` });
  return targets;
}

const first = (value: unknown) => (Array.isArray(value) ? value[0] : value);

/**
 * The gateway's observability surface:
 * - `POST /internal/otlp/v1/traces`: an OTLP/HTTP JSON receiver, for the
 *   services on this machine only (loopback), feeding the trace store;
 * - `GET /admin/traces` (recent traces; `service`, `name`, `min_duration_ms`,
 *   `errors`, `limit`) and `GET /admin/traces/{id}` (the span tree with
 *   timings and the service of each span), for operators;
 * - `GET /metrics/all`: every service's metrics in one page, for operators
 *   or a scraper on this machine.
 * Everything here is hidden from the OpenAPI document and answers 404 to
 * anyone not allowed to see it.
 */
export function observabilityRoutes(app: FastifyInstance, deps: { tokens: TokenIssuer; traces?: TraceStore }): void {
  const { tokens, traces } = deps;
  const internal = { hide: true };
  const quiet = { trace: false, rateLimit: false };

  if (traces) {
    app.post(GATEWAY_OTLP_PATH, { schema: internal, config: quiet, bodyLimit: 16 * 1024 * 1024 }, async (request, reply) => {
      if (!isLoopback(request)) throw notFound('NOT_FOUND', `no route for POST ${GATEWAY_OTLP_PATH}`);
      if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
        return reply.code(415).send({ error: 'send OTLP/HTTP JSON (application/json); protobuf is not accepted here' });
      }
      const { spans, rejected } = spansFromOtlpJson((request.body ?? {}) as OtlpTraceRequest);
      traces.add(spans);
      return rejected > 0 ? { partialSuccess: { rejectedSpans: rejected, errorMessage: 'spans without valid trace or span ids' } } : {};
    });
  }

  app.get('/admin/traces', { schema: internal }, async (request) => {
    await requireOperator(tokens, request);
    const query = request.query as Record<string, unknown>;
    const minDuration = Number(first(query.min_duration_ms));
    const limit = Number(first(query.limit));
    return {
      traces: (traces?.list({
        service: typeof first(query.service) === 'string' ? String(first(query.service)) : undefined,
        name: typeof first(query.name) === 'string' ? String(first(query.name)) : undefined,
        minDurationMs: Number.isFinite(minDuration) ? minDuration : undefined,
        errorsOnly: String(first(query.errors)) === 'true',
        limit: Number.isInteger(limit) ? limit : undefined,
      }) ?? []),
      stored: traces?.size ?? 0,
    };
  });

  app.get('/admin/traces/:id', { schema: internal }, async (request) => {
    await requireOperator(tokens, request);
    const { id } = request.params as { id: string };
    const trace = /^[0-9a-fA-F]{32}$/.test(id) ? traces?.get(id) : undefined;
    if (!trace && !traces) throw notFound('TRACE_NOT_FOUND', 'this gateway keeps no traces (GATEWAY_TRACE_STORE_TRACES=0): look the trace up in the tracing backend (X-Ray on AWS)');
    if (!trace) throw notFound('TRACE_NOT_FOUND', `no trace ${id.slice(0, 64)} is kept here (recent traces only)`);
    return trace;
  });

  app.get('/metrics/all', { schema: internal, config: quiet }, async (request, reply) => {
    await requireOperatorOrLoopback(tokens, request);
    return reply.type(registry.contentType).send(await federate(await registry.metrics(), metricsTargets()));
  });
}
