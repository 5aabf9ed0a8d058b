import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CancelMessageMoveTaskCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { receiveCount, sdkError, startTestBroker, type TestBroker } from './support.ts';

/** A source queue whose dead-letter queue holds `count` messages (each received once, maxReceiveCount 1). */
async function deadLetters(b: TestBroker, count: number) {
  const dlq = await b.createQueue('payment-dlq');
  const source = await b.createQueue('payment-processing', {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: b.arnOf('payment-dlq'), maxReceiveCount: 1 }),
  });
  await b.sqs.send(
    new SendMessageBatchCommand({ QueueUrl: source, Entries: Array.from({ length: count }, (_, i) => ({ Id: `m${i}`, MessageBody: `poison ${i}` })) }),
  );
  await receiveCount(b.sqs, { QueueUrl: source, VisibilityTimeout: 0 }, count);
  // The next receive finds them past maxReceiveCount and moves them to the DLQ instead.
  const next = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10 }));
  assert.equal(next.Messages, undefined);
  assert.equal((await b.counts(dlq)).visible, count);
  return { dlq, source };
}

describe('SQS message move tasks', () => {
  test('a move task can send a dead-letter queue to another destination', async (t) => {
    const b = await startTestBroker(t);
    await deadLetters(b, 2);
    const retry = await b.createQueue('payment-retry');
    await b.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: b.arnOf('payment-dlq'), DestinationArn: b.arnOf('payment-retry') }));
    const moved = await receiveCount(b.sqs, { QueueUrl: retry, MessageSystemAttributeNames: ['All'] }, 2);
    assert.deepEqual(moved.map((m) => m.Body).sort(), ['poison 0', 'poison 1']);
    assert.equal(moved[0]!.Attributes?.ApproximateReceiveCount, '1', 'the receive count starts again');
    const { Results = [] } = await b.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: b.arnOf('payment-dlq'), MaxResults: 10 }));
    assert.equal(Results[0]?.DestinationArn, b.arnOf('payment-retry'));
  });

  test('MaxNumberOfMessagesPerSecond paces a task, and a running task can be cancelled', async (t) => {
    const b = await startTestBroker(t);
    const { dlq } = await deadLetters(b, 3);
    const { TaskHandle } = await b.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: b.arnOf('payment-dlq'), MaxNumberOfMessagesPerSecond: 1 }));
    await assert.rejects(
      b.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: b.arnOf('payment-dlq') })),
      sdkError('InvalidParameterValue', 'InvalidParameterValue', /Only one active task is allowed for a source queue/),
    );
    b.advanceClock(1000);
    for (let i = 0; (await b.counts(dlq)).visible > 2; i++) {
      if (i > 100) throw new Error('the task did not move its first message');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const listed = await b.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: b.arnOf('payment-dlq') }));
    assert.equal(listed.Results?.[0]?.Status, 'RUNNING');
    assert.equal(listed.Results?.[0]?.TaskHandle, TaskHandle);
    assert.equal(listed.Results?.[0]?.MaxNumberOfMessagesPerSecond, 1);

    const cancelled = await b.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    assert.equal(cancelled.ApproximateNumberOfMessagesMoved, 1);
    b.advanceClock(10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await b.counts(dlq)).visible, 2, 'a cancelled task moves nothing more');
    const after = await b.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: b.arnOf('payment-dlq') }));
    assert.equal(after.Results?.[0]?.Status, 'CANCELLED');
    await assert.rejects(b.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle })), sdkError('UnsupportedOperation'));
  });

  test('a move task needs a dead-letter queue as its source', async (t) => {
    const b = await startTestBroker(t);
    const plain = await b.createQueue('plain');
    await b.sqs.send(new SendMessageCommand({ QueueUrl: plain, MessageBody: 'x' }));
    await assert.rejects(
      b.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: b.arnOf('plain') })),
      sdkError('InvalidParameterValue', undefined, 'Source queue must be configured as a Dead Letter Queue.'),
    );
    await assert.rejects(b.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: b.arnOf('missing') })), sdkError('ResourceNotFoundException'));
    await assert.rejects(b.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'nope' })), sdkError('InvalidParameterValue', undefined, 'Value for parameter TaskHandle is invalid.'));
  });

  test('messages sent straight to a dead-letter queue have no source to go back to: the task fails', async (t) => {
    const b = await startTestBroker(t);
    const { dlq } = await deadLetters(b, 1);
    await b.sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: 'sent here directly' }));
    await b.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: b.arnOf('payment-dlq') }));
    for (let i = 0; ; i++) {
      const { Results = [] } = await b.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: b.arnOf('payment-dlq') }));
      if (Results[0]?.Status === 'FAILED') {
        assert.equal(Results[0].FailureReason, 'CouldNotDetermineMessageSource');
        break;
      }
      if (i > 100) throw new Error(`task still ${Results[0]?.Status}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
});
