import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createAlwaysRecordSampler, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { KEEP_ATTRIBUTE, KeptTracePropagator, TailKeepingProcessor, type TailKeepingOptions } from './tail-sampling.ts';
import { headSampler, type Sampling } from './tracing.ts';

/*
 * Tail keeping in one process, as initTracing wires it: OpenTelemetry's head
 * sampler (wrapped to record what it leaves out), the tail processor in front
 * of the exporting one, and the propagator that sends a kept trace on as
 * sampled. Each "process" here is a TracerProvider of its own; time is a
 * clock the test moves.
 */

const NEVER: Sampling = { sampler: 'parentbased_traceidratio', ratio: 0, slowMs: 1000 };

function processWith(sampling: Sampling = NEVER, options: Partial<TailKeepingOptions> = {}) {
  const exported = new InMemorySpanExporter();
  const clock = { now: 1_000_000 };
  const tail = new TailKeepingProcessor({ exportTo: new SimpleSpanProcessor({ exporter: exported }), slowMs: sampling.slowMs, now: () => clock.now, ...options });
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'test' }), sampler: createAlwaysRecordSampler(headSampler(sampling)), spanProcessors: [tail] });
  const propagator = new KeptTracePropagator(new W3CTraceContextPropagator(), (traceId) => tail.isKept(traceId));
  return {
    tracer: provider.getTracer('test'),
    tail,
    clock,
    /** Names of the spans exported so far, in the order they were exported. */
    exported: () => exported.getFinishedSpans().map((s) => s.name),
    /** The traceparent this process sends for a context. */
    traceparent(ctx: Context): string {
      const carrier: Record<string, string> = {};
      propagator.inject(ctx, carrier, defaultTextMapSetter);
      return carrier.traceparent!;
    },
    /** The context a message with this traceparent is processed in. */
    received: (traceparent: string) => propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter),
  };
}

const under = (span: ReturnType<ReturnType<typeof processWith>['tracer']['startSpan']>) => trace.setSpan(ROOT_CONTEXT, span);

test('the head samplers are OpenTelemetry\'s, as OTEL_TRACES_SAMPLER names them', () => {
  const cases: Array<[Sampling['sampler'], number, string]> = [
    ['parentbased_traceidratio', 0.25, 'ParentBased{root=TraceIdRatioBased{0.25}'],
    ['parentbased_always_on', 1, 'ParentBased{root=AlwaysOnSampler'],
    ['parentbased_always_off', 0, 'ParentBased{root=AlwaysOffSampler'],
    ['traceidratio', 0.01, 'TraceIdRatioBased{0.01}'],
    ['always_on', 1, 'AlwaysOnSampler'],
    ['always_off', 0, 'AlwaysOffSampler'],
  ];
  for (const [sampler, ratio, described] of cases) assert.ok(headSampler({ sampler, ratio, slowMs: 1000 }).toString().startsWith(described), sampler);
});

test('a fast trace the head sampler left out is recorded but not exported; a sampled one is exported as it ends', () => {
  const dropped = processWith(NEVER);
  const root = dropped.tracer.startSpan('GET /v1/wallets', { kind: SpanKind.SERVER });
  assert.equal(root.isRecording(), true, 'recorded, so that a later failure can still keep it');
  dropped.tracer.startSpan('WalletService/ListWallets', { kind: SpanKind.CLIENT }, under(root)).end();
  root.end();
  assert.deepEqual(dropped.exported(), []);
  assert.deepEqual([dropped.tail.stats().heldTraces, dropped.tail.stats().heldSpans], [1, 2]);

  const sampled = processWith({ ...NEVER, sampler: 'parentbased_always_on', ratio: 1 });
  const kept = sampled.tracer.startSpan('GET /v1/wallets', { kind: SpanKind.SERVER });
  sampled.tracer.startSpan('WalletService/ListWallets', { kind: SpanKind.CLIENT }, under(kept)).end();
  kept.end();
  assert.deepEqual(sampled.exported(), ['WalletService/ListWallets', 'GET /v1/wallets']);
  assert.equal(sampled.tail.stats().heldSpans, 0);
});

test('a span ending in error keeps its trace: the spans held before it, it, and every later one are exported', () => {
  const p = processWith();
  const root = p.tracer.startSpan('process payment-saga', { kind: SpanKind.CONSUMER });
  p.tracer.startSpan('payment.validate', {}, under(root)).end();
  const failing = p.tracer.startSpan('WalletService/ReserveFunds', { kind: SpanKind.CLIENT }, under(root));
  failing.setStatus({ code: SpanStatusCode.ERROR, message: 'UNAVAILABLE' });
  failing.end();
  assert.deepEqual(p.exported(), ['payment.validate', 'WalletService/ReserveFunds']);
  p.tracer.startSpan('payment.compensate', {}, under(root)).end();
  root.end();
  assert.deepEqual(p.exported(), ['payment.validate', 'WalletService/ReserveFunds', 'payment.compensate', 'process payment-saga']);
  assert.ok(p.tail.isKept(root.spanContext().traceId));
});

