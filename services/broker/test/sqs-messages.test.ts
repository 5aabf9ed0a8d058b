import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { receiveCount, sdkError, startTestBroker, type TestBroker } from './support.ts';

/** SQS's maximum message size since August 2025 (SendMessage API reference: "1 MiB or 1,048,576 bytes"). */
const MIB_1 = 1_048_576;

async function sendAndReceive(b: TestBroker, url: string, attributes: Record<string, MessageAttributeValue>, names: string[] = ['All']) {
  const sent = await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'body', MessageAttributes: attributes }));
  const [received] = await receiveCount(b.sqs, { QueueUrl: url, MessageAttributeNames: names }, 1);
  await b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: received!.ReceiptHandle }));
  return { sent, received: received! };
}

describe('SQS messages', () => {
  test('MD5OfMessageAttributes matches the values AWS documents for its samples', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('md5');
    // Reference digests from AWS's samples as the AWS SDKs' checksum tests use them.
    const samples: Array<[Record<string, MessageAttributeValue>, string]> = [
      [
        {
          test_attribute_name_2: { DataType: 'String', StringValue: 'test_attribute_value_2' },
          test_attribute_name_1: { DataType: 'String', StringValue: 'test_attribute_value_1' },
        },
        'd53f3b558fe951154770f25cb63dbba9',
      ],
      [{ test_attribute_name: { DataType: 'Binary', BinaryValue: Buffer.from('test_attribute_value') } }, '23f6bd27ea87aab7dfeadcc9aebee495'],
      [{ timestamp: { DataType: 'Number', StringValue: '1493147359900' } }, '235c5c510d26fb653d073faed50ae77c'],
    ];
    for (const [attributes, expected] of samples) {
      const { sent, received } = await sendAndReceive(b, url, attributes);
      assert.equal(sent.MD5OfMessageAttributes, expected);
      assert.equal(received.MD5OfMessageAttributes, expected);
      // The SDK already checked MD5OfMessageBody and MD5OfBody (its default); the body digest is plain MD5.
      assert.equal(sent.MD5OfMessageBody, createHash('md5').update('body').digest('hex'));
    }
  });

  test('String, Number and Binary attributes, custom types included, come back as sent', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('typed');
    const attributes: Record<string, MessageAttributeValue> = {
      event_type: { DataType: 'String', StringValue: 'payment_initiated' },
      priority: { DataType: 'String.priority', StringValue: 'high' },
      amount_minor: { DataType: 'Number.int', StringValue: '1025' },
      rate: { DataType: 'Number', StringValue: '-1.5e3' },
      signature: { DataType: 'Binary.sig', BinaryValue: new Uint8Array([0, 1, 2, 255]) },
    };
    const { received } = await sendAndReceive(b, url, attributes);
    assert.deepEqual(received.MessageAttributes?.priority, { DataType: 'String.priority', StringValue: 'high' });
    assert.deepEqual(received.MessageAttributes?.amount_minor, { DataType: 'Number.int', StringValue: '1025' });
    assert.deepEqual([...received.MessageAttributes!.signature!.BinaryValue!], [0, 1, 2, 255]);
    assert.equal(received.MessageAttributes?.signature?.DataType, 'Binary.sig');
  });

  test('MessageAttributeNames selects attributes: All, exact names, and prefix.*', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('selected');
    const attributes: Record<string, MessageAttributeValue> = {
      'trace.id': { DataType: 'String', StringValue: '1' },
      'trace.span': { DataType: 'String', StringValue: '2' },
      event_type: { DataType: 'String', StringValue: 'x' },
    };
    const pick = async (names: string[]) => Object.keys((await sendAndReceive(b, url, attributes, names)).received.MessageAttributes ?? {}).sort();
    assert.deepEqual(await pick(['All']), ['event_type', 'trace.id', 'trace.span']);
    assert.deepEqual(await pick(['event_type']), ['event_type']);
    assert.deepEqual(await pick(['trace.*']), ['trace.id', 'trace.span']);
    const none = await sendAndReceive(b, url, attributes, []);
    assert.equal(none.received.MessageAttributes, undefined);
    assert.equal(none.received.MD5OfMessageAttributes, undefined);
  });

  test('invalid message attributes are refused with InvalidParameterValue', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('strict');
    const bad: Array<Record<string, MessageAttributeValue>> = [
      { n: { DataType: 'Number', StringValue: 'twelve' } },
      { s: { DataType: 'Text', StringValue: 'x' } },
      { 'AWS.reserved': { DataType: 'String', StringValue: 'x' } },
      { e: { DataType: 'String', StringValue: '' } },
      { b: { DataType: 'Binary', StringValue: 'x' } },
      Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'x' }])),
    ];
    for (const attributes of bad) {
      await assert.rejects(b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: attributes })), sdkError('InvalidParameterValue'), JSON.stringify(attributes));
    }
  });

  test('system attributes: SenderId, SentTimestamp, AWSTraceHeader with its MD5', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('system');
    const before = Date.now();
    const sent = await b.sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'traced', MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' } } }),
    );
    assert.match(sent.MD5OfMessageSystemAttributes!, /^[0-9a-f]{32}$/);
    const [m] = await receiveCount(b.sqs, { QueueUrl: url, MessageSystemAttributeNames: ['SenderId', 'SentTimestamp', 'AWSTraceHeader'] }, 1);
    assert.equal(m!.Attributes?.SenderId, 'AKIDPAYMESHTEST');
    assert.ok(Number(m!.Attributes?.SentTimestamp) >= before - 1000);
    assert.equal(m!.Attributes?.AWSTraceHeader, 'Root=1-5759e988-bd862e3fe1be46a994272793');
    assert.equal(m!.Attributes?.ApproximateReceiveCount, undefined, 'only the attributes asked for');
    await assert.rejects(
      b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, AttributeNames: ['Bogus' as never] })),
      sdkError('InvalidAttributeName'),
    );
  });

  test('a message body may be 1 MiB; one byte more, alone or with attributes, is refused', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('big');
    const sent = await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(MIB_1) }));
    assert.ok(sent.MessageId);
    const tooLong = sdkError('InvalidParameterValue', 'InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${MIB_1} bytes.`);
    await assert.rejects(b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(MIB_1 + 1) })), tooLong);
    await assert.rejects(
      b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(MIB_1 - 10), MessageAttributes: { abc: { DataType: 'String', StringValue: 'defg' } } })),
      tooLong,
    );
    await assert.rejects(
      b.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'x'.repeat(600_000) }, { Id: 'b', MessageBody: 'y'.repeat(600_000) }] }),
      ),
      sdkError('BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong'),
    );
    const small = await b.createQueue('small', { MaximumMessageSize: '1024' });
    await assert.rejects(b.sqs.send(new SendMessageCommand({ QueueUrl: small, MessageBody: 'x'.repeat(1025) })), sdkError('InvalidParameterValue', undefined, /shorter than 1024 bytes/));
  });

  test('a body with characters SQS does not allow is refused with InvalidMessageContents', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('chars');
    await assert.rejects(b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a\u0000b' })), sdkError('InvalidMessageContents', undefined, /#x0/));
    await assert.rejects(b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '' })), sdkError('MissingParameter', undefined, 'The request must contain the parameter MessageBody.'));
    const ok = await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'tabs\tnew\nlines\r\nand émoji 💸' }));
    assert.ok(ok.MessageId);
    const [m] = await receiveCount(b.sqs, { QueueUrl: url }, 1);
    assert.equal(m!.Body, 'tabs\tnew\nlines\r\nand émoji 💸');
  });

  test('SendMessageBatch reports each entry: valid entries are sent, invalid ones fail alone', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('batch');
    const response = await b.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'ok-1', MessageBody: 'one' },
          { Id: 'bad', MessageBody: 'two', DelaySeconds: 901 },
          { Id: 'ok-2', MessageBody: 'three', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } },
        ],
      }),
    );
    assert.deepEqual(response.Successful?.map((s) => s.Id), ['ok-1', 'ok-2']);
    assert.equal(response.Successful?.[1]?.MD5OfMessageAttributes?.length, 32);
    assert.equal(response.Failed?.length, 1);
    assert.deepEqual({ ...response.Failed![0] }, {
      Id: 'bad',
      SenderFault: true,
      Code: 'InvalidParameterValue',
      Message: 'Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.',
    });
    const received = await receiveCount(b.sqs, { QueueUrl: url }, 2);
    assert.deepEqual(received.map((m) => m.Body).sort(), ['one', 'three']);
  });

  test('batch calls refuse empty, oversized, badly named and repeated entries as a whole', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('batch-errors');
    const send = (Entries: Array<{ Id: string; MessageBody: string }>) => b.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries }));
    await assert.rejects(send([]), sdkError('EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest'));
    await assert.rejects(
      send(Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' }))),
      sdkError('TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 'Maximum number of entries per request are 10. You have sent 11.'),
    );
    await assert.rejects(send([{ Id: 'a', MessageBody: 'x' }, { Id: 'a', MessageBody: 'y' }]), sdkError('BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 'Id a repeated.'));
    await assert.rejects(send([{ Id: 'not valid!', MessageBody: 'x' }]), sdkError('InvalidBatchEntryId', 'AWS.SimpleQueueService.InvalidBatchEntryId'));
    await assert.rejects(b.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [] })), sdkError('EmptyBatchRequest'));
  });

  test('DelaySeconds hides a message until its delay ends; a long poll returns when it does', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('delayed');
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'soon', DelaySeconds: 1 }));
    assert.deepEqual(await b.counts(url), { visible: 0, inFlight: 0, delayed: 1 });
    assert.equal((await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages, undefined);
    const started = Date.now();
    const { Messages = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
    assert.equal(Messages[0]?.Body, 'soon');
    assert.ok(Date.now() - started < 10_000);
    await assert.rejects(b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', DelaySeconds: 901 })), sdkError('InvalidParameterValue'));
  });

  test('a queue with ReceiveMessageWaitTimeSeconds long-polls by default', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('patient', { ReceiveMessageWaitTimeSeconds: '20' });
    const waiting = b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'arrived' }));
    assert.equal((await waiting).Messages?.[0]?.Body, 'arrived');
  });

  test('ReceiveMessage checks MaxNumberOfMessages, WaitTimeSeconds and VisibilityTimeout', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('limits');
    for (let i = 0; i < 12; i++) await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}` }));
    const { Messages = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    assert.equal(Messages.length, 10);
    await assert.rejects(
      b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })),
      sdkError('InvalidParameterValue', undefined, 'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.'),
    );
    await assert.rejects(b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 0 })), sdkError('InvalidParameterValue'));
    await assert.rejects(b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 21 })), sdkError('InvalidParameterValue'));
    await assert.rejects(b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 43_201 })), sdkError('InvalidParameterValue'));
  });

  test('receipt handles: malformed is refused, a stale one on a standard queue deletes nothing, a repeat delete succeeds', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('receipts');
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'held' }));
    const [first] = await receiveCount(b.sqs, { QueueUrl: url, VisibilityTimeout: 0 }, 1);
    const [second] = await receiveCount(b.sqs, { QueueUrl: url, VisibilityTimeout: 30 }, 1);

    await assert.rejects(
      b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' })),
      sdkError('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', 'The input receipt handle "garbage" is not a valid receipt handle.'),
    );
    // As SQS documents: an older handle is accepted but the message, now held by another receive, stays.
    await b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first!.ReceiptHandle }));
    assert.deepEqual(await b.counts(url), { visible: 0, inFlight: 1, delayed: 0 });
    await b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second!.ReceiptHandle }));
    await b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second!.ReceiptHandle }));
    assert.deepEqual(await b.counts(url), { visible: 0, inFlight: 0, delayed: 0 });

    const other = await b.createQueue('other');
    await assert.rejects(b.sqs.send(new DeleteMessageCommand({ QueueUrl: other, ReceiptHandle: second!.ReceiptHandle })), sdkError('ReceiptHandleIsInvalid'));
    const batch = await b.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'x', ReceiptHandle: 'nope' }] }));
    assert.equal(batch.Failed?.[0]?.Code, 'ReceiptHandleIsInvalid');
  });

  test('ChangeMessageVisibility extends or ends a receive, and refuses deleted messages and totals over 12 hours', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('visibility');
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'v' }));
    const [m] = await receiveCount(b.sqs, { QueueUrl: url, VisibilityTimeout: 30 }, 1);
    await b.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m!.ReceiptHandle, VisibilityTimeout: 0 }));
    const [again] = await receiveCount(b.sqs, { QueueUrl: url, VisibilityTimeout: 30 }, 1);
    assert.equal(again!.MessageId, m!.MessageId);
    await assert.rejects(
      b.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: again!.ReceiptHandle, VisibilityTimeout: 43_201 })),
      sdkError('InvalidParameterValue'),
    );

    // As on AWS, an earlier handle of a message still in the queue changes its visibility too (more in
    // sqs-visibility-fifo.test.ts); once the message is deleted no handle of it does.
    await b.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m!.ReceiptHandle, VisibilityTimeout: 0 }));
    const [third] = await receiveCount(b.sqs, { QueueUrl: url, VisibilityTimeout: 30 }, 1);
    assert.equal(third!.MessageId, m!.MessageId);
    await b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: third!.ReceiptHandle }));
    await assert.rejects(
      b.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: third!.ReceiptHandle, VisibilityTimeout: 5 })),
      sdkError('InvalidParameterValue', undefined, /Message does not exist or is not available for visibility timeout change/),
    );

    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'w' }));
    const [held] = await receiveCount(b.sqs, { QueueUrl: url, VisibilityTimeout: 30 }, 1);
    const batch = await b.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'held', ReceiptHandle: held!.ReceiptHandle, VisibilityTimeout: 60 },
          { Id: 'bad', ReceiptHandle: 'nope', VisibilityTimeout: 60 },
        ],
      }),
    );
    assert.deepEqual(batch.Successful?.map((s) => s.Id), ['held']);
    assert.deepEqual(batch.Failed?.map((f) => [f.Id, f.Code]), [['bad', 'ReceiptHandleIsInvalid']]);
  });

  test('messages older than the retention period are deleted', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('short-retention', { MessageRetentionPeriod: '60' });
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'old' }));
    b.advanceClock(61_000);
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'new' }));
    const { Messages = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    assert.deepEqual(Messages.map((m) => m.Body), ['new']);
  });

  test('FIFO sends need a group id, and a deduplication id unless content-based; per-message delays are refused', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('rules.fifo', { FifoQueue: 'true' });
    await assert.rejects(
      b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' })),
      sdkError('MissingParameter', undefined, 'The request must contain the parameter MessageGroupId.'),
    );
    await assert.rejects(
      b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' })),
      sdkError('InvalidParameterValue', undefined, 'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly'),
    );
    await assert.rejects(
      b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 5 })),
      sdkError('InvalidParameterValue'),
    );
    const standard = await b.createQueue('standard');
    await assert.rejects(
      b.sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: 'x', MessageDeduplicationId: 'd' })),
      sdkError('InvalidParameterValue'),
    );
  });

  test('content-based deduplication uses the SHA-256 of the body, and system attributes report group, id and sequence', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('content.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    const first = await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }));
    const second = await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }));
    assert.equal(second.MessageId, first.MessageId);
    const [m] = await receiveCount(b.sqs, { QueueUrl: url, MessageSystemAttributeNames: ['All'] }, 1);
    assert.equal(m!.Attributes?.MessageDeduplicationId, createHash('sha256').update('same').digest('hex'));
    assert.equal(m!.Attributes?.MessageGroupId, 'g');
    assert.equal(m!.Attributes?.SequenceNumber, first.SequenceNumber);
    assert.match(first.SequenceNumber!, /^\d{20}$/);
  });

  test('a FIFO receipt handle whose visibility timeout ran out can no longer delete', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('expiring.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' }));
    const [m] = await receiveCount(b.sqs, { QueueUrl: url, VisibilityTimeout: 1 }, 1);
    await receiveCount(b.sqs, { QueueUrl: url, VisibilityTimeout: 30, WaitTimeSeconds: 5 }, 1);
    await assert.rejects(
      b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m!.ReceiptHandle })),
      sdkError('InvalidParameterValue', undefined, /The receipt handle has expired/),
    );
  });
});
