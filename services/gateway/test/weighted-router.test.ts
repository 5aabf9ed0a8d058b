import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { PAYMENT_ROUTING_PATH } from '../../../contracts/routing.ts';
import { WeightedRouter } from '../weighted-router.ts';

const silent = pino({ level: 'silent' });

/** A copy of the contract routing file in a temp dir, and a way to rewrite its weights. */
function routingCopy(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-routing-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'payment-service.json');
  copyFileSync(PAYMENT_ROUTING_PATH, file);
  const setWeights = (v1: number, v2: number) => {
    const doc = JSON.parse(readFileSync(PAYMENT_ROUTING_PATH, 'utf8'));
    doc.Route.Properties.Spec.HttpRoute.Action.WeightedTargets = [
      { VirtualNode: 'payment-service-v1', Weight: v1 },
      { VirtualNode: 'payment-service-v2', Weight: v2 },
    ];
    writeFileSync(file, JSON.stringify(doc, null, 2));
  };
  return { file, setWeights };
}

function shareOfV2(router: WeightedRouter, users: string[]): number {
  return users.filter((u) => router.pick(u).node === 'payment-service-v2').length / users.length;
}

const users = Array.from({ length: 20_000 }, () => randomUUID());
// A router that re-reads its file on every pick is slow to ask 20,000 times; 4,000 users tell 10 % from 50 % from 100 % well enough.
const someUsers = users.slice(0, 4000);

test("the contract's 90/10 split holds over many users, and each user keeps their version", () => {
  const router = new WeightedRouter(PAYMENT_ROUTING_PATH, silent);
  assert.deepEqual(router.current().targets.map((t) => [t.node, t.weight]), [['payment-service-v1', 90], ['payment-service-v2', 10]]);
  const share = shareOfV2(router, users);
  // 20,000 users: the binomial standard deviation is 0.2 percentage points; 1 point is five of them.
  assert.ok(Math.abs(share - 0.1) < 0.01, `v2 got ${(share * 100).toFixed(2)} % of users`);
  for (const user of users.slice(0, 200)) assert.equal(router.pick(user).node, router.pick(user).node);
});

test('editing the routing file moves traffic without a new router; a broken edit keeps the last good weights', (t) => {
  const { file, setWeights } = routingCopy(t);
  const router = new WeightedRouter(file, silent, undefined, 0);
  assert.ok(Math.abs(shareOfV2(router, someUsers) - 0.1) < 0.025);

  setWeights(50, 50);
  assert.ok(Math.abs(shareOfV2(router, someUsers) - 0.5) < 0.04, 'half the users now land on v2');
  assert.equal(router.status().rejected, undefined);

  // Moving weight only moves the users it has to: everyone on v2 at 10 % is still on v2 at 50 %.
  const contract = new WeightedRouter(PAYMENT_ROUTING_PATH, silent);
  const onV2Before = someUsers.filter((u) => contract.pick(u).node === 'payment-service-v2');
  assert.ok(onV2Before.every((u) => router.pick(u).node === 'payment-service-v2'));

  for (const broken of ['{ "Route": ', JSON.stringify({ Route: { Properties: { Spec: { HttpRoute: { Action: { WeightedTargets: [] } } } } } })]) {
    writeFileSync(file, broken);
    assert.ok(Math.abs(shareOfV2(router, someUsers) - 0.5) < 0.04, 'still the last good 50/50');
    assert.match(router.status().rejected?.error ?? '', /routing file|JSON/);
  }
  setWeights(0, 100);
  assert.equal(shareOfV2(router, someUsers), 1);
  assert.equal(router.status().rejected, undefined, 'a good edit clears the rejection');

  setWeights(0, 0);
  assert.equal(shareOfV2(router, someUsers), 1, 'weights summing to zero are refused');
  assert.match(router.status().rejected!.error, /sum to zero/);
});

test('an edit the gateway cannot act on (an unknown target) is refused like a malformed one', (t) => {
  const { file } = routingCopy(t);
  const known = new Set(['payment-service.paypal.local', 'payment-service-v2.paypal.local']);
  const router = new WeightedRouter(file, silent, (route) => {
    for (const target of route.targets) if (!known.has(target.hostname)) throw new Error(`unknown service name '${target.hostname}'`);
  }, 0);
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  doc.VirtualNodes['payment-service-v2'].Spec.ServiceDiscovery.DNS.Hostname = 'payment-service-v9.paypal.local';
  writeFileSync(file, JSON.stringify(doc));
  assert.equal(router.current().targets[1]!.hostname, 'payment-service-v2.paypal.local');
  assert.match(router.status().rejected!.error, /payment-service-v9/);
});
