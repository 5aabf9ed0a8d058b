import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HEALTH_PATHS } from '../discovery/catalog.ts';
import { histogram } from './metrics.ts';
import { contextFromCarrier, traceCarrier } from './propagation.ts';
import { recordFailure, tracer, withSpan } from './tracing.ts';

/** The seed's `api_request_duration`: by route template (never the raw URL) and status. */
const requestDuration = histogram(
  'api_request_duration',
  'HTTP request duration in seconds, by method, route template and status',
  ['method', 'route', 'status'],
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false`: requests to this route get no server span and no `api_request_duration` (probes, the web app's files). */
    trace?: boolean;
  }
}

const SPAN = Symbol('paymesh.span');
const STARTED = Symbol('paymesh.started');
type Instrumented = FastifyRequest & { [SPAN]?: Span; [STARTED]?: bigint };

/** Routes that are not traffic: probes and scrapes (and routes configured `trace: false`: the web app's files). They are neither traced nor measured. */
const UNMEASURED = new Set<string>([HEALTH_PATHS.alive, HEALTH_PATHS.ready, '/metrics']);

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

function traced(request: FastifyRequest): boolean {
  const config = request.routeOptions.config as { trace?: boolean } | undefined;
  if (config?.trace === false || UNMEASURED.has(routeOf(request))) return false;
  // A WebSocket upgrade or a server-sent-events stream lives as long as the connection: not a request span.
  if (request.headers.upgrade || request.headers.accept === 'text/event-stream') return false;
  return true;
}

/**
 * Server spans and `api_request_duration` for every request a Fastify app
 * serves: the span continues the caller's W3C trace context (`traceparent`
 * header), is named `METHOD /route/:template`, and is the active context for
 * the handler, so client calls, queries' logs and queued messages join it.
 */
export function instrumentHttpServer(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    if (!traced(request)) return done();
    const route = routeOf(request);
    const parent = contextFromCarrier({ traceparent: request.headers.traceparent, tracestate: request.headers.tracestate }, context.active());
    const span = tracer().startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.path': request.url.split('?')[0]!,
          'url.scheme': 'http',
          'network.peer.address': request.socket?.remoteAddress ?? '',
        },
      },
      parent,
    );
    (request as Instrumented)[SPAN] = span;
    (request as Instrumented)[STARTED] = process.hrtime.bigint();
    // Everything after this hook (parsing, hooks, the handler) runs with the span active.
    context.with(trace.setSpan(parent, span), done);
  });

  app.addHook('onError', (request, _reply, error, done) => {
    const span = (request as Instrumented)[SPAN];
    if (span) recordFailure(span, error);
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const started = (request as Instrumented)[STARTED];
    if (started === undefined) return done();
    const status = reply.statusCode;
    requestDuration.observe({ method: request.method, route: routeOf(request), status: String(status) }, Number(process.hrtime.bigint() - started) / 1e9);
    const span = (request as Instrumented)[SPAN];
    if (span) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
      span.end();
    }
    done();
  });

  app.addHook('onRequestAbort', (request, done) => {
    const span = (request as Instrumented)[SPAN];
    if (span) {
      span.setAttribute('error.type', 'request_aborted');
      span.end();
    }
    done();
  });
}

/** Headers carrying the active trace context, for an outgoing HTTP request. */
export function traceHeaders(): Record<string, string> {
  return { ...(traceCarrier() ?? {}) };
}

const ID_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+|[0-9a-f]{24,})$/i;

/** `/users/3f0c…/notifications?x=1` → `/users/{id}/notifications`: a low-cardinality name for a client span. */
export function pathTemplate(path: string): string {
  const bare = path.split('?')[0]!;
  return bare
    .split('/')
    .map((segment) => (ID_SEGMENT.test(decodeURIComponent(segment)) || segment.includes('%40') || segment.includes('@') ? '{id}' : segment))
    .join('/');
}

/**
 * A client span around one outgoing HTTP request, with the trace context to
 * send as headers. The query string is never recorded: it may carry an email.
 */
export function withHttpClientSpan<T>(
  method: string,
  baseUrl: string,
  path: string,
  send: (headers: Record<string, string>, span: Span) => Promise<T>,
): Promise<T> {
  const template = pathTemplate(path);
  let server: URL | undefined;
  try {
    server = new URL(baseUrl);
  } catch {
    server = undefined;
  }
  return withSpan(
    `${method} ${template}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'url.template': template,
        'url.path': template,
        ...(server ? { 'server.address': server.hostname, 'server.port': Number(server.port || 80) } : {}),
      },
    },
    (span) => send(traceHeaders(), span),
  );
}
