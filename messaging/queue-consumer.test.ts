import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { invalidArgument, PayMeshError } from '../contracts/errors.ts';
import { startTestBroker } from '../test/support/broker.ts';
import { eventually } from '../test/support/eventually.ts';
import { messagingConfigFromEnv } from './aws.ts';
import { startQueueConsumer, type ReceivedMessage } from './queue-consumer.ts';
import { QueueDirectory } from './queue-directory.ts';
import { QueuePublisher } from './queue-publisher.ts';

const log = pino({ level: 'silent' });

/** A queue and its DLQ, made for one test. */
async function queuePair(sqs: SQSClient, options: { maxReceiveCount: number; visibility?: number }) {
  const name = `q-${randomUUID().slice(0, 8)}`;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(options.visibility ?? 30),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount }),
      },
    }),
  );
  return { name, url: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

test('the publisher sends the seed attributes and a stable message id; the consumer handles each message once and deletes it', async (t) => {
  const { sqs } = await startTestBroker(t);
  const queues = new QueuePublisher(sqs, new QueueDirectory(sqs));
  const { name, url } = await queuePair(sqs, { maxReceiveCount: 3 });
  const received: ReceivedMessage[] = [];
  const consumer = startQueueConsumer({ sqs, queueUrl: url, log, waitTimeSeconds: 1, handler: async (m) => void received.push(m) });
  t.after(() => consumer.stop());

  const one = await queues.send(name, { body: '{"n":0}', eventType: 'payment_initiated', priority: 'high' });
  // 25 messages: SendMessageBatch calls of at most 10, each entry's fate reported.
  const batch = await queues.sendBatch(name, Array.from({ length: 25 }, (_, i) => ({ body: `{"n":${i + 1}}`, eventType: 'payment_initiated' })));
  assert.equal(batch.sent.length, 25);
  assert.deepEqual(batch.failed, []);

  await eventually('received.length === 26', () => received.length === 26, 15_000, 20);
  const first = received.find((m) => m.id === one)!;
  assert.equal(first.eventType, 'payment_initiated');
  assert.equal(first.attributes.priority, 'high');
  assert.equal(first.attributes.message_id, one);
  assert.equal(first.receiveCount, 1);
  assert.deepEqual(new Set(received.map((m) => m.id)).size, 26, 'each message handled once');
  const left = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  assert.equal(left.Attributes!.ApproximateNumberOfMessages, '0');
});

test('the messages of a batch that succeed are deleted together, and one that fails in the same batch is retried on its own', async (t) => {
  const { sqs, messaging } = await startTestBroker(t);
  const queues = new QueuePublisher(sqs, new QueueDirectory(sqs));
  const { name, url } = await queuePair(sqs, { maxReceiveCount: 5 });
  await queues.sendBatch(name, Array.from({ length: 8 }, (_, i) => ({ body: `{"n":${i}}`, eventType: 'payment_initiated' })));
  const before = await brokerRequests(messaging.endpoint!);
  const handled: string[] = [];
  let failedOnce = false;
  const consumer = startQueueConsumer({
    sqs,
    queueUrl: url,
    log,
    waitTimeSeconds: 1,
    retryDelaySeconds: () => 0,
    handler: async (m) => {
      if (m.body === '{"n":3}' && !failedOnce) {
        failedOnce = true;
        throw new Error('the wallet is down');
      }
      handled.push(m.body);
    },
  });
  t.after(() => consumer.stop());

  await eventually('handled.length === 8', () => handled.length === 8, 15_000, 20);
  assert.deepEqual([...handled].sort(), Array.from({ length: 8 }, (_, i) => `{"n":${i}}`).sort());
  assert.equal(handled.filter((b) => b === '{"n":3}').length, 1, 'the failed message was handled again, once');
  // Deletes follow their batch: wait for the queue to be empty, in flight included.
  for (const deadline = Date.now() + 15_000; ; ) {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    if (Attributes.ApproximateNumberOfMessages === '0' && Attributes.ApproximateNumberOfMessagesNotVisible === '0') break;
    assert.ok(Date.now() < deadline, `the queue still holds messages: ${JSON.stringify(Attributes)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const after = await brokerRequests(messaging.endpoint!);
  assert.equal((after.get('DeleteMessage') ?? 0) - (before.get('DeleteMessage') ?? 0), 0, 'no message was deleted on its own');
  assert.ok((after.get('DeleteMessageBatch') ?? 0) - (before.get('DeleteMessageBatch') ?? 0) >= 1);
});

/** broker_requests_total by action, from the broker's /metrics. */
async function brokerRequests(endpoint: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/^broker_requests_total\{[^}]*action="([^"]+)"[^}]*\} (\d+)$/gm)) counts.set(match[1]!, Number(match[2]));
  return counts;
}

test('a message whose handler keeps failing is retried, then moved to the dead-letter queue by the redrive policy', async (t) => {
  const { sqs } = await startTestBroker(t);
  const queues = new QueuePublisher(sqs, new QueueDirectory(sqs));
  const { name, url, dlqUrl } = await queuePair(sqs, { maxReceiveCount: 3 });
  const attempts: number[] = [];
  const consumer = startQueueConsumer({
    sqs,
    queueUrl: url,
    log,
    waitTimeSeconds: 1,
    retryDelaySeconds: () => 0,
    handler: async (m) => {
      attempts.push(m.receiveCount);
      throw new Error('the dependency is down');
    },
  });
  t.after(() => consumer.stop());
  const id = await queues.send(name, { body: '{}', eventType: 'test' });

  await eventually('attempts.length >= 3', () => attempts.length >= 3, 15_000, 20);
  const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 5, MessageAttributeNames: ['All'] }));
  assert.equal(dead.Messages?.length, 1);
  assert.equal(dead.Messages![0]!.MessageAttributes!.message_id!.StringValue, id, 'the same message, attributes and all');
  assert.deepEqual(attempts.slice(0, 3), [1, 2, 3]);
});

test("a message refused by an open breaker comes back when the breaker lets a call through, not after the shorter backoff", async (t) => {
  const { sqs } = await startTestBroker(t);
  const queues = new QueuePublisher(sqs, new QueueDirectory(sqs));
  const { name, url } = await queuePair(sqs, { maxReceiveCount: 5 });
  const attempts: number[] = [];
  const consumer = startQueueConsumer({
    sqs,
    queueUrl: url,
    log,
    waitTimeSeconds: 1,
    retryDelaySeconds: () => 0,
    handler: async () => {
      attempts.push(Date.now());
      if (attempts.length === 1) throw new PayMeshError('unavailable', 'SERVICE_UNAVAILABLE', 'wallet-service is unavailable (circuit breaker open)', undefined, { retryAfterSeconds: 2 });
    },
  });
  t.after(() => consumer.stop());
  await queues.send(name, { body: '{}', eventType: 'test' });

  await eventually('attempts.length >= 2', () => attempts.length >= 2, 15_000, 20);
  assert.ok(attempts[1]! - attempts[0]! >= 1900, `handed out again after ${attempts[1]! - attempts[0]!} ms, not before the breaker's 2 s`);
});

test('an invalid message is dead-lettered without the backoff meant for outages', async (t) => {
  const { sqs } = await startTestBroker(t);
  const queues = new QueuePublisher(sqs, new QueueDirectory(sqs));
  const { name, url, dlqUrl } = await queuePair(sqs, { maxReceiveCount: 3 });
  let attempts = 0;
  const consumer = startQueueConsumer({
    sqs,
    queueUrl: url,
    log,
    waitTimeSeconds: 1,
    // Outage backoff far longer than the test: only the invalid-message path can finish in time.
    retryDelaySeconds: () => 600,
    handler: async () => {
      attempts++;
      throw invalidArgument('INVALID_MESSAGE', 'amount is not money', 'amount');
    },
  });
  t.after(() => consumer.stop());
  await queues.send(name, { body: '{"amount":"lots"}', eventType: 'payment_initiated' });

  const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 10 }));
  assert.equal(dead.Messages?.length, 1);
  assert.equal(attempts, 3);
});

