import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../../contracts/errors.ts';
import type { RouteSchemas } from '../../../core/route-schemas.ts';
import { ServiceResolver } from '../../../discovery/resolver.ts';
import { messagingConfigFromEnv } from '../../../messaging/aws.ts';
import { federate, ONE_MACHINE_METRICS_SOURCES, type ScrapeTarget } from '../../../observability/metrics-federation.ts';
import { registry } from '../../../observability/metrics.ts';
import type { TraceQueries } from '../../../observability/trace-collector.ts';
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
 * - `GET /admin/traces` (recent traces; `service`, `name`, `min_duration_ms`,
 *   `errors`, `limit`) and `GET /admin/traces/{id}` (the span tree with
 *   timings and the service of each span), for operators, answered by the
 *   trace collector (observability/trace-collector.ts, a worker thread that
 *   also receives the services' spans on its own port);
 * - `GET /metrics/all`: every service's metrics in one page, for operators
 *   or a scraper on this machine.
 * Everything here is hidden from the OpenAPI document and answers 404 to
 * anyone not allowed to see it.
 */
export function observabilityRoutes(plain: FastifyInstance, deps: { tokens: TokenIssuer; traces?: TraceQueries }): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  const { tokens, traces } = deps;
  const internal = { hide: true };
  const quiet = { trace: false, rateLimit: false };
  // On request, before anything else looks at the request (as operatorsOnly does): a check that ran later let a 400
  // for a NUL in the path tell anyone these routes exist, where an unknown path is a 404 (found by the fuzzer).
  const operatorsFirst = { onRequest: async (request: FastifyRequest) => void (await requireOperator(tokens, request)) };

  app.get('/admin/traces', { schema: internal, ...operatorsFirst }, async (request) => {
    await requireOperator(tokens, request);
    // Repeated parameters arrive as arrays and the first one counts (first()), so there is no schema to type them.
    const query = request.query as Record<string, unknown>;
    const minDuration = Number(first(query.min_duration_ms));
    const limit = Number(first(query.limit));
    if (!traces) return { traces: [], stored: 0 };
    return traces.list({
      service: typeof first(query.service) === 'string' ? String(first(query.service)) : undefined,
      name: typeof first(query.name) === 'string' ? String(first(query.name)) : undefined,
      minDurationMs: Number.isFinite(minDuration) ? minDuration : undefined,
      errorsOnly: String(first(query.errors)) === 'true',
      limit: Number.isInteger(limit) ? limit : undefined,
    });
  });

  app.get('/admin/traces/:id', { schema: { ...internal, params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } }, ...operatorsFirst }, async (request) => {
    await requireOperator(tokens, request);
    const { id } = request.params;
    const trace = /^[0-9a-fA-F]{32}$/.test(id) ? await traces?.get(id) : undefined;
    if (!trace && !traces) throw notFound('TRACE_NOT_FOUND', 'this gateway keeps no traces (GATEWAY_TRACE_STORE_TRACES=0): look the trace up in the tracing backend (X-Ray on AWS)');
    if (!trace) throw notFound('TRACE_NOT_FOUND', `no trace ${id.slice(0, 64)} is kept here: only recent traces, and of those only the sampled, failed and slow ones`);
    return trace;
  });

  app.get('/metrics/all', { schema: internal, config: quiet }, async (request, reply) => {
    await requireOperatorOrLoopback(tokens, request);
    return reply.type(registry.contentType).send(await federate(await registry.metrics(), metricsTargets()));
  });
}
