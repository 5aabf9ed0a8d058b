import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { eventually } from '../test/support/eventually.ts';
import { collectorSettingsFromEnv, TraceCollector } from './trace-collector.ts';

/*
 * The gateway's trace collector: a worker thread that receives OTLP/HTTP JSON
 * on its own loopback port and answers the gateway's questions over a
 * MessagePort, so neither the spans coming in nor the queries run on the
 * API's event loop.
 */

async function startCollector(t: { after: (fn: () => unknown) => void }, settings = { port: 0, maxTraces: 100 }) {
  const collector = new TraceCollector(settings);
  t.after(() => collector.close());
  return { collector, url: await collector.ready };
}

/** Spans of one service, ended in `build`, as its real OTLP/HTTP exporter sends them to `url`. */
async function exportSpans(url: string, service: string, build: (tracer: ReturnType<TracerProvider['getTracer']>) => void): Promise<void> {
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url }) })] });
  build(provider.getTracer('test'));
  await provider.forceFlush();
  await provider.shutdown();
}

/** Spans made in this thread, the gateway's own, as initTracing hands them to the collector's exporter. */
function gatewaySpans(build: (tracer: ReturnType<TracerProvider['getTracer']>) => void): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'gateway' }), spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  build(provider.getTracer('test'));
  return memory.getFinishedSpans();
}


test('spans sent over OTLP/HTTP JSON to the loopback port are listed, shown as a tree and found by a payment id, over the message port', async (t) => {
  const { collector, url } = await startCollector(t);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1\/traces$/);
  let traceId = '';
  await exportSpans(url, 'payment', (tracer) => {
    const root = tracer.startSpan('POST /payments', { kind: SpanKind.SERVER });
    const step = tracer.startSpan('payment.saga.failed', { attributes: { transaction_id: 'pay-1' } }, trace.setSpan(ROOT_CONTEXT, root));
    step.end();
    root.end();
    traceId = root.spanContext().traceId;
  });

  const { traces, stored } = await collector.list({ service: 'payment' });
  assert.deepEqual([stored, traces.map((s) => [s.trace_id, s.root.name, s.span_count])], [1, [[traceId, 'POST /payments', 2]]]);
  const view = (await collector.get(traceId))!;
  assert.deepEqual([view.spans[0]!.name, view.spans[0]!.children.map((c) => c.name)], ['POST /payments', ['payment.saga.failed']]);
  assert.deepEqual((await collector.withAttribute('transaction_id', 'pay-1')).map((v) => v.trace_id), [traceId]);
  assert.deepEqual(await collector.withAttribute('transaction_id', 'pay-2'), []);
  assert.equal(await collector.get('f'.repeat(32)), undefined);
});

test("the gateway's own spans arrive by postMessage; it hears of the traces other processes started, to keep its spans of them", async (t) => {
  const { collector, url } = await startCollector(t);
  const started: string[] = [];
  collector.onTracesStarted((ids) => started.push(...ids));

  const own = gatewaySpans((tracer) => tracer.startSpan('GET /v1/wallets', { kind: SpanKind.SERVER }).end());
  const result = await new Promise((resolve) => collector.exporter.export(own, resolve));
  assert.deepEqual(result, { code: ExportResultCode.SUCCESS });
  const ownTrace = own[0]!.spanContext().traceId;
  await eventually('the span stored', async () => (await collector.list()).stored === 1, 2_000, 10);
  assert.deepEqual(started, [], 'the gateway knows its own traces');

  // A trace the gateway started without sampling it, kept downstream: the downstream spans arrive first.
  let kept = '';
  await exportSpans(url, 'payment', (tracer) => {
    const span = tracer.startSpan('payment.saga.failed');
    span.end();
    kept = span.spanContext().traceId;
  });
  await exportSpans(url, 'notification', (tracer) => {
    const parent = trace.wrapSpanContext({ traceId: kept, spanId: 'a'.repeat(16), traceFlags: 1, isRemote: true });
    tracer.startSpan('process notifications', { kind: SpanKind.CONSUMER }, trace.setSpan(ROOT_CONTEXT, parent)).end();
  });
  await eventually('the trace reported as started', () => started.length > 0, 2_000, 10);
  assert.deepEqual(started, [kept], 'told once, when the trace first arrives');
  assert.deepEqual((await collector.list()).traces.map((s) => s.trace_id).sort(), [ownTrace, kept].sort());
});

test('the receiver takes OTLP JSON only, on its one path; a busy port and a stopped collector are clear failures', async (t) => {
  const { collector, url } = await startCollector(t);
  const post = (path: string, contentType: string, body: string | Uint8Array) => fetch(new URL(path, url), { method: 'POST', headers: { 'content-type': contentType }, body });
  assert.equal((await post('/v1/traces', 'application/x-protobuf', new Uint8Array([1, 2]))).status, 415);
  assert.equal((await post('/v1/metrics', 'application/json', '{}')).status, 404);
  assert.equal((await post('/v1/traces', 'application/json', '{not json')).status, 400);
  const partial = await post('/v1/traces', 'application/json', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'nope', spanId: 'nope' }] }] }] }));
  assert.deepEqual(await partial.json(), { partialSuccess: { rejectedSpans: 1, errorMessage: 'spans without valid trace or span ids' } });

  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.after(() => busy.close());
  const taken = new TraceCollector({ port: (busy.address() as { port: number }).port, maxTraces: 10 });
  t.after(() => taken.close());
  await assert.rejects(taken.ready, /could not listen on 127\.0\.0\.1:\d+ \(GATEWAY_TRACES_PORT\)/);

  await collector.close();
  await assert.rejects(collector.list(), (err: { code?: string }) => err.code === 'TRACE_STORE_UNAVAILABLE');
});

test('the collector runs on one machine only: off with GATEWAY_TRACE_STORE_TRACES=0 or an OTLP endpoint (AWS), and its port is checked', () => {
  assert.deepEqual(collectorSettingsFromEnv({}), { port: 4318, maxTraces: 1000 });
  assert.deepEqual(collectorSettingsFromEnv({ GATEWAY_TRACES_PORT: '0', GATEWAY_TRACE_STORE_TRACES: '50' }), { port: 0, maxTraces: 50 });
  assert.equal(collectorSettingsFromEnv({ GATEWAY_TRACE_STORE_TRACES: '0' }), undefined);
  assert.equal(collectorSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), undefined);
  assert.throws(() => collectorSettingsFromEnv({ GATEWAY_TRACES_PORT: 'otlp' }), /GATEWAY_TRACES_PORT must be an integer from 0 to 65535/);
});
