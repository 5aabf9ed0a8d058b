import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import Fastify from 'fastify';
import { installProblemHandler } from '../../../core/http-problem.ts';
import { mergeExpositions } from '../../../observability/metrics-federation.ts';
import { TraceCollector } from '../../../observability/trace-collector.ts';
import { TraceStore, type StoredSpan } from '../../../observability/trace-store.ts';
import { TokenIssuer } from '../auth.ts';
import { observabilityRoutes } from '../routes/admin-traces.ts';

const tokens = new TokenIssuer('admin-traces-test-secret-of-at-least-32-bytes', 900);

/** The admin routes on a gateway whose trace collector (a worker thread) listens on a free loopback port. */
async function gatewayWithCollector(t: { after: (fn: () => unknown) => void }) {
  const collector = new TraceCollector({ port: 0, maxTraces: 100 });
  t.after(() => collector.close());
  const tracesUrl = await collector.ready;
  const app = Fastify();
  installProblemHandler(app);
  observabilityRoutes(app, { tokens, traces: collector });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const operator = { authorization: `Bearer ${await tokens.issue({ userId: 'ops-1', role: 'operator' })}` };
  const user = { authorization: `Bearer ${await tokens.issue({ userId: 'user-1', role: 'user' })}` };
  return { app, address, tracesUrl, operator, user };
}

/** Two services' spans of one trace, exported by the real OTLP/HTTP exporter to the collector's receiver. */
async function exportTrace(tracesUrl: string): Promise<string> {
  const providers = ['payment', 'wallet'].map(
    (service) =>
      new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': service }),
        spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: tracesUrl }) })],
      }),
  );
  const [payment, wallet] = providers.map((p) => p.getTracer('test'));
  const root = payment!.startSpan('POST /payments', { kind: SpanKind.SERVER });
  const rootContext = trace.setSpan(context.active(), root);
  const call = payment!.startSpan('WalletService/ReserveFunds', { kind: SpanKind.CLIENT }, rootContext);
  const served = wallet!.startSpan('WalletService/ReserveFunds', { kind: SpanKind.SERVER, attributes: { 'rpc.method': 'WalletService/ReserveFunds' } }, trace.setSpan(rootContext, call));
  served.end();
  call.end();
  root.end();
  await Promise.all(providers.map((p) => p.forceFlush()));
  await Promise.all(providers.map((p) => p.shutdown()));
  return root.spanContext().traceId;
}

test('spans exported over OTLP/HTTP JSON are served to operators as a span tree with timings and the service of each span', async (t) => {
  const { address, tracesUrl, operator } = await gatewayWithCollector(t);
  const traceId = await exportTrace(tracesUrl);

  const list = await fetch(`${address}/admin/traces?service=wallet`, { headers: operator });
  assert.equal(list.status, 200);
  const { traces } = (await list.json()) as { traces: Array<{ trace_id: string; root: { name: string; service: string }; services: string[]; span_count: number }> };
  assert.deepEqual(traces.map((x) => [x.trace_id, x.root, x.services, x.span_count]), [[traceId, { name: 'POST /payments', service: 'payment' }, ['payment', 'wallet'], 3]]);
  assert.deepEqual(((await (await fetch(`${address}/admin/traces?service=audit`, { headers: operator })).json()) as { traces: unknown[] }).traces, []);

  const one = await fetch(`${address}/admin/traces/${traceId}`, { headers: operator });
  const view = (await one.json()) as { spans: Array<{ name: string; service: string; kind: string; start_ms: number; duration_ms: number; children: any[] }> };
  const [root] = view.spans;
  assert.deepEqual([root!.name, root!.service, root!.kind, root!.start_ms], ['POST /payments', 'payment', 'server', 0]);
  const [client] = root!.children;
  assert.deepEqual([client.name, client.service, client.kind], ['WalletService/ReserveFunds', 'payment', 'client']);
  const [server] = client.children;
  assert.deepEqual([server.service, server.kind, server.attributes['rpc.method']], ['wallet', 'server', 'WalletService/ReserveFunds']);
  assert.ok(server.start_ms >= client.start_ms && client.duration_ms >= 0 && root!.duration_ms >= client.duration_ms);
});

