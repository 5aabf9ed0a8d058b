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
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  createAlwaysRecordSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { isPayMeshError } from '../contracts/errors.ts';
import { ConfigReader } from '../core/config.ts';
import { scrubText } from './redact.ts';
import { KEEP_ATTRIBUTE, KeptTracePropagator, TailKeepingProcessor } from './tail-sampling.ts';

export { SpanKind, SpanStatusCode, ROOT_CONTEXT };
export type { Span, Context, Attributes };

/**
 * Where spans go on one machine when no OTLP endpoint is set: the OTLP/HTTP
 * receiver of the gateway's trace collector (a worker thread of the gateway,
 * GATEWAY_TRACES_PORT, loopback only), on OTLP's standard port.
 */
export const DEFAULT_TRACES_URL = 'http://127.0.0.1:4318/v1/traces';

const TRACER_NAME = 'paymesh';

/** PayMesh's tracer. Before initTracing (in tests, tools) it makes no-op spans, so instrumented code runs unchanged. */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** OpenTelemetry's standard sampler names (OTEL_TRACES_SAMPLER). */
export const SAMPLERS = ['parentbased_traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'traceidratio', 'always_on', 'always_off'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface Sampling {
  sampler: SamplerName;
  /** The share of new traces exported whole, decided where a trace starts: 1 for always_on, 0 for always_off. */
  ratio: number;
  /** A trace whose local root lasts longer than this is kept whatever the head decided (PAYMESH_TRACE_SLOW_MS). */
  slowMs: number;
}

/** Head sampling by default: a few traces whole, plus (tail) every failed or slow one; enough to see, cheap to run. */
export const DEFAULT_SAMPLING_RATIO = 0.01;

/**
 * The sampling settings: OTEL_TRACES_SAMPLER (default parentbased_traceidratio),
 * OTEL_TRACES_SAMPLER_ARG (the ratio, default 0.01; read by the ratio samplers
 * only, as OpenTelemetry specifies) and PAYMESH_TRACE_SLOW_MS (default 1000).
 */
export function samplingFromEnv(service: string, env: NodeJS.ProcessEnv = process.env): Sampling {
  const read = new ConfigReader(env);
  const name = read.string('OTEL_TRACES_SAMPLER', 'parentbased_traceidratio').trim().toLowerCase();
  const sampler = (SAMPLERS as readonly string[]).includes(name) ? (name as SamplerName) : 'parentbased_traceidratio';
  if (sampler !== name) read.problem(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}, got '${name}'`);
  const arg = read.optional('OTEL_TRACES_SAMPLER_ARG');
  let ratio = DEFAULT_SAMPLING_RATIO;
  if (arg !== undefined) {
    const value = Number(arg);
    if (Number.isFinite(value) && value >= 0 && value <= 1) ratio = value;
    else read.problem(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 (the share of traces sampled), got '${arg}'`);
  }
  const slowMs = read.int('PAYMESH_TRACE_SLOW_MS', 1000, 1, 3_600_000);
  read.done(service);
  return { sampler, ratio: sampler.endsWith('always_on') ? 1 : sampler.endsWith('always_off') ? 0 : ratio, slowMs };
}

