import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { isPayMeshError } from '../core/errors.ts';
import { scrubText } from './redact.ts';

export { SpanKind, SpanStatusCode, ROOT_CONTEXT };
export type { Span, Context, Attributes };

/** The path of the gateway's OTLP/HTTP JSON receiver (loopback callers only). */
export const GATEWAY_OTLP_PATH = '/internal/otlp/v1/traces';

const TRACER_NAME = 'paymesh';

/** PayMesh's tracer. Before initTracing (in tests, tools) it makes no-op spans, so instrumented code runs unchanged. */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

export interface Tracing {
  /** Where spans go: `otlp <url>`, `gateway <url>`, `in-process store` or `off`. */
  readonly destination: string;
  /** Exports what is buffered and stops; call on shutdown so the last spans are not lost. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  version?: string;
  env?: NodeJS.ProcessEnv;
  /** The gateway keeps traces itself: its own spans go straight to its store unless an OTLP endpoint is set. */
  localExporter?: SpanExporter;
}

let active: Tracing | undefined;

/**
 * Sets up tracing for one service process: its name as the resource, W3C
 * trace context, AsyncLocalStorage context, and a batch processor exporting
 * over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT when one is configured
 * (a collector: Jaeger, Tempo, Datadog, X-Ray), otherwise to the gateway,
 * which keeps recent traces for its admin API. Every span is sanitised before
 * it leaves (attribute allow-list, scrubbed text). Call once, first thing in main.ts.
 */
export function initTracing(service: string, options: TracingOptions = {}): Tracing {
  if (active) return active;
  const env = options.env ?? process.env;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  const { exporter, destination } = chooseExporter(env, options.localExporter);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: service,
      ...(options.version ? { [ATTR_SERVICE_VERSION]: options.version } : {}),
      'service.namespace': 'paymesh',
    }),
    spanLimits: { attributeCountLimit: 64, attributeValueLengthLimit: 512, eventCountLimit: 32, linkCountLimit: 8 },
    spanProcessors: exporter
      ? [
          new BatchSpanProcessor({
            exporter: new SanitizingExporter(exporter),
            scheduledDelayMillis: positiveInt(env.OTEL_BSP_SCHEDULE_DELAY, 1000),
            maxQueueSize: positiveInt(env.OTEL_BSP_MAX_QUEUE_SIZE, 4096),
            maxExportBatchSize: 512,
            exportTimeoutMillis: 5000,
          }),
        ]
      : [],
  });
  trace.setGlobalTracerProvider(provider);
  active = {
    destination,
    async shutdown() {
      // Never hold up a shutdown for long on an unreachable collector.
      await Promise.race([provider.shutdown().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
    },
  };
  return active;
}

function chooseExporter(env: NodeJS.ProcessEnv, local: SpanExporter | undefined): { exporter: SpanExporter | undefined; destination: string } {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return { exporter: undefined, destination: 'off' };
  const otlp = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  // The exporter reads the OTEL_EXPORTER_OTLP_* settings (endpoint, headers, timeout) itself.
  if (otlp) return { exporter: new OTLPTraceExporter(), destination: `otlp ${otlp}` };
  if (local) return { exporter: local, destination: 'in-process store' };
  const url = env.PAYMESH_TRACES_URL || `${(env.GATEWAY_URL || 'http://127.0.0.1:8080').replace(/\/$/, '')}${GATEWAY_OTLP_PATH}`;
  return { exporter: new OTLPTraceExporter({ url }), destination: `gateway ${url}` };
}

function positiveInt(raw: string | undefined, fallback: number): number {
  const value = Number(raw);
  return raw && Number.isInteger(value) && value > 0 ? value : fallback;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** The parent; the active context by default. */
  parent?: Context;
}

/**
 * Runs `fn` in a new active span and ends it. A thrown error marks the span
 * failed, unless it is a refusal (a PayMeshError that is not `unavailable` or
 * `internal`: bad input, not found, insufficient funds), which is recorded as
 * `error.type` without failing the span: the system did its job.
 */
export function withSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links: options.links }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      recordFailure(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Records an error on a span: its code or name as `error.type`; failed status unless it is a refusal. */
export function recordFailure(span: Span, err: unknown): void {
  const refusal = isPayMeshError(err) && err.kind !== 'unavailable' && err.kind !== 'internal';
  span.setAttribute('error.type', isPayMeshError(err) ? err.code : ((err as Error)?.name ?? 'Error'));
  if (refusal) return;
  const message = scrubText(String((err as Error)?.message ?? err)).slice(0, 300);
  span.addEvent('exception', { 'exception.type': (err as Error)?.name ?? 'Error', 'exception.message': message });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** Runs `fn` outside any trace: background loops (relays, pollers) must not join whichever request woke them. */
export function detached<T>(fn: () => T): T {
  return context.with(ROOT_CONTEXT, fn);
}

// ---------------------------------------------------------------------------
// What a span may carry when it leaves the process.

const ALLOWED_PREFIXES = ['http.', 'url.path', 'url.scheme', 'url.template', 'server.', 'network.', 'rpc.', 'messaging.', 'error.', 'exception.type', 'exception.message', 'paymesh.', 'saga.', 'websocket.'];
const ALLOWED_KEYS = new Set(['user_id', 'amount', 'currency', 'validation_result', 'transaction_id', 'payment_id', 'event_type', 'detail_type']);
// Even an allowed prefix never carries these (e.g. a header attribute someone adds later).
const DENIED = /(?:^|[._])(authorization|cookie|password|secret|token|email|card|cvc|cvv)(?:$|[._])/i;

export function isAllowedAttribute(key: string): boolean {
  if (DENIED.test(key)) return false;
  return ALLOWED_KEYS.has(key) || ALLOWED_PREFIXES.some((prefix) => key.startsWith(prefix));
}

export function sanitizeAttributes(attributes: Attributes | undefined): Attributes {
  const clean: Attributes = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || !isAllowedAttribute(key)) continue;
    clean[key] = sanitizeValue(value);
  }
  return clean;
}

function sanitizeValue(value: AttributeValue): AttributeValue {
  if (typeof value === 'string') return scrubText(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? scrubText(v) : v)) as AttributeValue;
  return value;
}

/** A copy of a finished span fit to leave the process. */
export function sanitizeSpan(span: ReadableSpan): ReadableSpan {
  const status = span.status.message ? { ...span.status, message: scrubText(span.status.message) } : span.status;
  return {
    name: scrubText(span.name),
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status,
    attributes: sanitizeAttributes(span.attributes),
    links: span.links.map((link) => ({ ...link, attributes: sanitizeAttributes(link.attributes) })),
    events: span.events.map((event) => ({ ...event, attributes: sanitizeAttributes(event.attributes) })),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

class SanitizingExporter implements SpanExporter {
  private readonly inner: SpanExporter;

  constructor(inner: SpanExporter) {
    this.inner = inner;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      this.inner.export(spans.map(sanitizeSpan), resultCallback);
    } catch (err) {
      resultCallback({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