test("a slow handler's message stays invisible to other consumers while it works (visibility is extended)", async (t) => {
  const { sqs } = await startTestBroker(t);
  const queues = new QueuePublisher(sqs, new QueueDirectory(sqs));
  const { name, url } = await queuePair(sqs, { maxReceiveCount: 5, visibility: 2 });
  const handled: string[] = [];
  const slow = async (m: ReceivedMessage) => {
    handled.push(m.id);
    await new Promise((resolve) => setTimeout(resolve, 4500));
  };
  const a = startQueueConsumer({ sqs, queueUrl: url, log, waitTimeSeconds: 1, visibilityTimeoutSeconds: 2, handler: slow });
  const b = startQueueConsumer({ sqs, queueUrl: url, log, waitTimeSeconds: 1, visibilityTimeoutSeconds: 2, handler: slow });
  t.after(() => Promise.all([a.stop(), b.stop()]));
  await queues.send(name, { body: '{}', eventType: 'slow' });

  await eventually('handled.length === 1', () => handled.length === 1, 15_000, 20);
  await new Promise((resolve) => setTimeout(resolve, 6000));
  assert.equal(handled.length, 1, 'no second consumer got the message while the first was still on it');
});

test('configuration picks the embedded broker by default and real AWS when a region is set without an endpoint', () => {
  assert.deepEqual(messagingConfigFromEnv({}), { region: 'us-east-1', endpoint: 'http://127.0.0.1:9324', embedded: true });
  assert.deepEqual(messagingConfigFromEnv({ AWS_REGION: 'eu-west-1' }), { region: 'eu-west-1', embedded: false });
  assert.deepEqual(messagingConfigFromEnv({ AWS_REGION: 'eu-west-1', PAYMESH_BROKER_URL: 'http://127.0.0.1:9999/' }), {
    region: 'eu-west-1',
    endpoint: 'http://127.0.0.1:9999',
    embedded: true,
  });
  assert.throws(() => messagingConfigFromEnv({ PAYMESH_BROKER_URL: 'ftp://x' }), /must be an http\(s\) URL/);
});
