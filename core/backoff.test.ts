import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs } from './backoff.ts';

test('a retry waits twice as long each attempt up to the cap, and jitter takes between a half and the whole of it', () => {
  assert.deepEqual([0, 1, 2, 3, 10, 1000].map((n) => backoffMs(n, { baseMs: 100, maxMs: 60_000 })), [100, 200, 400, 800, 60_000, 60_000]);
  assert.equal(backoffMs(-3, { baseMs: 100, maxMs: 60_000 }), 100, 'a count below zero is the first retry');
  assert.equal(backoffMs(3, { baseMs: 100, maxMs: 60_000, jitter: true }, () => 0), 400);
  assert.equal(backoffMs(3, { baseMs: 100, maxMs: 60_000, jitter: true }, () => 1), 800);
  assert.equal(backoffMs(20, { baseMs: 100, maxMs: 5_000, jitter: true }, () => 0), 2_500, 'jitter applies to the capped wait');
  assert.ok(Number.isFinite(backoffMs(Number.MAX_SAFE_INTEGER, { baseMs: 1, maxMs: Infinity })));
});
