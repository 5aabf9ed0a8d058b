import type { Attributes, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { SpanKindName, SpanLink, SpanNode, SpanStatus, TraceSummary, TraceView } from './trace-view.ts';

/**
 * Recent traces kept in memory on one machine, for the gateway's admin API
 * (held by the gateway's trace collector, a worker thread: trace-collector.ts).
 * Hand-written because no maintained package keeps OTLP spans in memory for
 * querying (Jaeger and Tempo are servers); it is bounded by trace count and
 * spans per trace, oldest traces leaving first. In production an OTLP
 * collector and its backend take this role.
 */

const KIND_NAMES: SpanKindName[] = ['internal', 'server', 'client', 'producer', 'consumer'];

export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKindName;
  service: string;
  serviceVersion?: string;
  /** Unix epoch milliseconds, with microseconds as the fraction. */
  startMs: number;
  endMs: number;
  status: SpanStatus;
  statusMessage?: string;
  attributes: Record<string, unknown>;
  links: SpanLink[];
  events: Array<{ name: string; timeMs: number; attributes: Record<string, unknown> }>;
}

interface StoredTrace {
  spans: StoredSpan[];
  firstSeen: number;
}


export interface TraceFilter {
  service?: string;
  /** A substring of any span's name. */
  name?: string;
  minDurationMs?: number;
  errorsOnly?: boolean;
  limit?: number;
}


const round = (ms: number) => Math.round(ms * 1000) / 1000;

export class TraceStore {
  readonly maxTraces: number;
  readonly maxSpansPerTrace: number;
  private readonly traces = new Map<string, StoredTrace>();
  private dropped = 0;

  constructor(options: { maxTraces?: number; maxSpansPerTrace?: number } = {}) {
    this.maxTraces = options.maxTraces ?? 1000;
    this.maxSpansPerTrace = options.maxSpansPerTrace ?? 2000;
  }

  get size(): number {
    return this.traces.size;
  }

  /** Spans refused because their trace was full. */
  get droppedSpans(): number {
    return this.dropped;
  }

  /** Stores spans; returns the ids of the traces they started here (new to the store). */
  add(spans: StoredSpan[]): string[] {
    const started: string[] = [];
    for (const span of spans) {
      let stored = this.traces.get(span.traceId);
      if (!stored) {
        while (this.traces.size >= this.maxTraces) this.traces.delete(this.traces.keys().next().value!);
        stored = { spans: [], firstSeen: Date.now() };
        this.traces.set(span.traceId, stored);
        started.push(span.traceId);
      }
      if (stored.spans.length >= this.maxSpansPerTrace) {
        this.dropped++;
        continue;
      }
      // An exporter may retry a batch: a span is kept once.
      if (!stored.spans.some((s) => s.spanId === span.spanId)) stored.spans.push(span);
    }
    return started;
  }

  /** Most recent first. */
  list(filter: TraceFilter = {}): TraceSummary[] {
    const limit = Math.min(Math.max(filter.limit ?? 20, 1), 500);
    const found: TraceSummary[] = [];
    for (const [traceId, stored] of [...this.traces.entries()].reverse()) {
      const summary = summarize(traceId, stored.spans);
      if (filter.service && !summary.services.includes(filter.service)) continue;
      if (filter.name && !stored.spans.some((s) => s.name.includes(filter.name!))) continue;
      if (filter.minDurationMs !== undefined && summary.duration_ms < filter.minDurationMs) continue;
      if (filter.errorsOnly && !summary.error) continue;
      found.push(summary);
      if (found.length >= limit) break;
    }
    return found.sort((a, b) => b.started_at.localeCompare(a.started_at));
  }

  /** Every trace with a span carrying `key` = `value` (a payment's id), oldest first. */
  withAttribute(key: string, value: unknown): TraceView[] {
    const found: TraceView[] = [];
    for (const [traceId, stored] of this.traces) {
      if (stored.spans.some((s) => s.attributes[key] === value)) found.push(this.get(traceId)!);
    }
    return found.sort((a, b) => a.started_at.localeCompare(b.started_at));
  }

  get(traceId: string): TraceView | undefined {
    const stored = this.traces.get(traceId.toLowerCase());
    if (!stored) return undefined;
    const spans = [...stored.spans].sort((a, b) => a.startMs - b.startMs);
    const start = spans[0]!.startMs;
    const end = Math.max(...spans.map((s) => s.endMs));
    const nodes = new Map<string, SpanNode>();
    for (const s of spans) {
      nodes.set(s.spanId, {
        span_id: s.spanId,
        parent_span_id: s.parentSpanId ?? null,
        name: s.name,
        service: s.service,
        ...(s.serviceVersion ? { version: s.serviceVersion } : {}),
        kind: s.kind,
        start_ms: round(s.startMs - start),
        duration_ms: round(s.endMs - s.startMs),
        status: s.status,
        ...(s.statusMessage ? { status_message: s.statusMessage } : {}),
        attributes: s.attributes,
        links: s.links,
        events: s.events.map((e) => ({ name: e.name, at_ms: round(e.timeMs - start), attributes: e.attributes })),
        children: [],
      });
    }
    const roots: SpanNode[] = [];
    for (const s of spans) {
      const node = nodes.get(s.spanId)!;
      const parent = s.parentSpanId ? nodes.get(s.parentSpanId) : undefined;
      if (parent) parent.children.push(node);
      else {
        if (s.parentSpanId) node.parent_missing = true;
        roots.push(node);
      }
    }
    return {
      trace_id: traceId.toLowerCase(),
      services: [...new Set(spans.map((s) => s.service))].sort(),
      span_count: spans.length,
      started_at: new Date(start).toISOString(),
      duration_ms: round(end - start),
      spans: roots,
    };
  }
}

