import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';

export interface TestTracing {
  /** Every span ended so far in this process. */
  spans(): ReadableSpan[];
  /** Spans of one trace, in start order. */
  trace(traceId: string): ReadableSpan[];
  reset(): void;
}

/**
 * In-process tracing for a test file, the way initTracing sets it up
 * (AsyncLocalStorage context, W3C propagation) but exporting synchronously to
 * memory so a test can read its spans at once. Once per process: node --test
 * runs each file in its own.
 */
export function useTestTracing(service = 'test'): TestTracing {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(
    new TracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
  );
  const byStart = (a: ReadableSpan, b: ReadableSpan) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];
  return {
    spans: () => exporter.getFinishedSpans(),
    trace: (traceId) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId).sort(byStart),
    reset: () => exporter.reset(),
  };
}