test('the admin API is a 404 to users and to callers without a token; the gateway itself receives no spans', async (t) => {
  const { app, address, user, operator } = await gatewayWithCollector(t);
  for (const headers of [{}, user, { authorization: 'Bearer not-a-token' }]) {
    for (const path of ['/admin/traces', `/admin/traces/${'a'.repeat(32)}`, '/metrics/all']) {
      if (path === '/metrics/all' && Object.keys(headers).length === 0) continue;
      const response = await app.inject({ method: 'GET', url: path, headers, remoteAddress: '10.0.0.7' });
      assert.equal(response.statusCode, 404, `${path} with ${JSON.stringify(headers)}`);
    }
  }
  // Spans go to the collector's own port, never through the API's event loop.
  for (const url of ['/internal/otlp/v1/traces', '/v1/traces']) {
    assert.equal((await app.inject({ method: 'POST', url, payload: { resourceSpans: [] }, remoteAddress: '127.0.0.1' })).statusCode, 404, url);
  }
  const missing = await fetch(`${address}/admin/traces/${'b'.repeat(32)}`, { headers: operator });
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { code: string }).code, 'TRACE_NOT_FOUND');
});

const span = (traceId: string, spanId: string, parentSpanId?: string, startMs = 0): StoredSpan => ({
  traceId,
  spanId,
  ...(parentSpanId ? { parentSpanId } : {}),
  name: `span ${spanId}`,
  kind: 'internal',
  service: 'svc',
  startMs: 1_700_000_000_000 + startMs,
  endMs: 1_700_000_000_000 + startMs + 5,
  status: 'unset',
  attributes: {},
  links: [],
  events: [],
});
const id = (n: number, length: number) => n.toString(16).padStart(length, '0');

test('the store keeps the most recent traces and a bounded number of spans per trace; a span whose parent is missing is a root', () => {
  const store = new TraceStore({ maxTraces: 3, maxSpansPerTrace: 2 });
  for (let n = 1; n <= 5; n++) store.add([span(id(n, 32), id(n, 16))]);
  assert.equal(store.size, 3);
  assert.deepEqual(store.list().map((x) => x.trace_id), [id(5, 32), id(4, 32), id(3, 32)], 'newest first, oldest evicted');
  store.add([span(id(5, 32), id(6, 16), id(5, 16), 1), span(id(5, 32), id(7, 16), id(6, 16), 2)]);
  assert.equal(store.get(id(5, 32))!.span_count, 2, 'a full trace takes no more spans');
  assert.equal(store.droppedSpans, 1);
  store.add([span(id(4, 32), id(9, 16), id(8, 16), 3)]);
  const orphaned = store.get(id(4, 32))!.spans;
  assert.deepEqual(orphaned.map((n) => [n.span_id, n.parent_missing ?? false]), [[id(4, 16), false], [id(9, 16), true]]);
  store.add([span(id(4, 32), id(9, 16), id(8, 16), 3)]);
  assert.equal(store.get(id(4, 32))!.span_count, 2, 'a re-sent span is kept once');
});

test('metrics from several services merge into one exposition with each family described once', () => {
  const a = '# HELP up_total Ups\n# TYPE up_total counter\nup_total{service="a"} 1\n# HELP h Hist\n# TYPE h histogram\nh_bucket{le="1",service="a"} 1\nh_sum{service="a"} 1\nh_count{service="a"} 1\n';
  const b = '# HELP up_total Ups\n# TYPE up_total counter\nup_total{service="b"} 2\n# HELP h Hist\n# TYPE h histogram\nh_bucket{le="1",service="b"} 0\nh_sum{service="b"} 0\nh_count{service="b"} 0\n';
  const merged = mergeExpositions([a, b, a]);
  assert.equal(merged.match(/# TYPE up_total/g)?.length, 1);
  assert.equal(merged.match(/# TYPE h histogram/g)?.length, 1);
  assert.deepEqual(merged.split('\n').filter((l) => l.startsWith('up_total')), ['up_total{service="a"} 1', 'up_total{service="b"} 2']);
  assert.deepEqual(merged.split('\n').filter((l) => l.startsWith('h_count')), ['h_count{service="a"} 1', 'h_count{service="b"} 0']);
});