test(`a span marked ${KEEP_ATTRIBUTE} (a business failure) keeps its trace; a refusal without error does not`, () => {
  const p = processWith();
  const refused = p.tracer.startSpan('POST /v1/payments', { kind: SpanKind.SERVER, attributes: { 'error.type': 'INSUFFICIENT_FUNDS' } });
  refused.end();
  assert.deepEqual(p.exported(), []);

  const root = p.tracer.startSpan('process payment-saga', { kind: SpanKind.CONSUMER });
  const step = p.tracer.startSpan('payment.saga.failed', {}, under(root));
  step.setAttribute(KEEP_ATTRIBUTE, true);
  step.end();
  root.end();
  assert.deepEqual(p.exported(), ['payment.saga.failed', 'process payment-saga']);
});

test('a slow local root keeps its trace; a slow span inside a fast one does not', () => {
  const p = processWith({ ...NEVER, slowMs: 1000 });
  const start = Date.now() - 5000;
  const fast = p.tracer.startSpan('process notifications', { kind: SpanKind.CONSUMER, startTime: start });
  p.tracer.startSpan('notification.store', { startTime: start }, under(fast)).end(start + 1500);
  fast.end(start + 900);
  assert.deepEqual(p.exported(), [], 'a child is not a local root, and its root took 900 ms');

  const slow = p.tracer.startSpan('POST /v1/payments', { kind: SpanKind.SERVER, startTime: start });
  p.tracer.startSpan('WalletService/ListWallets', { kind: SpanKind.CLIENT, startTime: start }, under(slow)).end(start + 10);
  slow.end(start + 1001);
  assert.deepEqual(p.exported(), ['WalletService/ListWallets', 'POST /v1/payments']);

  // A span continuing another process's trace is a local root too, whatever its kind.
  const remote = p.received(`00-${'c'.repeat(32)}-${'d'.repeat(16)}-00`);
  p.tracer.startSpan('send payment-saga', { kind: SpanKind.PRODUCER, startTime: start }, remote).end(start + 1200);
  assert.deepEqual(p.exported().at(-1), 'send payment-saga');
});

test('once a process keeps a trace, what it sends on says sampled, and the next process exports its part as it ends', () => {
  const payment = processWith();
  const notification = processWith();
  const step = payment.tracer.startSpan('payment.saga.failed');
  const ctx = under(step);
  const traceId = step.spanContext().traceId;
  assert.match(payment.traceparent(ctx), new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`), 'not sampled, not kept: sent as not sampled');
  payment.tail.keep(traceId);
  const sent = payment.traceparent(ctx);
  assert.match(sent, new RegExp(`^00-${traceId}-${step.spanContext().spanId}-01$`));

  const consumer = notification.tracer.startSpan('process notifications', { kind: SpanKind.CONSUMER }, notification.received(sent));
  notification.tracer.startSpan('notification.store', {}, under(consumer)).end();
  consumer.end();
  assert.deepEqual(notification.exported(), ['notification.store', 'process notifications'], 'exported without any decision of its own');
  assert.equal(notification.tail.stats().heldSpans, 0);
  step.end();
  assert.deepEqual(payment.exported(), ['payment.saga.failed']);
});

test('the buffer stays bounded: oldest traces leave first, a trace holds its latest spans, and traces expire', () => {
  const p = processWith(NEVER, { maxTraces: 3, maxSpansPerTrace: 2, ttlMs: 30_000 });
  const roots = Array.from({ length: 10 }, (_, i) => {
    const root = p.tracer.startSpan(`trace ${i}`);
    root.end();
    return root;
  });
  assert.deepEqual(p.tail.stats(), { heldTraces: 3, heldSpans: 3, expiredTraces: 7, droppedSpans: 0, keptTraces: 0 });
  p.tail.keep(roots[0]!.spanContext().traceId);
  assert.deepEqual(p.exported(), [], 'a trace that has left the buffer is gone');
  p.tail.keep(roots[9]!.spanContext().traceId);
  assert.deepEqual(p.exported(), ['trace 9']);

  const busy = p.tracer.startSpan('busy');
  for (let i = 0; i < 5; i++) p.tracer.startSpan(`step ${i}`, {}, under(busy)).end();
  busy.end();
  assert.equal(p.tail.stats().droppedSpans, 4);
  p.tail.keep(busy.spanContext().traceId);
  assert.deepEqual(p.exported().slice(1), ['step 4', 'busy'], 'the latest spans, the local root among them');

  p.clock.now += 30_000;
  p.tracer.startSpan('after a while').end();
  assert.deepEqual([p.tail.stats().heldTraces, p.tail.stats().heldSpans], [1, 1], 'everything older than the TTL is let go');
});