function summarize(traceId: string, spans: StoredSpan[]): TraceSummary {
  let root = spans[0]!;
  let start = Infinity;
  let end = -Infinity;
  const ids = new Set(spans.map((s) => s.spanId));
  for (const s of spans) {
    start = Math.min(start, s.startMs);
    end = Math.max(end, s.endMs);
    const isRoot = !s.parentSpanId || !ids.has(s.parentSpanId);
    const rootIsRoot = !root.parentSpanId || !ids.has(root.parentSpanId);
    if ((isRoot && !rootIsRoot) || (isRoot === rootIsRoot && s.startMs < root.startMs)) root = s;
  }
  return {
    trace_id: traceId,
    root: { name: root.name, service: root.service },
    services: [...new Set(spans.map((s) => s.service))].sort(),
    span_count: spans.length,
    started_at: new Date(start).toISOString(),
    duration_ms: round(end - start),
    error: spans.some((s) => s.status === 'error'),
  };
}

// ---------------------------------------------------------------------------
// OTLP/HTTP JSON (ExportTraceServiceRequest) → stored spans.

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  status?: { code?: number; message?: string };
  links?: Array<{ traceId?: string; spanId?: string; attributes?: OtlpKeyValue[] }>;
  events?: Array<{ name?: string; timeUnixNano?: string | number; attributes?: OtlpKeyValue[] }>;
}
export interface OtlpTraceRequest {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

const HEX_ID = (length: number) => new RegExp(`^[0-9a-f]{${length}}$`);
const TRACE_ID = HEX_ID(32);
const SPAN_ID = HEX_ID(16);

function anyValue(value: OtlpAnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(anyValue);
  return undefined;
}

function keyValues(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) if (typeof kv.key === 'string') out[kv.key] = anyValue(kv.value);
  return out;
}

function nanosToMs(value: string | number | undefined): number {
  if (value === undefined) return 0;
  const nanos = BigInt(String(value).split('.')[0]!);
  return Number(nanos / 1000n) / 1000;
}

/** Spans from an OTLP JSON export request; malformed spans are skipped and counted. */
export function spansFromOtlpJson(request: OtlpTraceRequest): { spans: StoredSpan[]; rejected: number } {
  const spans: StoredSpan[] = [];
  let rejected = 0;
  for (const rs of request.resourceSpans ?? []) {
    const resource = keyValues(rs.resource?.attributes);
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown';
    const version = typeof resource['service.version'] === 'string' ? resource['service.version'] : undefined;
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const traceId = s.traceId?.toLowerCase() ?? '';
        const spanId = s.spanId?.toLowerCase() ?? '';
        if (!TRACE_ID.test(traceId) || !SPAN_ID.test(spanId)) {
          rejected++;
          continue;
        }
        try {
          const parent = s.parentSpanId?.toLowerCase();
          spans.push({
            traceId,
            spanId,
            ...(parent && SPAN_ID.test(parent) ? { parentSpanId: parent } : {}),
            name: String(s.name ?? '').slice(0, 200),
            // OTLP kinds are the API's plus one (0 is unspecified).
            kind: KIND_NAMES[Math.max(0, (s.kind ?? 1) - 1)] ?? 'internal',
            service,
            ...(version ? { serviceVersion: version } : {}),
            startMs: nanosToMs(s.startTimeUnixNano),
            endMs: nanosToMs(s.endTimeUnixNano),
            status: s.status?.code === 2 ? 'error' : s.status?.code === 1 ? 'ok' : 'unset',
            ...(s.status?.message ? { statusMessage: s.status.message } : {}),
            attributes: keyValues(s.attributes),
            links: (s.links ?? []).map((l) => ({ traceId: String(l.traceId ?? ''), spanId: String(l.spanId ?? ''), attributes: keyValues(l.attributes) })),
            events: (s.events ?? []).map((e) => ({ name: String(e.name ?? ''), timeMs: nanosToMs(e.timeUnixNano), attributes: keyValues(e.attributes) })),
          });
        } catch {
          rejected++;
        }
      }
    }
  }
  return { spans, rejected };
}

// ---------------------------------------------------------------------------
// The gateway's own spans, handed to its collector as they are stored.

const hrToMs = (t: HrTime) => t[0] * 1000 + t[1] / 1e6;
const plain = (attributes: Attributes | undefined): Record<string, unknown> => ({ ...(attributes ?? {}) });

export function storedFromReadable(span: ReadableSpan): StoredSpan {
  const ctx = span.spanContext();
  const service = span.resource.attributes['service.name'];
  const version = span.resource.attributes['service.version'];
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    ...(span.parentSpanContext?.spanId ? { parentSpanId: span.parentSpanContext.spanId } : {}),
    name: span.name,
    kind: KIND_NAMES[span.kind] ?? 'internal',
    service: typeof service === 'string' ? service : 'unknown',
    ...(typeof version === 'string' ? { serviceVersion: version } : {}),
    startMs: hrToMs(span.startTime),
    endMs: hrToMs(span.endTime),
    status: span.status.code === 2 ? 'error' : span.status.code === 1 ? 'ok' : 'unset',
    ...(span.status.message ? { statusMessage: span.status.message } : {}),
    attributes: plain(span.attributes),
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attributes: plain(l.attributes) })),
    events: span.events.map((e) => ({ name: e.name, timeMs: hrToMs(e.time), attributes: plain(e.attributes) })),
  };
}
