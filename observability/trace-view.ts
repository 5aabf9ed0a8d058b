/**
 * The shapes the gateway's trace store serves (`/admin/traces`), shared by
 * the store (observability/trace-store.ts) and the operator console
 * (web/src/console). Types only and no imports: the browser build checks
 * this file too.
 */

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type SpanStatus = 'unset' | 'ok' | 'error';
export type SpanLink = { traceId: string; spanId: string; attributes: Record<string, unknown> };

export interface TraceSummary {
  trace_id: string;
  root: { name: string; service: string };
  services: string[];
  span_count: number;
  started_at: string;
  duration_ms: number;
  error: boolean;
}

export interface SpanNode {
  span_id: string;
  parent_span_id: string | null;
  /** The parent is named but not in the store (not exported yet, or evicted). */
  parent_missing?: boolean;
  name: string;
  service: string;
  version?: string;
  kind: SpanKindName;
  /** Milliseconds from the trace's first span. */
  start_ms: number;
  duration_ms: number;
  status: SpanStatus;
  status_message?: string;
  attributes: Record<string, unknown>;
  links: SpanLink[];
  events: Array<{ name: string; at_ms: number; attributes: Record<string, unknown> }>;
  children: SpanNode[];
}

export interface TraceView {
  trace_id: string;
  services: string[];
  span_count: number;
  started_at: string;
  duration_ms: number;
  /** The span tree: roots in start order, each with its children in start order. */
  spans: SpanNode[];
}

/** A payment's trace (`/admin/sagas/{id}/trace`): with the later traces that concern it (a redrive starts its own). */
export interface PaymentTraceView extends TraceView {
  other_traces: string[];
}
