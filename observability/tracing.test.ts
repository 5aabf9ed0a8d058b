import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { activeIds, contextFromCarrier, traceCarrier } from './propagation.ts';
import { initTracing, keepTrace, samplingFromEnv, withSpan } from './tracing.ts';

/*
 * Tracing as a service's main.ts sets it up, with the default sampling of
 * `npm start` and the benchmark turned down to nothing (ratio 0): only what
 * the tail keeps is exported, sanitised like everything else.
 */

const exported = new InMemorySpanExporter();
const tracing = initTracing('tracing-test', { env: { OTEL_TRACES_SAMPLER_ARG: '0' }, localExporter: exported });

async function exportedNames(traceId: string): Promise<string[]> {
  await tracing.forceFlush();
  return exported
    .getFinishedSpans()
    .filter((s) => s.spanContext().traceId === traceId)
    .map((s) => s.name);
}

test('sampling settings: OpenTelemetry\'s names, a small ratio by default, one clear message per bad value', () => {
  assert.deepEqual(samplingFromEnv('svc', {}), { sampler: 'parentbased_traceidratio', ratio: 0.01, slowMs: 1000 });
  assert.deepEqual(samplingFromEnv('svc', { OTEL_TRACES_SAMPLER_ARG: '1' }), { sampler: 'parentbased_traceidratio', ratio: 1, slowMs: 1000 });
  assert.deepEqual(samplingFromEnv('svc', { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25', PAYMESH_TRACE_SLOW_MS: '200' }), { sampler: 'traceidratio', ratio: 0.25, slowMs: 200 });
  // The argument is the ratio samplers' only.
  assert.equal(samplingFromEnv('svc', { OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_TRACES_SAMPLER_ARG: '0' }).ratio, 1);
  assert.equal(samplingFromEnv('svc', { OTEL_TRACES_SAMPLER: 'always_off' }).ratio, 0);
  assert.throws(
    () => samplingFromEnv('svc', { OTEL_TRACES_SAMPLER: 'sometimes', OTEL_TRACES_SAMPLER_ARG: '5%', PAYMESH_TRACE_SLOW_MS: '0' }),
    (err: Error) =>
      /invalid configuration for svc/.test(err.message) && /OTEL_TRACES_SAMPLER must be one of parentbased_traceidratio/.test(err.message) && /OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/.test(err.message) && /PAYMESH_TRACE_SLOW_MS/.test(err.message),
  );
  assert.deepEqual(tracing.sampling, { sampler: 'parentbased_traceidratio', ratio: 0, slowMs: 1000 });
});

test('an unsampled trace that ends well is not exported, and its log lines still have a trace id', async () => {
  const traceId = await withSpan('GET /v1/wallets', { kind: SpanKind.SERVER }, async (span) => {
    await withSpan('WalletService/ListWallets', { kind: SpanKind.CLIENT }, async () => {});
    assert.match(traceCarrier()!.traceparent, /-00$/, 'sent on as not sampled');
    assert.equal(activeIds()?.trace_id, span.spanContext().traceId);
    return span.spanContext().traceId;
  });
  assert.deepEqual(await exportedNames(traceId), []);
});

test('keepTrace keeps the trace of the active span: what it held, and what follows, sanitised on the way out', async () => {
  const traceId = await withSpan('process payment-saga', { kind: SpanKind.CONSUMER }, async (root) => {
    await withSpan('payment.validate', { attributes: { user_id: 'u-1', 'user.email': 'alice@example.com' } }, async () => {});
    await withSpan('payment.saga.failed', { attributes: { transaction_id: 'pay-1' } }, async (step) => {
      keepTrace();
      assert.equal((step as unknown as { attributes: Record<string, unknown> }).attributes['paymesh.keep'], true);
      assert.match(traceCarrier()!.traceparent, /-01$/, 'from now on sent on as sampled: the outbox rows written next carry it');
    });
    return root.spanContext().traceId;
  });
  assert.deepEqual(await exportedNames(traceId), ['payment.validate', 'payment.saga.failed', 'process payment-saga']);
  const validate = exported.getFinishedSpans().find((s) => s.name === 'payment.validate' && s.spanContext().traceId === traceId)!;
  assert.deepEqual(validate.attributes, { user_id: 'u-1' }, 'the allow-list applies to kept spans too');
});

test('an error keeps the trace; a downstream process continues a kept trace as sampled', async () => {
  const traceId = await withSpan('POST /v1/payments', { kind: SpanKind.SERVER }, async (root) => {
    await withSpan('payment.validate', {}, async () => {});
    await withSpan('UserService/GetUser', { kind: SpanKind.CLIENT }, async (call) => void call.setStatus({ code: SpanStatusCode.ERROR, message: 'user-service unavailable: alice@example.com' }));
    return root.spanContext().traceId;
  });
  assert.deepEqual(await exportedNames(traceId), ['payment.validate', 'UserService/GetUser', 'POST /v1/payments']);
  const failed = exported.getFinishedSpans().find((s) => s.name === 'UserService/GetUser' && s.spanContext().traceId === traceId)!;
  assert.doesNotMatch(failed.status.message!, /alice@example\.com/, 'scrubbed');

  const remote = `00-${'e'.repeat(32)}-${'f'.repeat(16)}-01`;
  await withSpan('process notifications', { kind: SpanKind.CONSUMER, parent: contextFromCarrier({ traceparent: remote }) }, async () => {});
  assert.deepEqual(await exportedNames('e'.repeat(32)), ['process notifications']);
});

test('a trace kept by another process (the gateway hears of it from its collector) is kept here with what was held', async () => {
  const traceId = await withSpan('POST /v1/payments', { kind: SpanKind.SERVER }, async (span) => span.spanContext().traceId);
  assert.deepEqual(await exportedNames(traceId), []);
  tracing.keep(traceId);
  assert.deepEqual(await exportedNames(traceId), ['POST /v1/payments']);
});
