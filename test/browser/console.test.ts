import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { createSqsClient } from '../../messaging/aws.ts';
import { startPlatform, type Platform } from '../../scripts/platform.ts';
import { eventually, makeOperator } from '../e2e/gateway-support.ts';
import { buildWebApp } from '../../web/scripts/build.ts';
import { ApiClient } from '../support/api.ts';
import { chromiumMissing, launchChromium, withBrowsers } from './support/chromium.ts';

/*
 * The operator console as an operator uses it: Debian's Chromium against the
 * whole platform as processes. Who may open it, and the scenario: a
 * payment's saga message dead-letters while the wallet is down; the operator
 * sees it in the console, the wallet comes back, the operator redrives the
 * message and watches the payment complete.
 */
const skip = chromiumMissing();
if (skip) console.log(`# skipping the browser tests: ${skip}`);

describe('the operator console in a browser', { skip }, () => {
  let platform: Platform;
  let browser: Browser;
  let gateway: string;
  let sqs: SQSClient;
  let operator: Awaited<ReturnType<typeof makeOperator>>;

  before(async () => {
    await buildWebApp({ ifStale: true, log: () => {} });
    // The DLQ handlers sweep only at start-up here, and stuck sagas are left alone for 10 minutes: the operator is the one who acts.
    // The wallet is down for a while in one test: its callers try it again soon after it is back.
    const payment = { PAYMENT_DLQ_SWEEP_INTERVAL_MS: '3600000', PAYMENT_SAGA_STEP_TIMEOUT_SECONDS: '600', WALLET_SERVICE_BREAKER_HALF_OPEN_MS: '1000' };
    platform = await startPlatform({
      // Every trace: the operator opens a completed payment's trace (the default samples 1%).
      env: { OTEL_TRACES_SAMPLER_ARG: '1' },
      serviceEnv: {
        payment,
        'payment-v2': payment,
        gateway: { GATEWAY_RATE_LIMIT_SIGNUPS_PER_MINUTE: '1000', GATEWAY_RATE_LIMIT_LOGINS_PER_MINUTE: '1000', WALLET_SERVICE_BREAKER_HALF_OPEN_MS: '1000' },
        user: { USER_SCRYPT_LOG2N: '14' },
      },
    });
    gateway = platform.url('gateway');
    sqs = createSqsClient({ region: 'us-east-1', endpoint: platform.env.PAYMESH_BROKER_URL!, embedded: true });
    operator = await makeOperator(platform);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    sqs?.destroy();
    await platform?.stop();
  });

  async function signIn(page: Page, email: string, password: string): Promise<void> {
    await page.goto(`${gateway}/console/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  const queueUrl = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;

  test('a plain user cannot open the console: /console is a 404, and signing in at its sign-in page opens nothing', async (t) => {
    const person = await ApiClient.signUp(gateway);
    await withBrowsers(browser, t.name, async (open) => {
      const page = await open();
      for (const path of ['/console', '/console/queues', '/console.html']) {
        const response = await page.goto(`${gateway}${path}`);
        assert.equal(response?.status(), 404, path);
      }
      await signIn(page, person.email, person.password);
      await page.getByRole('alert').filter({ hasText: 'This account is not an operator' }).waitFor();
      assert.equal((await page.goto(`${gateway}/console`))?.status(), 404, 'still no console');
      // Not even with the user's own token in the console's storage.
      await page.goto(`${gateway}/console/sign-in`);
      assert.equal(await page.evaluate(() => sessionStorage.getItem('paymesh.console.session')), null);
    });
  });

  test("an operator redrives a payment's dead-lettered saga message once its cause is fixed, and sees the payment complete", async (t) => {
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('40.00');
    t.after(async () => {
      for (const service of ['broker', 'wallet']) if (!platform.running(service)) await platform.restart(service);
    });

    // The payment is accepted while the broker is away (it waits in the payment service's outbox),
    // and its saga starts once the broker is back, with the wallet down: the reservation cannot be made.
    await platform.kill('broker');
    const sent = await alice.client.post('/v1/payments', { receiver_id: bob.user.id, amount: '12.00', currency: 'USD', note: 'dead-letter drill' });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const paymentId: string = sent.body.id;
    await platform.kill('wallet');
    await platform.restart('broker');
    // Fewer deliveries before the DLQ, so this takes seconds rather than minutes of backoff.
    const sagaQueue = await queueUrl('payment-saga');
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: sagaQueue, AttributeNames: ['RedrivePolicy'] }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: sagaQueue, Attributes: { RedrivePolicy: JSON.stringify({ ...JSON.parse(Attributes!.RedrivePolicy!), maxReceiveCount: 2 }) } }));
    await eventually(
      'the saga message in payment-saga-dlq',
      async () => {
        const view = (await operator.client.get(`/admin/dead-letters/payment-saga-dlq`)).body;
        return view.messages?.some((m: { body: { value: { detail?: { transaction_id?: string } } } }) => m.body.value.detail?.transaction_id === paymentId);
      },
      60_000,
    );

    await withBrowsers(browser, t.name, async (open) => {
      const page = await open();
      await signIn(page, operator.email, operator.password);
      await page.getByRole('heading', { level: 1, name: 'Platform health' }).waitFor();
      // The console shows what is wrong: the wallet is not answering.
      await page.getByTestId('platform-verdict').filter({ hasText: /Not ready: .*wallet/ }).waitFor();
      await page.getByTestId('service-wallet').getByText('unreachable').waitFor();

      await page.getByRole('link', { name: 'Queues' }).click();
      const dlqRow = page.getByTestId('queue-payment-saga-dlq');
      await dlqRow.getByRole('cell').nth(1).filter({ hasText: /^[1-9]/ }).waitFor();
      await dlqRow.getByRole('link', { name: 'payment-saga-dlq' }).click();
      await page.getByRole('heading', { level: 1, name: 'Dead letters: payment-saga-dlq' }).waitFor();
      const card = page.locator('.dead-letter').filter({ has: page.getByRole('link', { name: paymentId }) });
      await card.waitFor();
      assert.match((await card.locator('.failure-reason').textContent()) ?? '', /failed 2 deliveries from payment-saga/);
      await card.getByText('Transaction funds_reservation_requested', { exact: true }).waitFor();
      await card.getByText('Body (json) and attributes').click();
      assert.ok(((await card.locator('pre.body').textContent()) ?? '').includes(paymentId), 'the decoded body names the payment');

      // Its saga is waiting for the reservation.
      await card.getByRole('link', { name: paymentId }).click();
      await page.getByTestId('saga-state').filter({ hasText: 'reservation requested' }).waitFor();
      await page.goBack();
      await card.waitFor();

      // The operator fixes the cause: the wallet runs again, and the console says so.
      await platform.restart('wallet');
      await page.getByRole('link', { name: 'Health' }).click();
      await page.getByTestId('platform-verdict').filter({ hasText: /All \d+ services are ready/ }).waitFor({ timeout: 30_000 });
      await page.goBack();
      await card.getByRole('button', { name: 'Redrive' }).click();
      await page.getByRole('status').filter({ hasText: 'Redriven 1 message.' }).waitFor();
      // The list reloads after the action (and on its live refresh): the message leaves it.
      await card.waitFor({ state: 'detached', timeout: 15_000 });

      // And the payment completes: the saga page, live, without a reload.
      await page.goto(`${gateway}/console/sagas/${paymentId}`);
      await page.getByTestId('saga-state').filter({ hasText: 'completed' }).waitFor({ timeout: 30_000 });
      const history = (await page.getByRole('list', { name: 'History' }).textContent()) ?? '';
      for (const step of ['reservation requested', 'funds reserved', 'processing', 'completed']) assert.ok(history.includes(step), `${step} in ${history}`);
      assert.equal((await alice.client.settled(paymentId)).status, 'completed');
      assert.equal((await bob.client.wallet()).balance, '12.00');

      // The redrive is in the audit log, by this operator.
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByTestId('audit-verification').filter({ hasText: 'The hash chain holds' }).waitFor();
      await page.getByLabel('Operator actions only').check();
      await page.getByTestId('audit-record').filter({ hasText: 'dead_letter.redrive on payment-saga-dlq' }).filter({ hasText: operator.id }).waitFor();
    });
  });

  test('an operator deletes a dead letter only after confirming, and follows sagas, breakers, a trace and the activity chart', async (t) => {
    const drill = randomUUID();
    await sqs.send(new SendMessageCommand({ QueueUrl: await queueUrl('audit-logs-dlq'), MessageBody: JSON.stringify({ drill }) }));
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('5.00');
    const sent = await alice.client.post('/v1/payments', { receiver_id: bob.user.id, amount: '1.00', currency: 'USD' });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await alice.client.settled(sent.body.id);

    await withBrowsers(browser, t.name, async (open) => {
      const page = await open();
      await signIn(page, operator.email, operator.password);
      await page.getByRole('heading', { level: 1, name: 'Platform health' }).waitFor();
      await page.getByTestId('activity-chart').waitFor();
      await page.getByTestId('weight-payment-service-v2').filter({ hasText: '10%' }).waitFor();

      await page.goto(`${gateway}/console/queues/audit-logs-dlq`);
      const card = page.locator('.dead-letter').filter({ hasText: drill });
      await card.getByRole('button', { name: 'Delete…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete this message for good?' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Keep' }).click();
      await card.waitFor();
      assert.equal(await card.count(), 1, 'kept');
      await card.getByRole('button', { name: 'Delete…' }).click();
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('status').filter({ hasText: 'Deleted 1 message.' }).waitFor();
      await card.waitFor({ state: 'detached', timeout: 15_000 });

      await page.getByRole('link', { name: 'Sagas' }).click();
      await page.getByLabel('State').selectOption('completed');
      await page.waitForURL(/\/console\/sagas\?state=completed$/);
      await page.getByTestId(`saga-${sent.body.id}`).waitFor();
      await page.getByTestId(`saga-${sent.body.id}`).getByRole('link').click();
      await page.getByRole('link', { name: 'Its trace' }).click();
      await page.getByTestId('trace-summary').filter({ hasText: /wallet/ }).waitFor();
      assert.ok((await page.getByTestId('span').count()) > 5, 'a waterfall of spans');

      await page.getByRole('link', { name: 'Breakers' }).click();
      await page.getByTestId('breaker-wallet-service').waitFor();
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Circuit breakers' }).waitFor();

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/console\/sign-in$/);
      assert.equal((await page.goto(`${gateway}/console`))?.status(), 404, 'the page cookie went with the sign-out');
    });
  });
});
