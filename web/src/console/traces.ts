/** The trace store's shapes as /admin/traces serves them (observability/trace-store.ts). */
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
  parent_missing?: boolean;
  name: string;
  service: string;
  version?: string;
  kind: string;
  start_ms: number;
  duration_ms: number;
  status: 'unset' | 'ok' | 'error';
  status_message?: string;
  attributes: Record<string, unknown>;
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, unknown> }>;
  events: Array<{ name: string; at_ms: number; attributes: Record<string, unknown> }>;
  children: SpanNode[];
}

export interface TraceView {
  trace_id: string;
  services: string[];
  span_count: number;
  started_at: string;
  duration_ms: number;
  spans: SpanNode[];
  /** For a payment's trace: later traces that concern it (a redrive starts its own). */
  other_traces?: string[];
}
