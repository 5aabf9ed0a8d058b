import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { PaymentTraceView, SpanNode } from '../../observability/trace-view.ts';
import { startPlatform, type Platform } from '../../scripts/platform.ts';
import { buildWebApp } from '../../web/scripts/build.ts';
import { chromiumMissing, launchChromium, withBrowsers } from '../browser/support/chromium.ts';
import { ApiClient } from '../support/api.ts';
import { eventually, makeOperator } from './gateway-support.ts';

/*
 * Tracing as `npm start` and the benchmark run it, sampling turned down to
 * nothing (OTEL_TRACES_SAMPLER_ARG=0): a completed payment leaves no trace,
 * and the console says why; a failed one is kept, from the gateway's
 * request to the consumers of its failure, because the payment service keeps
 * it and sends it on as sampled.
 */

const flatten = (nodes: SpanNode[]): SpanNode[] => nodes.flatMap((node) => [node, ...flatten(node.children)]);
const noBrowser = chromiumMissing();

describe('traces with head sampling at 0: failed payments are kept, completed ones are not sampled', () => {
  let platform: Platform;
  let gateway: string;
  let operator: Awaited<ReturnType<typeof makeOperator>>;
  let completedId: string;
  let failedId: string;

  before(async () => {
    platform = await startPlatform({
      // A step over PAYMESH_TRACE_SLOW_MS would keep a completed payment too; a loaded test machine must not make that happen here.
      env: { OTEL_TRACES_SAMPLER_ARG: '0', PAYMESH_TRACE_SLOW_MS: '30000', OTEL_BSP_SCHEDULE_DELAY: '200' },
      serviceEnv: { gateway: { GATEWAY_RATE_LIMIT_SIGNUPS_PER_MINUTE: '1000', GATEWAY_RATE_LIMIT_LOGINS_PER_MINUTE: '1000', GATEWAY_RATE_LIMIT_LOGINS_PER_ACCOUNT_PER_MINUTE: '1000' }, user: { USER_SCRYPT_LOG2N: '14' } },
    });
    gateway = platform.url('gateway');
    operator = await makeOperator(platform);
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('5.00');
    const completed = await alice.client.post('/v1/payments', { receiver_id: bob.user.id, amount: '1.00', currency: 'USD' });
    assert.equal((await alice.client.settled(completed.body.id)).status, 'completed');
    // More than Alice has left: accepted, then failed by the saga.
    const failed = await alice.client.post('/v1/payments', { receiver_id: bob.user.id, amount: '50.00', currency: 'USD' });
    assert.equal(failed.status, 202, JSON.stringify(failed.body));
    assert.equal((await alice.client.settled(failed.body.id)).status, 'failed');
    [completedId, failedId] = [completed.body.id, failed.body.id];
  });

  after(async () => {
    await platform?.stop();
  });

  test("a failed payment's trace is found, from the gateway's request to the spans of those who heard of the failure", async () => {
    const trace = await eventually('the failed payment\'s trace', async () => {
      const response = await operator.client.get(`/admin/sagas/${failedId}/trace`);
      if (response.status !== 200) return undefined;
      const view = response.body as PaymentTraceView;
      return view.spans[0]?.service === 'gateway' && view.services.includes('notification') ? view : undefined;
    });
    const spans = flatten(trace.spans);
    // Steps another payment instance (the canary) ran before the failure stay with it: those parents may be missing.
    assert.deepEqual([trace.spans[0]!.service, trace.spans[0]!.name, trace.spans[0]!.parent_missing ?? false], ['gateway', 'POST /v1/payments', false], 'the gateway kept its request span when the trace reached its collector');
    assert.ok(spans.some((s) => s.service === 'payment' && s.name === 'payment.execute' && s.attributes.transaction_id === failedId), 'the payment service exported what it held before the failure');
    assert.ok(spans.some((s) => s.service === 'payment' && s.attributes['paymesh.keep'] === true), 'kept by the failed transition');
    assert.ok(spans.some((s) => s.service === 'notification' && s.kind === 'consumer'), 'the notification service continued the trace as sampled');
  });

  test('a completed payment that was not sampled answers a 404 that says so and names the ratio; an unknown payment is not found at all', async () => {
    // The failed payment's trace first: spans were flowing, and none of the completed one's came.
    await eventually('the failed payment\'s trace', async () => (await operator.client.get(`/admin/sagas/${failedId}/trace`)).status === 200);
    const response = await operator.client.get(`/admin/sagas/${completedId}/trace`);
    assert.equal(response.status, 404, JSON.stringify(response.body));
    assert.equal(response.body.code, 'TRACE_NOT_SAMPLED');
    assert.match(response.body.detail, new RegExp(`payment ${completedId} was not sampled`));
    assert.match(response.body.detail, /OTEL_TRACES_SAMPLER_ARG=0\b/);
    assert.match(response.body.detail, /failed payments and slow ones .* are always kept/);
    assert.equal((await operator.client.get('/admin/sagas/no-such-payment/trace')).body.code, 'SAGA_NOT_FOUND');
  });

  test("the console's saga page says a payment was not sampled, and links a failed one to its trace", { skip: noBrowser }, async (t) => {
    await buildWebApp({ ifStale: true, log: () => {} });
    const browser: Browser = await launchChromium();
    t.after(() => browser.close());
    await withBrowsers(browser, t.name, async (open) => {
      const page = await open();
      await page.goto(`${gateway}/console/sign-in`);
      await page.getByLabel('Email').fill(operator.email);
      await page.getByLabel('Password').fill(operator.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Platform health' }).waitFor();

      await page.goto(`${gateway}/console/sagas/${completedId}`);
      await page.getByTestId('trace-not-sampled').filter({ hasText: /was not sampled.*always kept/ }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'Its trace' }).count(), 0);

      await page.goto(`${gateway}/console/sagas/${failedId}`);
      await page.getByRole('link', { name: 'Its trace' }).click();
      await page.getByTestId('trace-summary').filter({ hasText: /payment/ }).waitFor();
    });
  });
});
