import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { startTestBroker } from '../test/support/broker.ts';
import { DlqHandler, REDRIVES_ATTRIBUTE, type OperationsAlert } from './dlq-handler.ts';
import { QueueDirectory } from './queue-directory.ts';
import { QueuePublisher } from './queue-publisher.ts';

const log = pino({ level: 'silent' });

async function queues(sqs: SQSClient) {
  const source = `src-${randomUUID().slice(0, 8)}`;
  const dlq = `${source}-dlq`;
  await sqs.send(new CreateQueueCommand({ QueueName: source }));
  await sqs.send(new CreateQueueCommand({ QueueName: dlq }));
  return { source, dlq };
}

async function counts(sqs: SQSClient, directory: QueueDirectory, queue: string) {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: await directory.url(queue),
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return { visible: Number(Attributes!.ApproximateNumberOfMessages), hidden: Number(Attributes!.ApproximateNumberOfMessagesNotVisible), delayed: Number(Attributes!.ApproximateNumberOfMessagesDelayed) };
}

test('a temporary failure is sent back to its source queue with a delay and a redrive count; a permanent one raises an alert and stays parked in the DLQ', async (t) => {
  const { sqs } = await startTestBroker(t);
  const directory = new QueueDirectory(sqs);
  const publisher = new QueuePublisher(sqs, directory);
  const { source, dlq } = await queues(sqs);
  const alerts: OperationsAlert[] = [];
  const handler = new DlqHandler({
    sqs,
    directory,
    deadLetterQueue: dlq,
    sourceQueue: source,
    log,
    alert: async (alert) => void alerts.push(alert),
    classify: (message) => (message.body.includes('broken') ? { class: 'permanent', reason: 'body is not a payment' } : { class: 'temporary', reason: 'wallet was down' }),
  });
  const retryable = await publisher.send(dlq, { body: '{"ok":true}', eventType: 'payment_initiated' });
  const poison = await publisher.send(dlq, { body: 'broken', eventType: 'payment_initiated' });

  assert.deepEqual(await handler.drainOnce(), { redriven: 1, alerted: 1 });

  assert.deepEqual(await counts(sqs, directory, source), { visible: 0, hidden: 0, delayed: 1 }, 'sent back, after a backoff delay');
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.messageId, poison);
  assert.equal(alerts[0]!.reason, 'body is not a payment');
  assert.equal(alerts[0]!.deadLetterQueue, dlq);
  assert.equal(alerts[0]!.sourceQueue, source);
  assert.deepEqual(await counts(sqs, directory, dlq), { visible: 0, hidden: 1, delayed: 0 }, 'the poison message is parked for an operator, not deleted');
  assert.notEqual(retryable, poison);
});

test('a message redriven too many times is treated as permanent, whatever the classifier says', async (t) => {
  const { sqs } = await startTestBroker(t);
  const directory = new QueueDirectory(sqs);
  const publisher = new QueuePublisher(sqs, directory);
  const { source, dlq } = await queues(sqs);
  const alerts: OperationsAlert[] = [];
  const handler = new DlqHandler({ sqs, directory, deadLetterQueue: dlq, sourceQueue: source, log, maxRedrives: 2, alert: async (a) => void alerts.push(a) });
  await publisher.send(dlq, { body: '{}', eventType: 'payment_initiated', attributes: { [REDRIVES_ATTRIBUTE]: '2' } });

  assert.deepEqual(await handler.drainOnce(), { redriven: 0, alerted: 1 });
  assert.match(alerts[0]!.reason, /still failing after 2 redrives/);
  assert.deepEqual(await counts(sqs, directory, source), { visible: 0, hidden: 0, delayed: 0 });
});

test('an alert that cannot be raised leaves the message in the DLQ to be handled again', async (t) => {
  const { sqs } = await startTestBroker(t);
  const directory = new QueueDirectory(sqs);
  const publisher = new QueuePublisher(sqs, directory);
  const { source, dlq } = await queues(sqs);
  const handler = new DlqHandler({
    sqs,
    directory,
    deadLetterQueue: dlq,
    sourceQueue: source,
    log,
    classify: () => ({ class: 'permanent', reason: 'invalid' }),
    alert: async () => {
      throw new Error('the bus is down');
    },
  });
  await publisher.send(dlq, { body: 'broken', eventType: 'payment_initiated' });
  await assert.rejects(handler.drainOnce(), /the bus is down/);
  const after = await counts(sqs, directory, dlq);
  assert.equal(after.visible + after.hidden, 1, 'nothing was dropped silently');
});
