import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { createSqsClient } from '../../messaging/aws.ts';
import { startPlatform, type Platform } from '../../scripts/platform.ts';
import { buildWebApp } from '../../web/scripts/build.ts';
import { eventually, makeOperator } from '../e2e/gateway-support.ts';
import { ApiClient } from '../support/api.ts';
import { chromiumMissing, launchChromium, withBrowsers } from './support/chromium.ts';

/*
 * The operator console as an operator uses it: Debian's Chromium against the
 * whole platform as processes. Who may open it, and a dead-letter drill: a
 * payment's events are dead-lettered after a consumer died holding them; the
 * operator sees them in the console, decoded, redrives them and watches the
 * payment reach the users' history. (A saga no longer dead-letters while the
 * wallet is down: it waits in process and retries; see services/payment.)
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
    const payment = { PAYMENT_DLQ_SWEEP_INTERVAL_MS: '3600000', PAYMENT_SAGA_STEP_TIMEOUT_SECONDS: '600' };
    platform = await startPlatform({
      // Every trace: the operator opens a completed payment's trace (the default samples 1%).
      env: { OTEL_TRACES_SAMPLER_ARG: '1' },
      serviceEnv: {
        payment,
        'payment-v2': payment,
        gateway: { GATEWAY_RATE_LIMIT_SIGNUPS_PER_MINUTE: '1000', GATEWAY_RATE_LIMIT_LOGINS_PER_MINUTE: '1000', GATEWAY_RATE_LIMIT_LOGINS_PER_ACCOUNT_PER_MINUTE: '1000', WALLET_SERVICE_BREAKER_HALF_OPEN_MS: '1000' },
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

  test("an operator finds a payment's events dead-lettered after a consumer died holding them, redrives them, and sees the payment recorded", async (t) => {
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('40.00');
    const eventsQueue = await queueUrl('transaction-events');
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: eventsQueue, AttributeNames: ['RedrivePolicy'] }));
    const policy = JSON.parse(Attributes!.RedrivePolicy!) as { maxReceiveCount: number };
    t.after(async () => {
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: eventsQueue, Attributes: { RedrivePolicy: JSON.stringify(policy) } }));
      if (!platform.running('transaction')) await platform.restart('transaction');
    });

    // The transaction service is away while the payment goes through: its events wait in transaction-events.
    await platform.kill('transaction');
    const sent = await alice.client.post('/v1/payments', { receiver_id: bob.user.id, amount: '12.00', currency: 'USD', note: 'dead-letter drill' });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const paymentId: string = sent.body.id;
    assert.equal((await alice.client.settled(paymentId)).status, 'completed');
    // A consumer takes the events and dies before deleting them; with one delivery allowed, SQS dead-letters them on the next receive.
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: eventsQueue, Attributes: { RedrivePolicy: JSON.stringify({ ...policy, maxReceiveCount: 1 }) } }));
    const held = new Set<string>();
    await eventually(
      "the payment's four events in a dying consumer's hands",
      async () => {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: eventsQueue, MaxNumberOfMessages: 10, VisibilityTimeout: 1 }));
        for (const m of Messages) if (JSON.parse(m.Body!).detail?.transaction_id === paymentId) held.add(m.MessageId!);
        return held.size >= 4;
      },
      30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await platform.restart('transaction');
    const drill = async () => ((await operator.client.get('/admin/dead-letters/transaction-events-dlq')).body.messages ?? []).filter(
      (m: { body: { value: { detail?: { transaction_id?: string } } } }) => m.body.value.detail?.transaction_id === paymentId,
    );
    await eventually('the events in transaction-events-dlq', async () => (await drill()).length === 4, 30_000);
    const history = async () => ((await alice.client.get('/v1/transactions')).body.transactions ?? []).map((tx: { id: string }) => tx.id);
    assert.ok(!(await history()).includes(paymentId), 'not in the history while its events are dead-lettered');

    await withBrowsers(browser, t.name, async (open) => {
      const page = await open();
      await signIn(page, operator.email, operator.password);
      await page.getByRole('heading', { level: 1, name: 'Platform health' }).waitFor();
      await page.getByRole('link', { name: 'Queues' }).click();
      const dlqRow = page.getByTestId('queue-transaction-events-dlq');
      await dlqRow.getByRole('cell').nth(1).filter({ hasText: /^[1-9]/ }).waitFor();
      await dlqRow.getByRole('link', { name: 'transaction-events-dlq' }).click();
      await page.getByRole('heading', { level: 1, name: 'Dead letters: transaction-events-dlq' }).waitFor();
      const cards = page.locator('.dead-letter').filter({ has: page.getByRole('link', { name: paymentId }) });
      await cards.nth(3).waitFor();
      const completed = cards.filter({ hasText: 'Transaction completed' });
      assert.match((await completed.locator('.failure-reason').textContent()) ?? '', /failed 1 deliver(y|ies) from transaction-events/);
      await completed.getByText('Body (json) and attributes').click();
      assert.ok(((await completed.locator('pre.body').textContent()) ?? '').includes(paymentId), 'the decoded body names the payment');

      // The cause is gone (the service runs again): the operator redrives them all, and they leave the list.
      await page.getByRole('button', { name: /^Redrive all/ }).click();
      await page.getByRole('status').filter({ hasText: /Redriven \d+ messages?\./ }).waitFor();
      await cards.first().waitFor({ state: 'detached', timeout: 15_000 });

      // The payment is in both users' history now, and its saga page shows it completed.
      await eventually('the payment in the history', async () => (await history()).includes(paymentId), 30_000);
      await page.goto(`${gateway}/console/sagas/${paymentId}`);
      await page.getByTestId('saga-state').filter({ hasText: 'completed' }).waitFor({ timeout: 30_000 });
      const steps = (await page.getByRole('list', { name: 'History' }).textContent()) ?? '';
      for (const step of ['reservation requested', 'funds reserved', 'processing', 'completed']) assert.ok(steps.includes(step), `${step} in ${steps}`);

      // The redrive is in the audit log, by this operator.
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByTestId('audit-verification').filter({ hasText: 'The hash chain holds' }).waitFor();
      await page.getByLabel('Operator actions only').check();
      await page.getByTestId('audit-record').filter({ hasText: 'dead_letter.redrive on transaction-events-dlq' }).filter({ hasText: operator.id }).waitFor();
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
