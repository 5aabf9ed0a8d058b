import {
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type TextMapPropagator,
  type TextMapSetter,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * Keeps the traces worth keeping that head sampling left out: one with an
 * error, one a business failure asks for (`paymesh.keep`), one whose local
 * root was slow. Spans of traces the head sampler did not pick are recorded
 * anyway (the sampler says RECORD, not RECORD_AND_SAMPLED) and wait here a
 * short while, per trace; when one of them ends failed, marked or slow, this
 * process exports what it holds of that trace and, from then on, every span
 * of it, and its propagator sends the trace on as sampled so the processes
 * downstream export their part too.
 *
 * Hand-written because nothing maintained does this in process: OpenTelemetry
 * JS has head samplers only, and tail sampling lives in the Collector
 * (`tailsamplingprocessor`), which decides on whole traces only after every
 * service has exported every span to it, the very cost this is here to avoid.
 * What it cannot do: spans another process ended before the decision stay
 * there and are lost (the gateway is the exception: its collector tells it
 * which traces arrived, see trace-collector.ts).
 */

export const KEEP_ATTRIBUTE = 'paymesh.keep';

export interface TailKeepingOptions {
  /** The processor that exports (a BatchSpanProcessor); it only takes spans flagged sampled. */
  exportTo: SpanProcessor;
  /** A local root lasting longer than this keeps its trace. */
  slowMs: number;
  /** Traces held at once; the oldest goes first. */
  maxTraces?: number;
  /** Spans held per trace; the oldest goes first (a local root ends last, and it is the one to keep). */
  maxSpansPerTrace?: number;
  /** How long a trace's spans are held, from its first held span. */
  ttlMs?: number;
  /** How many kept trace ids are remembered (to export their later spans directly), and for how long. */
  maxKept?: number;
  keptTtlMs?: number;
  now?: () => number;
}

export interface TailKeepingStats {
  heldTraces: number;
  heldSpans: number;
  /** Traces let go unexported because the buffer was full or they were held too long. */
  expiredTraces: number;
  /** Spans let go because their trace held too many. */
  droppedSpans: number;
  keptTraces: number;
}

interface Held {
  spans: ReadableSpan[];
  since: number;
}

const hrMs = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

export class TailKeepingProcessor implements SpanProcessor {
  private readonly exportTo: SpanProcessor;
  private readonly slowMs: number;
  private readonly maxTraces: number;
  private readonly maxSpansPerTrace: number;
  private readonly ttlMs: number;
  private readonly maxKept: number;
  private readonly keptTtlMs: number;
  private readonly now: () => number;
  // Maps keep insertion order: the first entry is always the oldest, so bounding them costs O(1) per trace.
  private readonly held = new Map<string, Held>();
  private readonly kept = new Map<string, number>();
  private heldSpans = 0;
  private expiredTraces = 0;
  private droppedSpans = 0;

  constructor(options: TailKeepingOptions) {
    this.exportTo = options.exportTo;
    this.slowMs = options.slowMs;
    this.maxTraces = options.maxTraces ?? 512;
    this.maxSpansPerTrace = options.maxSpansPerTrace ?? 64;
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxKept = options.maxKept ?? 4096;
    this.keptTtlMs = options.keptTtlMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  onStart(span: Span, parentContext: Context): void {
    this.exportTo.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const spanContext = span.spanContext();
    if (spanContext.traceFlags & TraceFlags.SAMPLED) {
      this.exportTo.onEnd(span);
      return;
    }
    const traceId = spanContext.traceId;
    if (this.isKept(traceId) || this.worthKeeping(span)) {
      this.keep(traceId);
      this.exportTo.onEnd(asSampled(span));
      return;
    }
    this.hold(traceId, span);
  }

  /** Keeps a trace: exports what is held of it and every span of it that ends from now on. */
  keep(traceId: string): void {
    const now = this.now();
    if (!this.kept.has(traceId)) {
      for (const [id, since] of this.kept) {
        if (this.kept.size < this.maxKept && now - since < this.keptTtlMs) break;
        this.kept.delete(id);
      }
    }
    this.kept.set(traceId, now);
    const held = this.held.get(traceId);
    if (!held) return;
    this.held.delete(traceId);
    this.heldSpans -= held.spans.length;
    for (const span of held.spans) this.exportTo.onEnd(asSampled(span));
  }

  isKept(traceId: string): boolean {
    const since = this.kept.get(traceId);
    if (since === undefined) return false;
    if (this.now() - since < this.keptTtlMs) return true;
    this.kept.delete(traceId);
    return false;
  }

  stats(): TailKeepingStats {
    return { heldTraces: this.held.size, heldSpans: this.heldSpans, expiredTraces: this.expiredTraces, droppedSpans: this.droppedSpans, keptTraces: this.kept.size };
  }

  forceFlush(): Promise<void> {
    return this.exportTo.forceFlush();
  }

  shutdown(): Promise<void> {
    this.held.clear();
    this.heldSpans = 0;
    return this.exportTo.shutdown();
  }

  private worthKeeping(span: ReadableSpan): boolean {
    if (span.status.code === SpanStatusCode.ERROR || span.attributes[KEEP_ATTRIBUTE] === true) return true;
    const parent = span.parentSpanContext;
    const localRoot = span.kind === SpanKind.SERVER || span.kind === SpanKind.CONSUMER || !parent || parent.isRemote === true;
    return localRoot && hrMs(span.endTime) - hrMs(span.startTime) > this.slowMs;
  }

  private hold(traceId: string, span: ReadableSpan): void {
    let held = this.held.get(traceId);
    if (!held) {
      const now = this.now();
      for (const [id, entry] of this.held) {
        if (this.held.size < this.maxTraces && now - entry.since < this.ttlMs) break;
        this.held.delete(id);
        this.heldSpans -= entry.spans.length;
        this.expiredTraces++;
      }
      held = { spans: [], since: now };
      this.held.set(traceId, held);
    }
    if (held.spans.length >= this.maxSpansPerTrace) {
      held.spans.shift();
      this.heldSpans--;
      this.droppedSpans++;
    }
    held.spans.push(span);
    this.heldSpans++;
  }
}

/**
 * The same span flagged sampled, so the batch processor (which skips
 * unsampled spans) exports it. A view on the span, not a copy: the exporter
 * sanitises it into a copy of its own anyway.
 */
function asSampled(span: ReadableSpan): ReadableSpan {
  const spanContext = { ...span.spanContext(), traceFlags: span.spanContext().traceFlags | TraceFlags.SAMPLED };
  return Object.create(span, { spanContext: { value: () => spanContext } }) as ReadableSpan;
}

/**
 * W3C trace context that says "sampled" for a trace this process keeps,
 * whatever its spans were flagged when they started: from the moment a
 * failure keeps a trace, every HTTP call, gRPC call, outbox row and message
 * sent in it asks the next process to export its part.
 */
export class KeptTracePropagator implements TextMapPropagator {
  private readonly inner: TextMapPropagator;
  private readonly isKept: (traceId: string) => boolean;

  constructor(inner: TextMapPropagator, isKept: (traceId: string) => boolean) {
    this.inner = inner;
    this.isKept = isKept;
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (spanContext && !(spanContext.traceFlags & TraceFlags.SAMPLED) && this.isKept(spanContext.traceId)) {
      context = trace.setSpanContext(context, { ...spanContext, traceFlags: spanContext.traceFlags | TraceFlags.SAMPLED });
    }
    this.inner.inject(context, carrier, setter);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.inner.extract(context, carrier, getter);
  }

  fields(): string[] {
    return this.inner.fields();
  }
}
