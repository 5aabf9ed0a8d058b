import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import pino from 'pino';
import { PayMeshError } from '../../../contracts/errors.ts';
import { PAYMENT_ROUTING_PATH } from '../../../contracts/routing.ts';
import { CanaryGuard, canaryGuardSettingsFromEnv, sagaTotals, type CanaryGuardSettings } from '../canary-guard.ts';
import { WeightedRouter } from '../weighted-router.ts';

const silent = pino({ level: 'silent' });
const V2 = 'payment-service-v2';
const users = Array.from({ length: 2000 }, () => randomUUID());
const settings = (overrides: Partial<CanaryGuardSettings> = {}): CanaryGuardSettings => ({ ...canaryGuardSettingsFromEnv({}), minSamples: 10, ...overrides });
const guarded = (overrides: Partial<CanaryGuardSettings> = {}) => {
  const guard = new CanaryGuard(settings(overrides), silent);
  const router = new WeightedRouter(PAYMENT_ROUTING_PATH, silent);
  router.useGuard(guard);
  return { guard, router, shareOfV2: () => users.filter((u) => router.pick(u).node === V2).length / users.length };
};

test('the settings and their defaults (documented in docs/operations.md)', () => {
  const defaults = canaryGuardSettingsFromEnv({});
  assert.deepEqual(defaults, { enabled: true, windowMs: 300_000, maxSagaFailureRate: 0.5, max5xxRate: 0.2, minSamples: 20, cooldownMs: 0, pollMs: 10_000 });
  assert.throws(() => canaryGuardSettingsFromEnv({ GATEWAY_CANARY_MAX_5XX_PERCENT: '0' }), /GATEWAY_CANARY_MAX_5XX_PERCENT/);
});

test('the gateway stops routing to a version whose saga failure rate crosses the threshold, says so, and resumes when an operator says so', () => {
  const { guard, router, shareOfV2 } = guarded();
  const start = Date.now();
  assert.ok(shareOfV2() > 0.05, 'v2 has its 10 %');
  guard.recordSagaTotals(V2, { completed: 100, failed: 5 }, start);
  // 30 sagas ended since: 14 failed (47 %), under 50 %.
  guard.recordSagaTotals(V2, { completed: 116, failed: 19 }, start + 1000);
  assert.equal(guard.isHalted(V2), false);
  assert.ok(shareOfV2() > 0.05);
  // Then 10 more failed: 24 of 40 (60 %).
  guard.recordSagaTotals(V2, { completed: 116, failed: 29 }, start + 2000);
  assert.equal(guard.isHalted(V2), true);
  assert.equal(shareOfV2(), 0, 'no new payments to v2: its users go to v1');

  const status = router.status();
  const v2 = status.guard!.targets[V2]!;
  assert.equal(v2.halted?.reason, 'saga_failure_rate');
  assert.equal(v2.halted?.rate, 0.6);
  assert.equal(v2.halted?.threshold, 0.5);
  assert.equal(v2.halted?.resumesAt, undefined, 'only an operator resumes it by default');
  assert.deepEqual(status.guard!.effective, [{ node: 'payment-service-v1', weight: 90 }, { node: V2, weight: 0 }]);
  assert.equal(status.guard!.targets['payment-service-v1']!.halted, null);
  assert.deepEqual(status.route.targets.map((t) => t.weight), [90, 10], 'the file\'s weights are untouched');

  assert.equal(guard.resume(V2), true);
  assert.equal(guard.isHalted(V2), false);
  assert.ok(shareOfV2() > 0.05, 'v2 gets its share again');
  // Its window starts afresh: the failures that halted it do not halt it again.
  guard.recordSagaTotals(V2, { completed: 117, failed: 29 });
  assert.equal(guard.isHalted(V2), false);
});

test('a version answering 5xx (or unreachable) over the threshold is halted; refusals (4xx) do not count', () => {
  const { guard, router } = guarded({ max5xxRate: 0.2 });
  for (let i = 0; i < 20; i++) router.recordCall(V2, new PayMeshError('invalid_argument', 'INSUFFICIENT_FUNDS', 'no'));
  for (let i = 0; i < 4; i++) router.recordCall(V2);
  assert.equal(guard.isHalted(V2), false, 'refusals are the callers\' problem');
  for (let i = 0; i < 6; i++) router.recordCall(V2, new Error('socket hang up'));
  assert.equal(guard.isHalted(V2), false, '6 of 30 is 20 %: not above');
  router.recordCall(V2, new PayMeshError('unavailable', 'SERVICE_UNAVAILABLE', 'down'));
  assert.equal(guard.isHalted(V2), true, '7 of 31');
  const halt = router.status().guard!.targets[V2]!;
  assert.equal(halt.halted?.reason, 'http_5xx_rate');
  assert.equal(halt.window.requests, 31);
  assert.equal(halt.window.http5xx, 7);
});

test('too few samples decide nothing; samples older than the window are forgotten', () => {
  const { guard } = guarded({ windowMs: 60_000 });
  const start = Date.now() - 120_000;
  for (let i = 0; i < 9; i++) guard.recordCall(V2, new Error('down'), start);
  assert.equal(guard.isHalted(V2), false, '9 calls, all failed, is under the minimum of 10');
  guard.recordCall(V2, undefined, start + 90_000);
  assert.equal(guard.isHalted(V2), false, 'the 9 failures left the window');
});

test('with a cool-down, a halted version resumes on its own', () => {
  const { guard } = guarded({ cooldownMs: 60_000 });
  const start = Date.now() - 120_000;
  for (let i = 0; i < 10; i++) guard.recordCall(V2, new Error('down'), start);
  assert.equal(guard.isHalted(V2, start + 1), true);
  assert.equal(guard.status([V2], start + 1)[V2]!.halted?.resumesAt, new Date(start + 60_000).toISOString());
  assert.equal(guard.isHalted(V2), false, 'the cool-down is over');
});

test('if every version with weight is halted, the file\'s weights are used: payments are never refused for want of a version', () => {
  const { guard, router } = guarded();
  for (const node of ['payment-service-v1', V2]) for (let i = 0; i < 10; i++) guard.recordCall(node, new Error('down'));
  assert.deepEqual(router.status().guard!.effective.map((t) => t.weight), [90, 10]);
  assert.ok(users.some((u) => router.pick(u).node === V2));
});

test('saga outcomes are read from a version\'s Prometheus text', () => {
  const text = [
    '# TYPE saga_completion_rate counter',
    'saga_completion_rate{outcome="completed",service="payment",version="v2"} 12',
    'saga_completion_rate{outcome="failed",service="payment",version="v2"} 3',
    'saga_duration_seconds_count{outcome="failed"} 99',
  ].join('\n');
  assert.deepEqual(sagaTotals(text), { completed: 12, failed: 3 });
});
