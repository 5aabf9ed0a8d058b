import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SpanKind, trace } from '@opentelemetry/api';
import pino from 'pino';
import { requestJson } from '../../clients/http-json.ts';
import { WalletClient } from '../../clients/wallet-client.ts';
import { createHttpApp } from '../../core/http-app.ts';
import { carrierOfMessage, SQS_MAX_ATTRIBUTES, withTraceAttributes } from '../../messaging/tracing.ts';
import { registry } from '../../observability/metrics.ts';
import { contextFromCarrier, linkTo, parseCarrier, serializeCarrier, traceCarrier } from '../../observability/propagation.ts';
import { tracer, withSpan } from '../../observability/tracing.ts';
import { startTestWallet } from '../../services/wallet/test/support.ts';
import { useTestTracing } from '../support/tracing.ts';

const tracing = useTestTracing('propagation-test');
const log = pino({ level: 'silent' });

/** A sample's value from this process's Prometheus registry, 0 when absent. */
async function sample(name: string, labels: Record<string, string>): Promise<number> {
  const all = await registry.getMetricsAsJSON();
  const metric = all.find((m) => m.name === name) ?? all.find((m) => m.name === name.replace(/_(count|sum|bucket)$/, ''));
  const wanted = (s: { metricName?: string; labels: Record<string, unknown> }) =>
    (s.metricName ?? metric?.name) === name && Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v);
  return (metric?.values as Array<{ value: number; metricName?: string; labels: Record<string, unknown> }> | undefined)?.find(wanted)?.value ?? 0;
}

test('a carrier round-trips the active span, and a malformed one starts a new trace instead of failing', async () => {
  await withSpan('outer', {}, async (span) => {
    const carrier = traceCarrier()!;
    assert.match(carrier.traceparent, new RegExp(`^00-${span.spanContext().traceId}-${span.spanContext().spanId}-01$`));
    const remote = trace.getSpanContext(contextFromCarrier(carrier))!;
    assert.deepEqual([remote.traceId, remote.spanId, remote.isRemote], [span.spanContext().traceId, span.spanContext().spanId, true]);
    assert.deepEqual(parseCarrier(serializeCarrier(carrier)), carrier);
  });
  for (const bad of [undefined, {}, { traceparent: 'nonsense' }, { traceparent: 42 }, { traceparent: `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01` }]) {
    assert.equal(trace.getSpanContext(contextFromCarrier(bad)), undefined, JSON.stringify(bad));
  }
  assert.equal(parseCarrier('{not json'), undefined);
  assert.equal(parseCarrier(null), undefined);
  assert.equal(traceCarrier(), undefined, 'outside a span there is nothing to send');
});

test('trace attributes never push an SQS message past 10 attributes: tracestate goes first, then traceparent', () => {
  const carrier = { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: 'vendor=x' };
  const attrs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]));
  assert.deepEqual(Object.keys(withTraceAttributes(attrs(3), carrier)).sort(), ['a0', 'a1', 'a2', 'traceparent', 'tracestate']);
  assert.deepEqual(Object.keys(withTraceAttributes(attrs(9), carrier)).filter((k) => k.startsWith('trace')), ['traceparent']);
  assert.equal(Object.keys(withTraceAttributes(attrs(10), carrier)).length, SQS_MAX_ATTRIBUTES);
  assert.ok(!('traceparent' in withTraceAttributes(attrs(10), carrier)), 'business attributes win');
  // A redriven message's old context is replaced, not added to.
  const old = { ...attrs(2), traceparent: { DataType: 'String', StringValue: 'old' }, tracestate: { DataType: 'String', StringValue: 'old' } };
  const replaced = withTraceAttributes(old, { traceparent: carrier.traceparent });
  assert.equal(replaced.traceparent?.StringValue, carrier.traceparent);
  assert.ok(!('tracestate' in replaced));
  assert.deepEqual(withTraceAttributes(attrs(2), undefined), attrs(2), 'untraced: unchanged');
});

