import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { contextFromCarrier, traceCarrier, type TraceCarrier } from '../observability/propagation.ts';
import { tracer } from '../observability/tracing.ts';

/**
 * Trace context across PayMesh's asynchronous hops. On SQS it rides in the
 * `traceparent`/`tracestate` message attributes; on EventBridge, which turns
 * an event into an SQS message body with no attributes, it rides in the
 * event's detail as `trace_context`, so a consumer of the delivered envelope
 * continues the trace either way.
 */

/** SQS allows at most 10 message attributes; the business ones always win. */
export const SQS_MAX_ATTRIBUTES = 10;
/** The detail field carrying the publisher's trace context in an EventBridge event. */
export const DETAIL_TRACE_FIELD = 'trace_context';

/** Adds the carrier's fields as String attributes while they fit: `tracestate` is the first to go, then `traceparent`. */
export function withTraceAttributes(attributes: Record<string, MessageAttributeValue>, carrier: TraceCarrier | undefined): Record<string, MessageAttributeValue> {
  if (!carrier) return attributes;
  const result = { ...attributes };
  delete result.traceparent;
  delete result.tracestate;
  const free = SQS_MAX_ATTRIBUTES - Object.keys(result).length;
  if (free >= 1) result.traceparent = { DataType: 'String', StringValue: carrier.traceparent };
  if (free >= 2 && carrier.tracestate) result.tracestate = { DataType: 'String', StringValue: carrier.tracestate };
  return result;
}

/** The sender's trace context of a received message: its attributes, else the `trace_context` in an EventBridge envelope's detail. */
export function carrierOfMessage(message: { attributes: Record<string, string>; body: string }): TraceCarrier | undefined {
  if (message.attributes.traceparent) {
    return { traceparent: message.attributes.traceparent, ...(message.attributes.tracestate ? { tracestate: message.attributes.tracestate } : {}) };
  }
  if (!message.body.startsWith('{') || !message.body.includes(DETAIL_TRACE_FIELD)) return undefined;
  try {
    const found = (JSON.parse(message.body) as { detail?: Record<string, unknown> }).detail?.[DETAIL_TRACE_FIELD] as Partial<TraceCarrier> | undefined;
    return typeof found?.traceparent === 'string' ? (found as TraceCarrier) : undefined;
  } catch {
    return undefined;
  }
}

/** `https://sqs.../123456789012/payment-processing` → `payment-processing`. */
export function queueNameOf(queueUrl: string): string {
  return queueUrl.replace(/\/+$/, '').split('/').pop() ?? queueUrl;
}

export type MessagingSystem = 'aws.sqs' | 'aws.eventbridge';

/**
 * A PRODUCER span for one message, child of `parent` (an outbox row's stored
 * context, or the active one), and the carrier naming it, to send along.
 */
export function startSendSpan(system: MessagingSystem, destination: string, parent: TraceCarrier | undefined, attributes: Attributes = {}): { span: Span; carrier: TraceCarrier | undefined } {
  const parentContext = parent ? contextFromCarrier(parent) : context.active();
  const span = tracer().startSpan(
    `send ${destination}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system.name': system,
        'messaging.system': system === 'aws.sqs' ? 'aws_sqs' : system,
        'messaging.destination.name': destination,
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        ...attributes,
      },
    },
    parentContext,
  );
  return { span, carrier: traceCarrier(trace.setSpan(parentContext, span)) };
}

export function endSendSpan(span: Span, failure?: string): void {
  if (failure) {
    span.setAttribute('error.type', failure.split(':')[0]!);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.slice(0, 300) });
  }
  span.end();
}

/** The context a consumer processes a message in: its producer's, or a new trace when it came without one. */
export function consumerParent(carrier: TraceCarrier | undefined): Context {
  return contextFromCarrier(carrier);
}
