import { context, isSpanContextValid, propagation, ROOT_CONTEXT, trace, type Context, type Link, type SpanContext } from '@opentelemetry/api';

/**
 * W3C trace context as it travels in a carrier PayMesh controls (HTTP
 * headers, gRPC metadata, SQS message attributes, an event's detail, an
 * outbox row): `traceparent` and, when there is one, `tracestate`.
 */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

/** Anything that may hold the two fields: headers, attributes, a parsed JSON object. */
export type CarrierLike = { traceparent?: unknown; tracestate?: unknown };

export const TRACE_FIELDS = ['traceparent', 'tracestate'] as const;

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The carrier for a context (the active one by default); undefined when it holds no valid span. */
export function traceCarrier(ctx: Context = context.active()): TraceCarrier | undefined {
  const fields: Record<string, string> = {};
  propagation.inject(ctx, fields);
  if (!fields.traceparent) return undefined;
  return fields.tracestate ? { traceparent: fields.traceparent, tracestate: fields.tracestate } : { traceparent: fields.traceparent };
}

/** Reads a carrier back into a context whose remote parent is the sender's span; anything malformed gives `base`. */
export function contextFromCarrier(carrier: CarrierLike | undefined, base: Context = ROOT_CONTEXT): Context {
  const traceparent = carrier?.traceparent;
  if (typeof traceparent !== 'string' || !TRACEPARENT.test(traceparent.trim().toLowerCase())) return base;
  const tracestate = carrier?.tracestate;
  return propagation.extract(base, typeof tracestate === 'string' && tracestate ? { traceparent, tracestate } : { traceparent });
}

/** The remote span a carrier names, for a span link (a DLQ redrive points back at the original trace). */
export function spanContextOf(carrier: CarrierLike | undefined): SpanContext | undefined {
  const found = trace.getSpanContext(contextFromCarrier(carrier));
  return found && isSpanContextValid(found) ? found : undefined;
}

export function linkTo(carrier: CarrierLike | undefined, attributes?: Link['attributes']): Link[] {
  const spanContext = spanContextOf(carrier);
  return spanContext ? [{ context: spanContext, ...(attributes ? { attributes } : {}) }] : [];
}

/** A carrier stored as text (the outbox's trace_context column). */
export function serializeCarrier(carrier: TraceCarrier | undefined): string | null {
  return carrier ? JSON.stringify(carrier) : null;
}

export function parseCarrier(text: string | null | undefined): TraceCarrier | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<TraceCarrier>;
    return typeof value.traceparent === 'string' ? (value as TraceCarrier) : undefined;
  } catch {
    return undefined;
  }
}

/** Trace and span id of the active span, for log lines; empty outside a span. */
export function activeIds(): { trace_id: string; span_id: string } | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
