import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReport, runChaos } from '../scripts/chaos.ts';

/*
 * The short version of `npm run chaos`: the whole platform as processes under
 * a steady stream of payments, services SIGKILLed and restarted for half a
 * minute (the broker and the wallet first, then the rest at random), then the
 * invariants. A failure prints the timeline and every violation; rerun the
 * long version with the same seed (`npm run chaos -- --seed 7`) to dig in.
 */
test('payments survive services being SIGKILLed and restarted: money per currency conserved, every accepted payment ended, nothing frozen, nothing applied twice, every message processed or dead-lettered', { timeout: 600_000 }, async (t) => {
  const report = await runChaos({
    seed: 7,
    durationSeconds: 35,
    drainTimeoutSeconds: 240,
    users: 5,
    clients: 4,
    database: { kind: 'sqlite' },
    firstVictims: ['wallet', 'broker'],
  });
  t.diagnostic(formatReport(report));
  assert.deepEqual(report.violations, [], formatReport(report));
  assert.ok(report.kills.broker && report.kills.wallet, 'the broker and the wallet were among the victims');
  assert.ok(report.payments.accepted > 0, 'payments were accepted while services died');
  assert.ok(report.payments.completed > 0, 'payments completed despite the crashes');
});
