/** The trace store's shapes as /admin/traces serves them. */
export type { PaymentTraceView, SpanNode, TraceSummary, TraceView } from '../../../observability/trace-view.ts';