/** OpenTelemetry's own samplers for a setting. */
export function headSampler(sampling: Sampling): Sampler {
  const root = sampling.sampler.endsWith('always_on') ? new AlwaysOnSampler() : sampling.sampler.endsWith('always_off') ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(sampling.ratio);
  return sampling.sampler.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

export interface Tracing {
  /** Where spans go: `otlp <url>`, `collector <url>`, `in-process collector` or `off`. */
  readonly destination: string;
  readonly sampling: Sampling;
  /** Keeps a trace this process holds spans of (the gateway, when its collector receives that trace from others). */
  keep(traceId: string): void;
  /** Exports what is waiting in the batch. */
  forceFlush(): Promise<void>;
  /** Exports what is buffered and stops; call on shutdown so the last spans are not lost. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  version?: string;
  env?: NodeJS.ProcessEnv;
  /** The gateway's own spans go straight to its trace collector unless an OTLP endpoint is set. */
  localExporter?: SpanExporter;
}

let active: Tracing | undefined;
let keeper: TailKeepingProcessor | undefined;

/**
 * Sets up tracing for one service process: its name as the resource, W3C
 * trace context, AsyncLocalStorage context, head sampling (OTEL_TRACES_SAMPLER),
 * tail keeping of failed, marked and slow traces (tail-sampling.ts), and a
 * batch processor exporting over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT
 * when one is configured (a collector: Jaeger, Tempo, Datadog, X-Ray),
 * otherwise to the gateway's trace collector, which keeps recent traces for
 * its admin API. Every span is sanitised before it leaves (attribute
 * allow-list, scrubbed text). Call once, first thing in main.ts.
 */
export function initTracing(service: string, options: TracingOptions = {}): Tracing {
  if (active) return active;
  const env = options.env ?? process.env;
  const sampling = samplingFromEnv(service, env);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

  const { exporter, destination } = chooseExporter(env, options.localExporter);
  const tail = exporter
    ? new TailKeepingProcessor({
        exportTo: new BatchSpanProcessor({
          exporter: new SanitizingExporter(exporter),
          scheduledDelayMillis: positiveInt(env.OTEL_BSP_SCHEDULE_DELAY, 1000),
          maxQueueSize: positiveInt(env.OTEL_BSP_MAX_QUEUE_SIZE, 4096),
          maxExportBatchSize: 512,
          exportTimeoutMillis: 5000,
        }),
        slowMs: sampling.slowMs,
      })
    : undefined;
  keeper = tail;
  const w3c = new W3CTraceContextPropagator();
  propagation.setGlobalPropagator(tail ? new KeptTracePropagator(w3c, (traceId) => tail.isKept(traceId)) : w3c);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: service,
      ...(options.version ? { [ATTR_SERVICE_VERSION]: options.version } : {}),
      'service.namespace': 'paymesh',
    }),
    // Spans the head sampler leaves out are still recorded (not sampled) while something can keep them later.
    sampler: tail ? createAlwaysRecordSampler(headSampler(sampling)) : headSampler(sampling),
    spanLimits: { attributeCountLimit: 64, attributeValueLengthLimit: 512, eventCountLimit: 32, linkCountLimit: 8 },
    spanProcessors: tail ? [tail] : [],
  });
  trace.setGlobalTracerProvider(provider);
  active = {
    destination,
    sampling,
    keep: (traceId) => tail?.keep(traceId),
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      // Never hold up a shutdown for long on an unreachable collector.
      await Promise.race([provider.shutdown().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
    },
  };
  return active;
}

/**
 * Keeps the trace of `span` (the active span by default) whatever the head
 * sampler decided: for a business failure that is no error to the system
 * (a payment that failed), which an operator will still want to look at.
 */
export function keepTrace(span: Span | undefined = trace.getActiveSpan()): void {
  if (!span) return;
  span.setAttribute(KEEP_ATTRIBUTE, true);
  keeper?.keep(span.spanContext().traceId);
}

function chooseExporter(env: NodeJS.ProcessEnv, local: SpanExporter | undefined): { exporter: SpanExporter | undefined; destination: string } {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return { exporter: undefined, destination: 'off' };
  const otlp = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  // The exporter reads the OTEL_EXPORTER_OTLP_* settings (endpoint, headers, timeout) itself.
  if (otlp) return { exporter: new OTLPTraceExporter(), destination: `otlp ${otlp}` };
  if (local) return { exporter: local, destination: 'in-process collector' };
  const url = env.PAYMESH_TRACES_URL || DEFAULT_TRACES_URL;
  return { exporter: new OTLPTraceExporter({ url }), destination: `collector ${url}` };
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