test('a consumer finds its producer in the message attributes, else in the EventBridge envelope it was delivered', () => {
  const traceparent = `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`;
  assert.deepEqual(carrierOfMessage({ attributes: { traceparent, tracestate: 's=1' }, body: 'x' }), { traceparent, tracestate: 's=1' });
  const envelope = JSON.stringify({ 'detail-type': 'Transaction completed', source: 'paypal-clone.transaction-service', detail: { transaction_id: 't', trace_context: { traceparent } } });
  assert.deepEqual(carrierOfMessage({ attributes: {}, body: envelope }), { traceparent });
  assert.equal(carrierOfMessage({ attributes: {}, body: '{"detail":{"trace_context":"x"}}' }), undefined);
  assert.equal(carrierOfMessage({ attributes: {}, body: '{trace_context broken' }), undefined);
  assert.equal(carrierOfMessage({ attributes: {}, body: 'AAECAw==' }), undefined, 'an Avro body is not parsed');
  assert.equal(linkTo({ traceparent })[0]?.context.traceId, 'c'.repeat(32));
  assert.deepEqual(linkTo(undefined), []);
});

test('an HTTP call carries its client span to the server, whose span is named by route template and measured in api_request_duration', async (t) => {
  const app = createHttpApp({ log });
  app.get('/users/:id', async () => ({ ok: true }));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  tracing.reset();
  const before = await sample('api_request_duration_count', { method: 'GET', route: '/users/:id', status: '200' });

  const traceId = await withSpan('caller', {}, async (span) => {
    await requestJson(address, '/users/3f0c2a61-5c1e-4f3e-9d1a-2b7d8e4f5a6b?email=jane@example.com');
    return span.spanContext().traceId;
  });
  await new Promise((resolve) => setImmediate(resolve));
  const spans = tracing.trace(traceId);
  const client = spans.find((s) => s.kind === SpanKind.CLIENT)!;
  const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
  assert.equal(client.name, 'GET /users/{id}');
  assert.equal(server.name, 'GET /users/:id');
  assert.equal(server.parentSpanContext?.spanId, client.spanContext().spanId, 'the server span continues the client span');
  assert.equal(server.attributes['http.route'], '/users/:id');
  assert.equal(server.attributes['http.response.status_code'], 200);
  assert.ok(!JSON.stringify([client.attributes, server.attributes]).includes('jane@'), 'the query string is never recorded');
  assert.equal(await sample('api_request_duration_count', { method: 'GET', route: '/users/:id', status: '200' }), before + 1);

  // A request with a broken traceparent is served in a trace of its own.
  const response = await fetch(`${address}/users/1`, { headers: { traceparent: 'garbage' } });
  assert.equal(response.status, 200);
  const unmatched = await fetch(`${address}/nowhere/42`);
  assert.equal(unmatched.status, 404);
  assert.ok((await sample('api_request_duration_count', { method: 'GET', route: 'unmatched', status: '404' })) >= 1, 'unknown paths share one label');
});

test('a gRPC call carries its client span to the wallet server, which counts it in grpc_request_count by method and code', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-grpc-trace-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }));
  const wallet = await startTestWallet({ kind: 'sqlite', file: path.join(dir, 'wallet.db') });
  t.after(() => wallet.stop());
  const client = new WalletClient(wallet.address);
  t.after(() => client.close());
  const notFoundBefore = await sample('grpc_request_count', { method: 'GetWallet', code: 'NOT_FOUND' });
  const okBefore = await sample('grpc_request_count', { method: 'ListWallets', code: 'OK' });

  const traceId = await tracer().startActiveSpan('caller', async (span) => {
    await client.listWallets('user-1');
    await assert.rejects(client.getWallet('3f0c2a61-5c1e-4f3e-9d1a-2b7d8e4f5a6b'));
    span.end();
    return span.spanContext().traceId;
  });
  const spans = tracing.trace(traceId);
  const pairs = spans.filter((s) => s.kind === SpanKind.CLIENT).map((c) => [c, spans.find((s) => s.kind === SpanKind.SERVER && s.parentSpanContext?.spanId === c.spanContext().spanId)] as const);
  assert.deepEqual(pairs.map(([c, s]) => [c.name, s?.name]), [
    ['WalletService/ListWallets', 'WalletService/ListWallets'],
    ['WalletService/GetWallet', 'WalletService/GetWallet'],
  ]);
  const [, failed] = pairs[1]!;
  assert.equal(failed?.attributes['rpc.response.status_code'], 'NOT_FOUND');
  assert.equal(failed?.status.code, 0, 'a refusal is not a server failure');
  assert.equal(await sample('grpc_request_count', { method: 'GetWallet', code: 'NOT_FOUND' }), notFoundBefore + 1);
  assert.equal(await sample('grpc_request_count', { method: 'ListWallets', code: 'OK' }), okBefore + 1);
});
