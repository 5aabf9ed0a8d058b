import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from 'sqs-query-protocol-client';
import { ACCOUNT, CREDENTIALS, REGION, sdkError, startTestBroker } from './support.ts';

/** The same calls through the query protocol (form-encoded requests, XML responses) of an older SDK. */
async function queryClient(t: TestContext) {
  const b = await startTestBroker(t);
  const sqs = new SQSClient({ region: REGION, endpoint: b.endpoint, credentials: CREDENTIALS });
  t.after(() => sqs.destroy());
  return { b, sqs };
}

describe('SQS query protocol', () => {
  test('queues are created, found, listed and configured', async (t) => {
    const { b, sqs } = await queryClient(t);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'payment-processing', Attributes: { VisibilityTimeout: '45' }, tags: { team: 'payments' } }));
    assert.equal(QueueUrl, `${b.endpoint}/${ACCOUNT}/payment-processing`);
    assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: 'payment-processing' }))).QueueUrl, QueueUrl);
    await sqs.send(new CreateQueueCommand({ QueueName: 'payment-dlq' }));
    assert.deepEqual((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'payment' }))).QueueUrls?.length, 2);
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: b.arnOf('payment-dlq'), maxReceiveCount: 3 }) },
      }),
    );
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    assert.equal(Attributes.VisibilityTimeout, '45');
    assert.equal(Attributes.QueueArn, b.arnOf('payment-processing'));
    assert.equal(JSON.parse(Attributes.RedrivePolicy!).maxReceiveCount, 3);
    assert.deepEqual((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags, { team: 'payments' });
  });

  test('messages with attributes are sent, received with their MD5s, and deleted', async (t) => {
    const { sqs } = await queryClient(t);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'notifications' }));
    const body = '{"event_type":"payment_initiated","note":"a & b <c>\r\nline"}';
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: body,
        MessageAttributes: {
          event_type: { DataType: 'String', StringValue: 'payment_initiated' },
          amount_minor: { DataType: 'Number', StringValue: '1025' },
          blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
        MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-abc' } },
      }),
    );
    assert.match(sent.MD5OfMessageAttributes!, /^[0-9a-f]{32}$/);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], AttributeNames: ['All'], WaitTimeSeconds: 1 }),
    );
    const [m] = Messages;
    assert.equal(m!.Body, body, 'the body survives XML, carriage return included');
    assert.equal(m!.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
    assert.equal(m!.MessageAttributes?.event_type?.StringValue, 'payment_initiated');
    assert.deepEqual([...m!.MessageAttributes!.blob!.BinaryValue!], [1, 2, 3]);
    assert.equal(m!.Attributes?.ApproximateReceiveCount, '1');
    assert.equal(m!.Attributes?.AWSTraceHeader, 'Root=1-abc');
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: m!.ReceiptHandle, VisibilityTimeout: 10 }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m!.ReceiptHandle }));
  });

  test('batches report each entry', async (t) => {
    const { sqs } = await queryClient(t);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'audit-logs' }));
    const sent = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'a', MessageBody: 'one' }, { Id: 'b', MessageBody: 'two', DelaySeconds: 1000 }] }),
    );
    assert.deepEqual(sent.Successful?.map((s) => s.Id), ['a']);
    assert.deepEqual(sent.Failed?.map((f) => [f.Id, f.Code, f.SenderFault]), [['b', 'InvalidParameterValue', true]]);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'ok', ReceiptHandle: Messages[0]!.ReceiptHandle }, { Id: 'bad', ReceiptHandle: 'x' }] }),
    );
    assert.deepEqual(deleted.Successful?.map((s) => s.Id), ['ok']);
    assert.deepEqual(deleted.Failed?.map((f) => f.Code), ['ReceiptHandleIsInvalid']);
  });

  test('FIFO queues work the same way', async (t) => {
    const { sqs } = await queryClient(t);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'ledger.fifo', Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } }));
    for (const body of ['1', '2', '3']) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: 'w' }));
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, AttributeNames: ['All'] }));
    assert.deepEqual(Messages.map((m) => m.Body), ['1', '2', '3']);
    assert.match(Messages[0]!.Attributes!.SequenceNumber!, /^\d{20}$/);
  });

  test('errors come back as <ErrorResponse> with SQS codes', async (t) => {
    const { b, sqs } = await queryClient(t);
    await assert.rejects(sqs.send(new GetQueueUrlCommand({ QueueName: 'missing' })), sdkError('QueueDoesNotExist'));
    await assert.rejects(sqs.send(new CreateQueueCommand({ QueueName: 'bad name' })), sdkError('InvalidParameterValue'));

    const unknown = await fetch(`${b.endpoint}/?Action=FlyToTheMoon&Version=2012-11-05`);
    assert.equal(unknown.status, 400);
    const xml = await unknown.text();
    assert.match(xml, /<ErrorResponse xmlns="http:\/\/queue\.amazonaws\.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code>/);
  });

  test('a GET with the query string, or a POST to the queue URL, works as the AWS CLI sends them', async (t) => {
    const { b, sqs } = await queryClient(t);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'transaction-events' }));
    const viaGet = await fetch(`${b.endpoint}/?Action=SendMessage&Version=2012-11-05&QueueUrl=${encodeURIComponent(QueueUrl!)}&MessageBody=hello`);
    assert.equal(viaGet.status, 200);
    assert.match(await viaGet.text(), /<SendMessageResponse xmlns="[^"]+"><SendMessageResult><MessageId>[0-9a-f-]{36}<\/MessageId><MD5OfMessageBody>5d41402abc4b2a76b9719d911017c592<\/MD5OfMessageBody>/);
    const viaPath = await fetch(QueueUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ReceiveMessage&Version=2012-11-05&MaxNumberOfMessages=5',
    });
    assert.match(await viaPath.text(), /<Message><MessageId>[^<]+<\/MessageId><ReceiptHandle>[^<]+<\/ReceiptHandle><MD5OfBody>5d41402abc4b2a76b9719d911017c592<\/MD5OfBody><Body>hello<\/Body><\/Message>/);
  });
});
