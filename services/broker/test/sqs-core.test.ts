import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { testDatabases } from '../../../test/support/databases.ts';
import { receiveCount, startTestBroker } from './support.ts';

/** The core of the SQS contract, on SQLite and on PostgreSQL. */
for (const database of await testDatabases()) {
  describe(`SQS core on ${database.name}`, { skip: database.skip }, () => {
    test('a sent message is received once, hidden while in flight, and gone once deleted', async (t) => {
      const b = await startTestBroker(t, { database });
      const url = await b.createQueue('payment-processing');
      const sent = await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"transaction_id":"t-1"}' }));
      assert.match(sent.MessageId!, /^[0-9a-f-]{36}$/);

      const { Messages = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }));
      assert.equal(Messages.length, 1);
      assert.equal(Messages[0]!.MessageId, sent.MessageId);
      assert.equal(Messages[0]!.Body, '{"transaction_id":"t-1"}');
      assert.deepEqual(await b.counts(url), { visible: 0, inFlight: 1, delayed: 0 });

      const again = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
      assert.equal(again.Messages, undefined, 'an in-flight message is not handed out again');

      await b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: Messages[0]!.ReceiptHandle }));
      assert.deepEqual(await b.counts(url), { visible: 0, inFlight: 0, delayed: 0 });
    });

    test('a message whose visibility timeout runs out is received again, with a higher receive count', async (t) => {
      const b = await startTestBroker(t, { database });
      const url = await b.createQueue('notifications');
      await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'retry me' }));
      const [first] = await receiveCount(b.sqs, { QueueUrl: url, VisibilityTimeout: 1, MessageSystemAttributeNames: ['All'] }, 1);
      assert.equal(first!.Attributes?.ApproximateReceiveCount, '1');
      // A long poll wakes when the visibility timeout ends: no sleeping here.
      const [second] = await receiveCount(b.sqs, { QueueUrl: url, WaitTimeSeconds: 5, MessageSystemAttributeNames: ['All'] }, 1);
      assert.equal(second!.MessageId, first!.MessageId);
      assert.equal(second!.Attributes?.ApproximateReceiveCount, '2');
      assert.equal(second!.Attributes?.ApproximateFirstReceiveTimestamp, first!.Attributes?.ApproximateFirstReceiveTimestamp);
      assert.notEqual(second!.ReceiptHandle, first!.ReceiptHandle);
    });

    test('a long poll returns as soon as a message is sent, well before its wait time', async (t) => {
      const b = await startTestBroker(t, { database });
      const url = await b.createQueue('transaction-events');
      const started = Date.now();
      const waiting = b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
      const { Messages = [] } = await waiting;
      assert.equal(Messages[0]?.Body, 'wake up');
      assert.ok(Date.now() - started < 20_000, 'the receive returned before its 20 s wait time');
    });

    test('a message received more than maxReceiveCount times moves to the dead-letter queue', async (t) => {
      const b = await startTestBroker(t, { database });
      const dlq = await b.createQueue('payment-dlq');
      const url = await b.createQueue('payment-processing', {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: b.arnOf('payment-dlq'), maxReceiveCount: 2 }),
      });
      const sent = await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
      for (let receive = 1; receive <= 2; receive++) {
        const [message] = await receiveCount(b.sqs, { QueueUrl: url, VisibilityTimeout: 0 }, 1);
        assert.equal(message!.MessageId, sent.MessageId);
      }
      const third = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
      assert.equal(third.Messages, undefined, 'the third receive finds the message gone to the DLQ');

      const [dead] = await receiveCount(b.sqs, { QueueUrl: dlq, MessageSystemAttributeNames: ['All'] }, 1);
      assert.equal(dead!.MessageId, sent.MessageId);
      assert.equal(dead!.Body, 'poison');
      assert.equal(dead!.Attributes?.DeadLetterQueueSourceArn, b.arnOf('payment-processing'));
      assert.equal(dead!.Attributes?.ApproximateReceiveCount, '1');
    });

    test('a message move task redrives a dead-letter queue back to the source queue', async (t) => {
      const b = await startTestBroker(t, { database });
      const dlq = await b.createQueue('audit-logs-dlq');
      const url = await b.createQueue('audit-logs', {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: b.arnOf('audit-logs-dlq'), maxReceiveCount: 1 }),
      });
      await b.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: url, Entries: ['a', 'b', 'c'].map((body) => ({ Id: body, MessageBody: body })) }),
      );
      await receiveCount(b.sqs, { QueueUrl: url, VisibilityTimeout: 0 }, 3);
      assert.equal((await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages, undefined);
      assert.equal((await b.counts(dlq)).visible, 3);

      const { TaskHandle } = await b.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: b.arnOf('audit-logs-dlq') }));
      assert.ok(TaskHandle);
      const back = await receiveCount(b.sqs, { QueueUrl: url }, 3);
      assert.deepEqual(back.map((m) => m.Body).sort(), ['a', 'b', 'c']);
      const { Results = [] } = await b.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: b.arnOf('audit-logs-dlq') }));
      assert.equal(Results[0]!.Status, 'COMPLETED');
      assert.equal(Results[0]!.ApproximateNumberOfMessagesMoved, 3);
      assert.equal(Results[0]!.ApproximateNumberOfMessagesToMove, 3);
    });

    test('a FIFO queue hands out a group in order and holds the group while one of its messages is in flight', async (t) => {
      const b = await startTestBroker(t, { database });
      const url = await b.createQueue('ledger.fifo', { FifoQueue: 'true' });
      const send = (group: string, body: string) =>
        b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: body }));
      const first = await send('wallet-a', 'a1');
      await send('wallet-a', 'a2');
      await send('wallet-b', 'b1');
      const third = await send('wallet-a', 'a3');
      assert.ok(BigInt(third.SequenceNumber!) > BigInt(first.SequenceNumber!));

      const { Messages: batch = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 2, VisibilityTimeout: 30 }));
      assert.deepEqual(batch.map((m) => m.Body), ['a1', 'a2'], 'a group comes out in order, together');
      const { Messages: other = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }));
      assert.deepEqual(other.map((m) => m.Body), ['b1'], 'wallet-a is blocked while a1 and a2 are in flight');

      await b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: batch[0]!.ReceiptHandle }));
      const stillBlocked = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      assert.equal(stillBlocked.Messages, undefined, 'a2 is still in flight');
      await b.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a2', ReceiptHandle: batch[1]!.ReceiptHandle }] }));
      const [next] = await receiveCount(b.sqs, { QueueUrl: url }, 1);
      assert.equal(next!.Body, 'a3');
    });

    test('a FIFO message whose visibility runs out is handed out again before the messages behind it', async (t) => {
      const b = await startTestBroker(t, { database });
      const url = await b.createQueue('ordered.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
      for (const body of ['first', 'second']) await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: 'g' }));
      const [first] = await receiveCount(b.sqs, { QueueUrl: url, MaxNumberOfMessages: 1, VisibilityTimeout: 1 }, 1);
      assert.equal(first!.Body, 'first');
      const [again] = await receiveCount(b.sqs, { QueueUrl: url, MaxNumberOfMessages: 1, WaitTimeSeconds: 5 }, 1);
      assert.equal(again!.Body, 'first');
      await b.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: again!.ReceiptHandle, VisibilityTimeout: 0 }));
      const [third] = await receiveCount(b.sqs, { QueueUrl: url, MaxNumberOfMessages: 10 }, 1);
      assert.equal(third!.Body, 'first');
    });

    test('a FIFO queue drops a repeated deduplication id within five minutes and returns the first message id', async (t) => {
      const b = await startTestBroker(t, { database });
      const url = await b.createQueue('payments.fifo', { FifoQueue: 'true' });
      const input = { QueueUrl: url, MessageBody: 'pay', MessageGroupId: 'p-1', MessageDeduplicationId: 'payment-1' };
      const first = await b.sqs.send(new SendMessageCommand(input));
      const repeat = await b.sqs.send(new SendMessageCommand({ ...input, MessageBody: 'pay again' }));
      assert.equal(repeat.MessageId, first.MessageId);
      assert.equal(repeat.SequenceNumber, first.SequenceNumber);
      assert.deepEqual(await b.counts(url), { visible: 1, inFlight: 0, delayed: 0 });

      b.advanceClock(5 * 60 * 1000 + 1000);
      const later = await b.sqs.send(new SendMessageCommand(input));
      assert.notEqual(later.MessageId, first.MessageId, 'after the window the same id is a new message');
    });
  });
}
