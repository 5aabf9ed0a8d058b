import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { WalletClient } from '../../clients/wallet-client.ts';
import { createSqsClient } from '../../messaging/aws.ts';
import { startPlatform, type Platform } from '../../scripts/platform.ts';
import { ApiClient } from '../support/api.ts';
import { eventually } from '../support/eventually.ts';

/*
 * Faults against the whole platform as processes: a dependency dies in the
 * middle of sagas, poison arrives on a queue, and hundreds of payments race
 * between a few users. Whatever happens, every saga ends and no money is
 * created, destroyed or left frozen.
 */
describe('payment sagas under faults', () => {
  let platform: Platform;
  let gateway: string;
  let sqs: SQSClient;

  before(async () => {
    // The wallet breaker tries again after 2 s rather than the seed's 30 s, so the outage test ends soon after the wallet is back.
    const saga = { PAYMENT_SAGA_STEP_TIMEOUT_SECONDS: '60', PAYMENT_SAGA_SWEEP_INTERVAL_MS: '500', PAYMENT_DLQ_SWEEP_INTERVAL_MS: '300', WALLET_SERVICE_BREAKER_HALF_OPEN_MS: '2000' };
    platform = await startPlatform({ serviceEnv: { payment: saga, 'payment-v2': saga } });
    gateway = platform.url('gateway');
    sqs = createSqsClient({ region: 'us-east-1', endpoint: platform.env.PAYMESH_BROKER_URL!, embedded: true });
  });

  after(async () => {
    sqs?.destroy();
    await platform?.stop();
  });

  test('sagas caught by a wallet outage wait for it and complete once it is back', async () => {
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('100.00');
    // Payments are accepted while the wallet is up; it dies under their sagas.
    const accepted: string[] = [];
    for (let i = 0; i < 6; i++) {
      const sent = await alice.client.post('/v1/payments', { receiver_id: bob.user.id, amount: '1.00', currency: 'USD' });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      accepted.push(sent.body.id);
    }
    const carol = await ApiClient.signUp(gateway);
    await platform.kill('wallet');
    // While the wallet is down, a payment to someone whose wallet the payment service has not seen cannot be
    // checked: a clear 503, nothing accepted. One between parties it knows is accepted and waits in its saga.
    const refused = await alice.client.post('/v1/payments', { receiver_id: carol.user.id, amount: '1.00', currency: 'USD' });
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    const waiting = await alice.client.post('/v1/payments', { receiver_id: bob.user.id, amount: '1.00', currency: 'USD' });
    assert.equal(waiting.status, 202, JSON.stringify(waiting.body));
    accepted.push(waiting.body.id);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await platform.restart('wallet');

    for (const id of accepted) assert.equal((await alice.client.settled(id, 60_000)).status, 'completed', `payment ${id}`);
    assert.deepEqual(balances(await alice.client.wallet()), { balance: '93.00', available: '93.00', frozen: '0.00' });
    assert.equal((await bob.client.wallet()).balance, '7.00');
    assert.equal((await carol.client.wallet()).balance, '0.00');
  });

  test('a poison message on payment-processing is dead-lettered and raises an operations alert, and the flow goes on', async () => {
    const queueUrl = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    // Both payment versions run DLQ handlers for the same queue: either may raise the alert.
    const alerts = async () =>
      (await metric(platform.url('payment'), 'operations_alerts_total', 'payment-dlq')) + (await metric(platform.url('payment-v2'), 'operations_alerts_total', 'payment-dlq'));
    const alertsBefore = await alerts();
    // What a buggy or hostile producer might send: the seed's JSON shape with money that is not money.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrl('payment-processing'),
        MessageBody: JSON.stringify({ event_type: 'payment_initiated', transaction_id: randomUUID(), sender_id: 'a', receiver_id: 'b', amount: 'lots', currency: 'USD', timestamp: 'now' }),
        MessageAttributes: { event_type: { DataType: 'String', StringValue: 'payment_initiated' }, priority: { DataType: 'String', StringValue: 'high' } },
      }),
    );

    await eventually('an operations alert for the poison message', async () => (await alerts()) > alertsBefore, 30_000);
    // Parked, it is not alerted again at every sweep.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(await alerts(), alertsBefore + 1, 'one alert for one poison message');
    const dlq = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: await queueUrl('payment-dlq'), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    const parked = Number(dlq.Attributes!.ApproximateNumberOfMessages) + Number(dlq.Attributes!.ApproximateNumberOfMessagesNotVisible);
    assert.ok(parked >= 1, 'the poison message is kept in the DLQ for an operator, not dropped');

    // Healthy payments still flow past it.
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('10.00');
    const sent = await alice.client.post('/v1/payments', { receiver_id: bob.user.id, amount: '3.00', currency: 'USD' });
    assert.equal((await alice.client.settled(sent.body.id)).status, 'completed');
  });

  test('hundreds of concurrent payments between a few users: every one ends, no money is created or destroyed, nothing stays frozen', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => ApiClient.signUp(gateway)));
    for (const u of users) await u.client.fund('50.00');
    const total = 200;
    const sent: Array<{ client: ApiClient; id: string }> = [];
    let next = 0;
    // 16 clients at once; amounts are chosen so some payments must fail for lack of funds.
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total) {
          const n = next++;
          const from = users[n % users.length]!;
          const to = users[(n * 7 + 1) % users.length]!;
          if (from === to) continue;
          const amount = `${1 + ((n * 13) % 9)}.${String((n * 37) % 100).padStart(2, '0')}`;
          const response = await from.client.post('/v1/payments', { receiver_id: to.user.id, amount, currency: 'USD' });
          assert.equal(response.status, 202, JSON.stringify(response.body));
          sent.push({ client: from.client, id: response.body.id });
        }
      }),
    );
    const outcomes = { completed: 0, failed: 0 };
    for (const { client, id } of sent) outcomes[(await client.settled(id, 60_000)).status as 'completed' | 'failed']++;
    assert.equal(outcomes.completed + outcomes.failed, sent.length, 'every payment ended');
    assert.ok(outcomes.completed > 0, `some payments completed: ${JSON.stringify(outcomes)}`);

    const wallets = new WalletClient(platform.url('wallet'));
    try {
      let sum = 0n;
      for (const u of users) {
        for (const w of await wallets.listWallets(u.user.id)) {
          assert.equal(w.frozen_minor, '0', `no hold left frozen on ${u.user.id}`);
          sum += BigInt(w.balance_minor);
        }
      }
      assert.equal(sum, 4n * 5000n, `the four wallets still hold exactly 200.00 between them (${JSON.stringify(outcomes)})`);
    } finally {
      wallets.close();
    }
  });
});

function balances(wallet: { balance: string; available: string; frozen: string }) {
  return { balance: wallet.balance, available: wallet.available, frozen: wallet.frozen };
}

/** A counter's value for one queue label from a service's /metrics (0 when absent). */
async function metric(serviceUrl: string, name: string, queue: string): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`queue="${queue}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}
