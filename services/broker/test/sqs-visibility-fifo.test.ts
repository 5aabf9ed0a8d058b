import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type ReceiveMessageCommandInput,
} from '@aws-sdk/client-sqs';
import { sdkError, startTestBroker, type TestBroker } from './support.ts';

/** One ReceiveMessage without waiting; the bodies it returned, in order. */
async function bodies(b: TestBroker, input: ReceiveMessageCommandInput): Promise<string[]> {
  const { Messages = [] } = await b.sqs.send(new ReceiveMessageCommand(input));
  return Messages.map((m) => m.Body!);
}

async function fifoQueue(b: TestBroker, name: string, attributes: Record<string, string> = {}) {
  const url = await b.createQueue(`${name}.fifo`, { FifoQueue: 'true', ContentBasedDeduplication: 'true', ...attributes });
  // Each send a millisecond apart, so "became visible earlier" never ties with a send in the same millisecond.
  const send = async (group: string, body: string) => {
    b.advanceClock(1);
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: group }));
  };
  return { url, send };
}

describe('SQS visibility and FIFO receives as on AWS', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html
  // AWS answers ChangeMessageVisibility on a receipt handle whose visibility timeout ran out with success
  // while the message is still in the queue and nobody received it since (recorded against AWS); the new
  // timeout counts from the call. MessageNotInflight is not what AWS answers there.
  test('ChangeMessageVisibility with the latest receipt handle still works after the visibility timeout expired', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('expired-handle', { VisibilityTimeout: '1' });
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'late' }));
    const { Messages: [m] = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    b.advanceClock(2000);
    assert.deepEqual(await b.counts(url), { visible: 1, inFlight: 0, delayed: 0 }, 'the timeout ran out');

    await b.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m!.ReceiptHandle, VisibilityTimeout: 30 }));
    assert.deepEqual(await b.counts(url), { visible: 0, inFlight: 1, delayed: 0 }, 'hidden again for the new timeout, counted from the call');
    assert.deepEqual(await bodies(b, { QueueUrl: url }), []);
    // The same handle still deletes it (DeleteMessage accepts the latest handle of a message still in the queue).
    await b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m!.ReceiptHandle }));
    assert.deepEqual(await b.counts(url), { visible: 0, inFlight: 0, delayed: 0 });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html
  // Recorded against AWS: after a receive with VisibilityTimeout 0 and a second receive, ChangeMessageVisibility
  // to 0 with the first (earlier) receipt handle succeeds and the message can be received again at once; a
  // deleted message is "Message does not exist or is not available for visibility timeout change".
  test('ChangeMessageVisibility to 0 with an earlier receipt handle of the same message makes it visible; a deleted message is InvalidParameterValue', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('earlier-handle');
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'twice' }));
    const { Messages: [first] = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
    const { Messages: [second] = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 30 }));
    assert.notEqual(second!.ReceiptHandle, first!.ReceiptHandle);
    assert.deepEqual(await bodies(b, { QueueUrl: url }), [], 'held by the second receive');

    await b.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first!.ReceiptHandle, VisibilityTimeout: 0 }));
    const { Messages: [third] = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 30 }));
    assert.equal(third?.MessageId, first!.MessageId, 'visible again at once');

    await b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: third!.ReceiptHandle }));
    await assert.rejects(
      b.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: third!.ReceiptHandle, VisibilityTimeout: 10 })),
      sdkError(
        'InvalidParameterValue',
        'InvalidParameterValue',
        `Value ${third!.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      ),
    );
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
  // (MaxNumberOfMessages; "you can receive up to 10 messages from the same group in one call") and
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
  // Recorded against AWS: of a group received together, the message whose visibility is extended holds back
  // only itself and the messages behind it; the ones ahead of it come back together, in order.
  test('a FIFO receive returns several messages of one group together, in order, up to the first still in flight', async (t) => {
    const b = await startTestBroker(t);
    for (const [extended, expected] of [
      [0, []],
      [1, ['foo']],
      [2, ['foo', 'bar']],
    ] as const) {
      const { url, send } = await fifoQueue(b, `extend-${extended}`, { VisibilityTimeout: '1' });
      for (const body of ['foo', 'bar', 'baz']) await send('g', body);
      const { Messages = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 5 }));
      assert.deepEqual(Messages.map((m) => m.Body), ['foo', 'bar', 'baz'], 'a group comes out together, in order');
      await b.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: Messages[extended]!.ReceiptHandle, VisibilityTimeout: 4 }));
      b.advanceClock(2500);
      assert.deepEqual(await bodies(b, { QueueUrl: url, MaxNumberOfMessages: 5 }), expected, `message ${extended} extended`);
    }

    // Interleaved groups: a receive takes a group's messages together before the next group's.
    const { url, send } = await fifoQueue(b, 'interleaved');
    await send('group-1', 'g1-m1');
    await send('group-2', 'g2-m1');
    await send('group-1', 'g1-m2');
    await send('group-1', 'g1-m3');
    assert.deepEqual(await bodies(b, { QueueUrl: url, MaxNumberOfMessages: 10 }), ['g1-m1', 'g1-m2', 'g1-m3', 'g2-m1']);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
  // Recorded against AWS: messages that return to the queue (visibility 0, or the timeout running out) come
  // back in their group's original order, the returned ones before the group's later ones, and a group that
  // came back queues behind the groups already waiting; a head set visible again is handed out even while a
  // later message of its group is still in flight.
  test('FIFO messages returned to the queue come back in their original order, before the later ones of their group', async (t) => {
    const b = await startTestBroker(t);

    const zero = await fifoQueue(b, 'zero');
    for (const [group, body] of [['group-1', 'g1-m1'], ['group-2', 'g2-m1'], ['group-2', 'g2-m2'], ['group-3', 'g3-m1'], ['group-1', 'g1-m2']]) {
      await zero.send(group!, body!);
    }
    assert.deepEqual(await bodies(b, { QueueUrl: zero.url, MaxNumberOfMessages: 3, VisibilityTimeout: 0 }), ['g1-m1', 'g1-m2', 'g2-m1']);
    b.advanceClock(1);
    assert.deepEqual(await bodies(b, { QueueUrl: zero.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }), [
      'g3-m1',
      'g1-m1',
      'g1-m2',
      'g2-m1',
      'g2-m2',
    ]);

    const expiry = await fifoQueue(b, 'expiry', { VisibilityTimeout: '1' });
    for (const body of ['g1-m1', 'g1-m2', 'g1-m3', 'g1-m4']) await expiry.send('group-1', body);
    await expiry.send('group-2', 'g2-m1');
    await expiry.send('group-3', 'g3-m1');
    assert.deepEqual(await bodies(b, { QueueUrl: expiry.url, MaxNumberOfMessages: 2 }), ['g1-m1', 'g1-m2']);
    b.advanceClock(1);
    assert.deepEqual(await bodies(b, { QueueUrl: expiry.url, MaxNumberOfMessages: 1 }), ['g2-m1'], 'group 1 is held while in flight');
    b.advanceClock(2000);
    assert.deepEqual(await bodies(b, { QueueUrl: expiry.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }), [
      'g3-m1',
      'g1-m1',
      'g1-m2',
      'g1-m3',
      'g1-m4',
      'g2-m1',
    ]);

    const terminated = await fifoQueue(b, 'terminated', { VisibilityTimeout: '30' });
    await terminated.send('group-1', 'g1-m1');
    await terminated.send('group-1', 'g1-m2');
    await terminated.send('group-2', 'g2-m1');
    const { Messages = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: terminated.url, MaxNumberOfMessages: 2 }));
    assert.deepEqual(Messages.map((m) => m.Body), ['g1-m1', 'g1-m2']);
    b.advanceClock(1);
    await b.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: terminated.url, ReceiptHandle: Messages[0]!.ReceiptHandle, VisibilityTimeout: 0 }));
    assert.deepEqual(await bodies(b, { QueueUrl: terminated.url, MaxNumberOfMessages: 3 }), ['g2-m1', 'g1-m1'], 'g1-m2 is still in flight');
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_PurgeQueue.html
  // Recorded against AWS: after PurgeQueue a FIFO message with a deduplication id sent before the purge is
  // accepted as a new message.
  test('PurgeQueue clears the FIFO deduplication cache: the same deduplication id is a new message afterwards', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('purged.fifo', { FifoQueue: 'true' });
    const input = { QueueUrl: url, MessageGroupId: 'g', MessageDeduplicationId: 'dedup-1' };
    const first = await b.sqs.send(new SendMessageCommand({ ...input, MessageBody: 'message-1' }));
    await b.sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    const second = await b.sqs.send(new SendMessageCommand({ ...input, MessageBody: 'message-2' }));
    assert.notEqual(second.MessageId, first.MessageId);
    assert.deepEqual(await bodies(b, { QueueUrl: url, MaxNumberOfMessages: 10 }), ['message-2']);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
  // (ReceiveRequestAttemptId) and
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-receiverequestattemptid-request-parameter.html
  // A retry with the same ReceiveRequestAttemptId within 5 minutes returns the same messages and receipt
  // handles during their visibility timeout, and resets that timeout; it no longer applies once one of the
  // messages was deleted or had its visibility changed, nor after the 5 minutes.
  test('ReceiveRequestAttemptId: a retried FIFO receive gets the same messages and receipt handles while they are in flight', async (t) => {
    const b = await startTestBroker(t);
    const { url, send } = await fifoQueue(b, 'attempts');
    for (const body of ['a1', 'a2', 'a3']) await send('a', body);
    await send('b', 'b1');
    const receive = (attempt: string | undefined, visibility = 30) =>
      b.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 2,
          VisibilityTimeout: visibility,
          ReceiveRequestAttemptId: attempt,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
    const view = (r: Awaited<ReturnType<typeof receive>>) =>
      (r.Messages ?? []).map((m) => [m.Body, m.ReceiptHandle, m.Attributes?.ApproximateReceiveCount]);

    const first = await receive('attempt-1');
    assert.deepEqual(first.Messages?.map((m) => m.Body), ['a1', 'a2']);
    b.advanceClock(20_000);
    const retry = await receive('attempt-1');
    assert.deepEqual(view(retry), view(first), 'the same messages, receipt handles and receive counts');
    const { Messages: others = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    assert.deepEqual(others.map((m) => m.Body), ['b1'], 'no other receive got group a');
    await b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: others[0]!.ReceiptHandle }));

    // The retry reset the visibility timeout: 35 s after the first receive, 15 s after the retry, a1 and a2 are still hidden.
    b.advanceClock(15_000);
    assert.deepEqual(await b.counts(url), { visible: 1, inFlight: 2, delayed: 0 }, 'a1 and a2 in flight, a3 waiting behind them');

    // A visibility change ends the deduplication: the retry is a new receive, with a new receipt handle.
    await b.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first.Messages![0]!.ReceiptHandle, VisibilityTimeout: 0 }));
    const changed = await receive('attempt-1');
    assert.deepEqual(changed.Messages?.map((m) => m.Body), ['a1'], 'a2 is still in flight, so it ends the run');
    assert.notEqual(changed.Messages![0]!.ReceiptHandle, first.Messages![0]!.ReceiptHandle);
    assert.equal(changed.Messages![0]!.Attributes?.ApproximateReceiveCount, '2');

    // So does a delete: the retry is a new receive, which finds group a held by a2.
    await b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: changed.Messages![0]!.ReceiptHandle }));
    assert.deepEqual(view(await receive('attempt-1')), []);

    // And 5 minutes after the receive the id is forgotten, even while its messages are still in flight.
    await b.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first.Messages![1]!.ReceiptHandle, VisibilityTimeout: 0 }));
    const later = await receive('attempt-2', 600);
    assert.deepEqual(later.Messages?.map((m) => m.Body), ['a2', 'a3']);
    b.advanceClock(4 * 60 * 1000);
    assert.deepEqual(view(await receive('attempt-2', 600)), view(later), 'still within the 5 minutes');
    b.advanceClock(60 * 1000 + 1000);
    assert.deepEqual(view(await receive('attempt-2', 600)), [], 'a new receive, which finds group a in flight');

    // The id is checked as AWS documents it: up to 128 alphanumeric or punctuation characters.
    await assert.rejects(receive('x'.repeat(129)), sdkError('InvalidParameterValue'));
  });
});
