import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { spawnService } from '../../../test/support/processes.ts';
import { CREDENTIALS, REGION } from './support.ts';

const MAIN = path.join(import.meta.dirname, '..', 'main.ts');

async function startBrokerProcess(dataDir: string) {
  const service = await spawnService(
    MAIN,
    { DATA_DIR: dataDir, BROKER_PORT: '0', BROKER_APPLY_TOPOLOGY: 'false', DATABASE_URL: '', BROKER_DATABASE_URL: '' },
    (line) => (typeof line.address === 'string' ? line.address : undefined),
  );
  const sqs = new SQSClient({ region: REGION, endpoint: `http://${service.ready}`, credentials: CREDENTIALS, maxAttempts: 1 });
  return { service, sqs };
}

/** Receives and deletes everything on a queue; the ids `idOf` reads off the messages. */
async function drain(sqs: SQSClient, url: string, idOf: (message: Message) => string): Promise<Set<string>> {
  const received = new Set<string>();
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }));
    if (Messages.length === 0) return received;
    for (const m of Messages) received.add(idOf(m));
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })) }));
  }
}

test('every send acknowledged before a kill -9 is received after a restart on the same file', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'paymesh-broker-crash-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));

  const first = await startBrokerProcess(dataDir);
  t.after(() => first.service.kill('SIGKILL'));
  const { QueueUrl } = await first.sqs.send(new CreateQueueCommand({ QueueName: 'payment-processing' }));
  const queuePath = new URL(QueueUrl!).pathname;

  // Eight senders send batches of 10 until the broker dies under them; only acknowledged ids count.
  const acknowledged = new Set<string>();
  let killed = false;
  const senders = Array.from({ length: 8 }, async (_, lane) => {
    for (let round = 0; !killed; round++) {
      try {
        const response = await first.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl,
            Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `lane ${lane} round ${round} message ${i}` })),
          }),
        );
        for (const ok of response.Successful ?? []) acknowledged.add(ok.MessageId!);
      } catch {
        return; // the broker is gone: this batch was never acknowledged
      }
    }
  });
  while (acknowledged.size < 300) await new Promise((resolve) => setTimeout(resolve, 5));
  killed = true;
  await first.service.kill('SIGKILL');
  await Promise.all(senders);
  first.sqs.destroy();

  const second = await startBrokerProcess(dataDir);
  t.after(() => second.service.kill('SIGTERM'));
  t.after(() => second.sqs.destroy());
  const url = `http://${second.service.ready}${queuePath}`;
  const received = await drain(second.sqs, url, (m) => m.MessageId!);
  const lost = [...acknowledged].filter((id) => !received.has(id));
  assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.size} acknowledged messages were lost`);
  assert.ok(acknowledged.size >= 300);
});

test('every event PutEvents acknowledged before a kill -9 is in its target queue after a restart', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'paymesh-broker-crash-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));

  const first = await startBrokerProcess(dataDir);
  t.after(() => first.service.kill('SIGKILL'));
  const events = new EventBridgeClient({ region: REGION, endpoint: `http://${first.service.ready}`, credentials: CREDENTIALS, maxAttempts: 1 });
  const { QueueUrl } = await first.sqs.send(new CreateQueueCommand({ QueueName: 'transaction-events' }));
  const queuePath = new URL(QueueUrl!).pathname;
  await events.send(new PutRuleCommand({ Name: 'all', EventPattern: JSON.stringify({ source: [{ prefix: 'crash.' }] }) }));
  await events.send(new PutTargetsCommand({ Rule: 'all', Targets: [{ Id: 'q', Arn: `arn:aws:sqs:${REGION}:000000000000:transaction-events` }] }));

  // Eight publishers put batches of 10 until the broker dies under them; only acknowledged events count.
  const acknowledged = new Set<string>();
  let killed = false;
  const publishers = Array.from({ length: 8 }, async (_, lane) => {
    for (let round = 0; !killed; round++) {
      try {
        const response = await events.send(
          new PutEventsCommand({ Entries: Array.from({ length: 10 }, (_, i) => ({ Source: 'crash.test', DetailType: 'Crash test', Detail: JSON.stringify({ lane, round, i }) })) }),
        );
        for (const entry of response.Entries ?? []) if (entry.EventId) acknowledged.add(entry.EventId);
      } catch {
        return;
      }
    }
  });
  while (acknowledged.size < 300) await new Promise((resolve) => setTimeout(resolve, 5));
  killed = true;
  await first.service.kill('SIGKILL');
  await Promise.all(publishers);
  events.destroy();
  first.sqs.destroy();

  const second = await startBrokerProcess(dataDir);
  t.after(() => second.service.kill('SIGTERM'));
  t.after(() => second.sqs.destroy());
  const url = `http://${second.service.ready}${queuePath}`;
  const received = await drain(second.sqs, url, (m) => (JSON.parse(m.Body!) as { id: string }).id);
  const lost = [...acknowledged].filter((id) => !received.has(id));
  assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.size} acknowledged events never reached their queue`);
});
