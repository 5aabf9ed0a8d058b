import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createHttpApp } from '../../../core/http-app.ts';
import { counter, registry } from '../../../observability/metrics.ts';
import { paymentConfigFromEnv } from '../config.ts';
import { paymentTelemetry } from '../telemetry.ts';
// Every module of the payment service that declares metrics (main.ts would start the service).
import '../app.ts';
import '../consumers.ts';
import '../saga/ownership.ts';
import '../saga/stuck-sagas.ts';

/*
 * The canary's two versions report as one service: every metric sample and
 * every log line must say which version it is, from the one setting
 * PAYMENT_SERVICE_VERSION.
 */

test('the version is one setting, PAYMENT_SERVICE_VERSION; its old name is refused', () => {
  assert.equal(paymentConfigFromEnv({ PAYMENT_SERVICE_VERSION: 'v2' }).version, 'v2');
  assert.equal(paymentConfigFromEnv({ PAYMENT_SERVICE_VERSION: 'v2' }).port, 8012);
  assert.equal(paymentConfigFromEnv({}).version, 'v1');
  assert.throws(() => paymentConfigFromEnv({ PAYMENT_VERSION: 'v2' }), /PAYMENT_VERSION was renamed PAYMENT_SERVICE_VERSION/);
  assert.throws(() => paymentConfigFromEnv({ PAYMENT_SERVICE_VERSION: 'canary' }), /PAYMENT_SERVICE_VERSION must look like v1 or v2/);
});

test('every payment metric carries the version label next to service="payment", and every log line the version field', async () => {
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk, _encoding, done) => (lines.push(...String(chunk).split('\n').filter(Boolean)), done()) });
  const log = paymentTelemetry('v2', { destination, level: 'debug' });

  // Samples of every kind: HTTP requests (a histogram), saga outcomes and ownership (counters), gauges.
  const app = createHttpApp({ log, variant: 'v2' });
  app.get('/payments/ping', async () => ({ ok: true }));
  await app.inject({ method: 'GET', url: '/payments/ping' });
  await app.inject({ method: 'GET', url: '/metrics' });
  counter('saga_completion_rate', 'x', ['outcome']).inc({ outcome: 'failed' });
  counter('saga_left_for_owner_total', 'x', ['accepted_by', 'source']).inc({ accepted_by: 'v1', source: 'payment-saga' });
  log.info({ paymentId: 'p-1' }, 'a line');
  log.child({ component: 'relay' }).warn('a child line');
  await app.close();

  const samples = (await registry.metrics()).split('\n').filter((line) => line && !line.startsWith('#'));
  assert.ok(samples.length > 10, `samples: ${samples.length}`);
  for (const sample of samples) {
    assert.match(sample, /[{,]service="payment"[,}]/, sample);
    assert.match(sample, /[{,]version="v2"[,}]/, sample);
  }
  for (const name of ['api_request_duration', 'saga_completion_rate', 'saga_stuck', 'saga_left_for_owner_total']) {
    assert.ok(samples.some((s) => s.startsWith(name)), `${name} is served`);
  }

  assert.ok(lines.length >= 2);
  for (const line of lines.map((l) => JSON.parse(l) as Record<string, unknown>)) {
    assert.equal(line.service, 'payment', JSON.stringify(line));
    assert.equal(line.version, 'v2', JSON.stringify(line));
  }
});
