import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import {
  CancelMessageMoveTaskCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import {
  DeleteMessageBatchCommand as QueryDeleteMessageBatchCommand,
  GetQueueAttributesCommand as QueryGetQueueAttributesCommand,
  ReceiveMessageCommand as QueryReceiveMessageCommand,
  SendMessageBatchCommand as QuerySendMessageBatchCommand,
  SendMessageCommand as QuerySendMessageCommand,
  SQSClient as QuerySQSClient,
} from 'sqs-query-protocol-client';
import { ACCOUNT, CREDENTIALS, REGION, receiveCount, sdkError, startTestBroker, type TestBroker } from './support.ts';

/**
 * SQS behaviours where the broker once differed from AWS (issue 18). Each test names the AWS
 * behaviour it pins and the AWS page that documents the action; where AWS's answer is only known
 * from a recording against SQS (exact codes and wording), the test says so.
 */

const MIB = 1_048_576;
const TRACE = 'Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1';

/** The same broker through the query protocol (form-encoded requests, XML answers) of an older SDK. */
function queryClient(t: TestContext, b: TestBroker): QuerySQSClient {
  const sqs = new QuerySQSClient({ region: REGION, endpoint: b.endpoint, credentials: CREDENTIALS });
  t.after(() => sqs.destroy());
  return sqs;
}

/** A JSON-protocol client whose requests carry an X-Amzn-Trace-Id header, as the X-Ray SDK adds it. */
function tracedClient(t: TestContext, b: TestBroker, traceHeader: string): SQSClient {
  const sqs = new SQSClient({ region: REGION, endpoint: b.endpoint, credentials: CREDENTIALS });
  sqs.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-amzn-trace-id'] = traceHeader;
      return next(args);
    },
    { step: 'build', name: 'xrayTraceHeader' },
  );
  t.after(() => sqs.destroy());
  return sqs;
}

/** MD5OfMessageSystemAttributes as the AWS SDKs check it: the message-attribute digest over AWSTraceHeader. */
function md5OfTraceHeader(value: string): string {
  const prefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return [length, bytes];
  };
  const hash = createHash('md5');
  for (const part of [...prefixed(Buffer.from('AWSTraceHeader')), ...prefixed(Buffer.from('String')), Buffer.from([1]), ...prefixed(Buffer.from(value, 'utf8'))]) {
    hash.update(part);
  }
  return hash.digest('hex');
}

describe('SQS as AWS answers it', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
  // (MessageGroupId "required for FIFO queues"; MessageDeduplicationId required without content-based
  // deduplication). That the whole request fails with InvalidParameterValue is recorded against SQS.
  test('SendMessageBatch to a FIFO queue: an entry without MessageGroupId, or without MessageDeduplicationId and no content-based deduplication, fails the whole request', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('ledger.fifo', { FifoQueue: 'true' });
    const batch = (second: Record<string, string>) =>
      b.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [{ Id: 'ok', MessageBody: 'first', MessageGroupId: 'w', MessageDeduplicationId: 'd1' }, { Id: 'bad', MessageBody: 'second', ...second }],
        }),
      );
    await assert.rejects(
      batch({ MessageDeduplicationId: 'd2' }),
      sdkError('InvalidParameterValue', 'InvalidParameterValue', 'The request must contain the parameter MessageGroupId.'),
    );
    await assert.rejects(
      batch({ MessageGroupId: 'w' }),
      sdkError('InvalidParameterValue', 'InvalidParameterValue', 'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly'),
    );
    assert.deepEqual(await b.counts(url), { visible: 0, inFlight: 0, delayed: 0 }, 'not even the valid entry was sent');

    const content = await b.createQueue('content.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    const sent = await b.sqs.send(new SendMessageBatchCommand({ QueueUrl: content, Entries: [{ Id: 'a', MessageBody: 'x', MessageGroupId: 'w' }] }));
    assert.deepEqual(sent.Successful?.map((s) => s.Id), ['a'], 'content-based deduplication needs no deduplication id');
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html and
  // API_SetQueueAttributes.html: FifoQueue, ContentBasedDeduplication, DeduplicationScope and
  // FifoThroughputLimit "apply only to FIFO queues"; "you can't change the queue type". The codes and
  // wording (FifoQueue=false on a standard queue is InvalidAttributeName too) are recorded against SQS.
  test('FIFO attributes on a standard queue are refused, even FifoQueue=false; a .fifo name needs FifoQueue=true; the queue type cannot change', async (t) => {
    const b = await startTestBroker(t);
    await assert.rejects(b.createQueue('plain', { FifoQueue: 'false' }), sdkError('InvalidAttributeName', 'InvalidAttributeName', 'Unknown Attribute FifoQueue.'));
    await assert.rejects(
      b.createQueue('plain', { ContentBasedDeduplication: 'false' }),
      sdkError('InvalidAttributeName', 'InvalidAttributeName', 'Unknown Attribute ContentBasedDeduplication.'),
    );
    await assert.rejects(
      b.createQueue('plain', { DeduplicationScope: 'queue' }),
      sdkError('InvalidAttributeName', 'InvalidAttributeName', 'You can specify the DeduplicationScope only when FifoQueue is set to true.'),
    );
    await assert.rejects(
      b.createQueue('plain', { FifoThroughputLimit: 'perQueue' }),
      sdkError('InvalidAttributeName', 'InvalidAttributeName', 'You can specify the FifoThroughputLimit only when FifoQueue is set to true.'),
    );
    await assert.rejects(b.createQueue('ledger.fifo'), sdkError('InvalidParameterValue'), 'a .fifo name without FifoQueue=true');
    await assert.rejects(b.createQueue('ledger.fifo', { FifoQueue: 'false' }), sdkError('InvalidParameterValue'), 'a .fifo name with FifoQueue=false');
    await assert.rejects(b.createQueue('ledger', { FifoQueue: 'true' }), sdkError('InvalidParameterValue'), 'FifoQueue=true without the .fifo suffix');

    const plain = await b.createQueue('plain');
    const set = (QueueUrl: string, FifoQueue: string) => b.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { FifoQueue } }));
    await assert.rejects(set(plain, 'true'), sdkError('InvalidAttributeName', undefined, 'Unknown Attribute FifoQueue.'));
    await assert.rejects(set(plain, 'false'), sdkError('InvalidAttributeName', undefined, 'Unknown Attribute FifoQueue.'));
    const fifo = await b.createQueue('ledger.fifo', { FifoQueue: 'true' });
    await set(fifo, 'true');
    await assert.rejects(
      set(fifo, 'false'),
      sdkError('InvalidAttributeValue', 'InvalidAttributeValue', 'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.'),
    );
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
  // (MaximumMessageSize: 1,024 bytes to 1,048,576 bytes (1 MiB), default 1,048,576, since August 2025) and
  // API_SendMessage.html ("The maximum size is 1 MiB or 1,048,576 bytes", attributes included).
  test('the message size limit is 1 MiB: MaximumMessageSize defaults to and may be at most 1048576, and a 1 MiB message is accepted', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('big');
    const { Attributes = {} } = await b.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['MaximumMessageSize'] }));
    assert.equal(Attributes.MaximumMessageSize, String(MIB));
    await b.createQueue('largest', { MaximumMessageSize: String(MIB) });
    await assert.rejects(b.createQueue('too-large', { MaximumMessageSize: String(MIB + 1) }), sdkError('InvalidAttributeValue'));

    const attributes = { k: { DataType: 'String', StringValue: 'x' } };
    const sent = await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a'.repeat(MIB - 8), MessageAttributes: attributes }));
    assert.ok(sent.MessageId, 'body and attributes of exactly 1 MiB');
    await assert.rejects(
      b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a'.repeat(MIB - 7), MessageAttributes: attributes })),
      sdkError('InvalidParameterValue', 'InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${MIB} bytes.`),
    );
    const [received] = await receiveCount(b.sqs, { QueueUrl: url }, 1);
    assert.equal(received!.Body!.length, MIB - 8);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
  // ("The maximum allowed individual message size and the maximum total payload size (the sum of the
  // individual lengths of all of the batched messages) are both 1 MiB"; BatchRequestTooLong). Wording recorded.
  test('a SendMessageBatch whose bodies and attributes total more than 1 MiB is BatchRequestTooLong, whatever the queue\'s MaximumMessageSize', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('batched');
    const attributes = { k: { DataType: 'String', StringValue: 'x' } };
    await assert.rejects(
      b.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [{ Id: '1', MessageBody: 'a'.repeat(MIB - 8), MessageAttributes: attributes }, { Id: '2', MessageBody: 'a' }],
        }),
      ),
      sdkError('BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong', `Batch requests cannot be longer than ${MIB} bytes. You have sent ${MIB + 1} bytes.`),
    );
    // Ten entries of 1 MiB each are read and answered, not cut off by the HTTP body limit.
    await assert.rejects(
      b.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'b'.repeat(MIB) })) })),
      sdkError('BatchRequestTooLong', undefined, `Batch requests cannot be longer than ${MIB} bytes. You have sent ${10 * MIB} bytes.`),
    );
    assert.deepEqual(await b.counts(url), { visible: 0, inFlight: 0, delayed: 0 });

    await b.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MaximumMessageSize: '2048' } }));
    const sent = await b.sqs.send(
      new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: '1', MessageBody: 'a'.repeat(2040), MessageAttributes: attributes }, { Id: '2', MessageBody: 'a' }] }),
    );
    assert.deepEqual(sent.Successful?.map((s) => s.Id), ['1', '2']);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests.html
  // (a GET names the queue URL as its endpoint and the action in the query string). That CreateQueue and
  // ListQueues there are InvalidAction, and that a GET with no Action is a 404 <UnknownOperationException/>
  // even when JSON is accepted, is recorded against SQS.
  test('query protocol: CreateQueue or ListQueues sent to a queue URL is InvalidAction; a GET without a query is UnknownOperationException', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('endpoint');
    for (const action of ['CreateQueue', 'ListQueues']) {
      const response = await fetch(`${url}?Action=${action}&QueueName=other&Version=2012-11-05`);
      assert.equal(response.status, 400);
      const xml = await response.text();
      assert.match(xml, /<Code>InvalidAction<\/Code>/);
      assert.match(xml, new RegExp(`<Message>The action ${action} is not valid for this endpoint\\.</Message>`));
    }
    const listed = await fetch(`${b.endpoint}/?Action=ListQueues&Version=2012-11-05`);
    assert.equal(listed.status, 200, 'the service endpoint still lists queues');

    for (const headers of [{}, { accept: 'application/json' }]) {
      const bare = await fetch(url, { headers });
      assert.equal(bare.status, 404);
      assert.match(await bare.text(), /<UnknownOperationException\/>/);
    }
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests.html;
  // the JSON rendering of a GET with Accept: application/json (Attributes as Name/Value entries, ReceiveMessage's
  // `messages`, errors as {"Error": {"Code", "Message"}}) is recorded against SQS.
  test('query protocol: a GET with Accept: application/json is answered in JSON, errors included', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('json-answers');
    const get = (query: string) => fetch(`${url}?${query}&Version=2012-11-05`, { headers: { accept: 'application/json' } });

    const attributes = await get('Action=GetQueueAttributes&AttributeName.1=All');
    assert.equal(attributes.status, 200);
    assert.match(attributes.headers.get('content-type') ?? '', /application\/json/);
    const doc = (await attributes.json()) as any;
    const entries = doc.GetQueueAttributesResponse.GetQueueAttributesResult.Attributes as Array<{ Name: string; Value: string }>;
    assert.equal(entries.find((e) => e.Name === 'QueueArn')?.Value, b.arnOf('json-answers'));
    assert.match(doc.GetQueueAttributesResponse.ResponseMetadata.RequestId, /^[0-9a-f-]{36}$/);

    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"foo": "ba\rr"}' }));
    const received = (await (await get('Action=ReceiveMessage&VisibilityTimeout=0')).json()) as any;
    assert.equal(received.ReceiveMessageResponse.ReceiveMessageResult.messages[0].Body, '{"foo": "ba\rr"}');

    const refused = await get('Action=ListQueues');
    assert.equal(refused.status, 400);
    const error = (await refused.json()) as any;
    assert.equal(error.Error.Code, 'InvalidAction');
    assert.equal(error.Error.Message, 'The action ListQueues is not valid for this endpoint.');
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
  // (EmptyBatchRequest: "The batch request doesn't contain any entries") and API_ReceiveMessage.html
  // (MessageAttributeNames / AttributeNames are optional lists). The SDKs send an empty list as `Name=`.
  test('query protocol: an empty batch is EmptyBatchRequest, and empty MessageAttributeNames or AttributeNames lists are accepted', async (t) => {
    const b = await startTestBroker(t);
    const sqs = queryClient(t, b);
    const url = await b.createQueue('query-lists');
    await assert.rejects(
      sqs.send(new QuerySendMessageBatchCommand({ QueueUrl: url, Entries: [] })),
      sdkError('EmptyBatchRequest'),
    );
    await assert.rejects(sqs.send(new QueryDeleteMessageBatchCommand({ QueueUrl: url, Entries: [] })), sdkError('EmptyBatchRequest'));

    await sqs.send(new QuerySendMessageCommand({ QueueUrl: url, MessageBody: 'msg', MessageAttributes: { Foo: { DataType: 'String', StringValue: 'Bar' } } }));
    const { Messages = [] } = await sqs.send(
      new QueryReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: [], AttributeNames: [], VisibilityTimeout: 0, WaitTimeSeconds: 1 }),
    );
    assert.equal(Messages[0]?.Body, 'msg');
    assert.equal(Messages[0]?.MessageAttributes, undefined, 'an empty list selects no attribute');
    assert.equal(Messages[0]?.Attributes, undefined);
    const attributes = await sqs.send(new QueryGetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [] }));
    assert.equal(attributes.Attributes, undefined);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html (QueueUrl).
  // That a bare queue name is resolved in the caller's account and Region is recorded against SQS.
  test('a bare queue name where a QueueUrl is expected names the queue of the caller\'s account and Region', async (t) => {
    const b = await startTestBroker(t);
    await b.createQueue('by-name');
    const sent = await b.sqs.send(new SendMessageCommand({ QueueUrl: 'by-name', MessageBody: 'Using name instead of URL' }));
    assert.equal(sent.MD5OfMessageBody, '86a83f96652a1bfad3891e7d523750cb');
    const [m] = await receiveCount(b.sqs, { QueueUrl: 'by-name' }, 1);
    assert.equal(m!.Body, 'Using name instead of URL');
    const { Attributes = {} } = await b.sqs.send(new GetQueueAttributesCommand({ QueueUrl: 'by-name', AttributeNames: ['QueueArn'] }));
    assert.equal(Attributes.QueueArn, b.arnOf('by-name'));
    await assert.rejects(b.sqs.send(new SendMessageCommand({ QueueUrl: 'no-such-queue', MessageBody: 'x' })), sdkError('QueueDoesNotExist'));
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
  // ("Message attribute components": the name can contain alphanumeric characters, _, - and .). Alphanumeric
  // means letters and digits of any script: `attr.1øßä` is accepted and `§`, `!`, `?` refused (recorded).
  test('message attribute names may contain non-ASCII letters such as attr.1øßä; punctuation other than _ - . is still refused', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('unicode-names');
    const attributes = { 'attr.1øßä': { DataType: 'String', StringValue: 'Valida' } };
    const sent = await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'test', MessageAttributes: attributes }));
    const [m] = await receiveCount(b.sqs, { QueueUrl: url, MessageAttributeNames: ['All'] }, 1);
    assert.deepEqual(m!.MessageAttributes, attributes);
    assert.equal(m!.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
    for (const name of ['Invalid-!-attr', 'Invalid-"-attr', 'Invalid-§-attr', 'Invalid-(-attr', 'Invalid-?-attr', 'aWs.x', '.x']) {
      await assert.rejects(
        b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { [name]: { DataType: 'String', StringValue: 'Valid' } } })),
        sdkError('InvalidParameterValue'),
        name,
      );
    }
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CancelMessageMoveTask.html and
  // API_StartMessageMoveTask.html ("Only one active message movement task is supported per queue"). The codes
  // (InvalidParameterValue 400 for a malformed handle and a second task, ResourceNotFoundException 404 for an
  // unknown source or task) are recorded against SQS.
  test('move tasks: a malformed task handle is InvalidParameterValue (400), a second task on the same source is InvalidParameterValue, unknown sources and tasks are ResourceNotFoundException', async (t) => {
    const b = await startTestBroker(t);
    const status = (code: number) => (err: any) => err?.$metadata?.httpStatusCode === code;
    await assert.rejects(b.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'foobared' })), sdkError('InvalidParameterValue', 'InvalidParameterValue', 'Value for parameter TaskHandle is invalid.'));
    await assert.rejects(b.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'foobared' })), status(400));

    const handle = (taskId: string, sourceArn: string) => Buffer.from(JSON.stringify({ taskId, sourceArn })).toString('base64');
    const missingSource = handle('10f57157-fc38-4da9-a113-4de7e12d05dd', `arn:aws:sqs:${REGION}:${ACCOUNT}:test-queue-doesnt-exist`);
    await assert.rejects(
      b.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: missingSource })),
      sdkError('ResourceNotFoundException', undefined, 'The resource that you specified for the SourceArn parameter doesn\'t exist.'),
    );
    await assert.rejects(b.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: missingSource })), status(404));

    const dlq = await b.createQueue('payment-dlq');
    await b.createQueue('payment-processing', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: b.arnOf('payment-dlq'), maxReceiveCount: 1 }) });
    await b.createQueue('payment-retry');
    await assert.rejects(
      b.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: handle('10f57157-fc38-4da9-a113-4de7e12d05aa', b.arnOf('payment-dlq')) })),
      sdkError('ResourceNotFoundException', undefined, 'Task does not exist.'),
    );

    for (let i = 0; i < 5; i++) await b.sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: `dead ${i}` }));
    const { TaskHandle } = await b.sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: b.arnOf('payment-dlq'), DestinationArn: b.arnOf('payment-retry'), MaxNumberOfMessagesPerSecond: 1 }),
    );
    await assert.rejects(
      b.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: b.arnOf('payment-dlq'), DestinationArn: b.arnOf('payment-retry') })),
      sdkError('InvalidParameterValue', 'InvalidParameterValue', 'There is already a task running. Only one active task is allowed for a source queue arn at a given time.'),
    );
    await b.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
  // (QueueDoesNotExist: "Ensure that the QueueUrl is correct and that the queue has not been deleted").
  // The query protocol's wording "...does not exist for this wsdl version." is recorded against SQS.
  test('a deleted queue read, written or described is AWS.SimpleQueueService.NonExistentQueue (QueueDoesNotExist), worded per protocol', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('deleted');
    await b.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    const gone = sdkError('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    await assert.rejects(b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url })), gone);
    await assert.rejects(b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })), gone);
    await assert.rejects(b.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url })), gone);
    await assert.rejects(b.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url })), (err: any) => err.$metadata.httpStatusCode === 400);

    const query = queryClient(t, b);
    await assert.rejects(
      query.send(new QueryGetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })),
      (err: any) => err.Code === 'AWS.SimpleQueueService.NonExistentQueue' && err.message === 'The specified queue does not exist for this wsdl version.',
    );
    const viaGet = await fetch(`${url}?Action=GetQueueAttributes&AttributeName.1=QueueArn&Version=2012-11-05`);
    assert.equal(viaGet.status, 400);
    const xml = await viaGet.text();
    assert.match(xml, /<Code>AWS\.SimpleQueueService\.NonExistentQueue<\/Code>/);
    assert.match(xml, /<Message>The specified queue does not exist for this wsdl version\.<\/Message>/);
  });

  // https://docs.aws.amazon.com/xray/latest/devguide/xray-services-sqs.html (the X-Amzn-Trace-Id header applies to
  // every message of a SendMessage or SendMessageBatch; the AWSTraceHeader system attribute overrides it) and
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html (AWSTraceHeader
  // is returned when asked for by name or with All). Receiving it after a header-traced send is recorded against SQS.
  test('AWSTraceHeader: set from the X-Amzn-Trace-Id header or the system attribute (which wins), returned when asked for, with the MD5 the SDKs check', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('traced');
    const traced = tracedClient(t, b, TRACE);

    const fromHeader = await traced.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'test', MessageAttributes: { timestamp: { DataType: 'Number', StringValue: '1493147359900' } } }),
    );
    assert.equal(fromHeader.MD5OfMessageSystemAttributes, undefined, 'no digest of system attributes the request did not send');
    const [m] = await receiveCount(b.sqs, { QueueUrl: url, AttributeNames: ['SentTimestamp', 'AWSTraceHeader'] as never, MessageAttributeNames: ['All'] }, 1);
    assert.equal(m!.Attributes?.AWSTraceHeader, TRACE);
    assert.match(m!.Attributes?.SentTimestamp ?? '', /^\d{13}$/);
    assert.equal(m!.MD5OfMessageAttributes, '235c5c510d26fb653d073faed50ae77c');

    const own = 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1';
    const batch = await traced.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'header', MessageBody: 'from the header' },
          { Id: 'own', MessageBody: 'its own', MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: own } } },
        ],
      }),
    );
    assert.equal(batch.Successful?.find((s) => s.Id === 'own')?.MD5OfMessageSystemAttributes, md5OfTraceHeader(own));
    assert.equal(batch.Successful?.find((s) => s.Id === 'header')?.MD5OfMessageSystemAttributes, undefined);
    const received = await receiveCount(b.sqs, { QueueUrl: url, MessageSystemAttributeNames: ['All'] }, 2);
    const traceOf = Object.fromEntries(received.map((r) => [r.Body, r.Attributes?.AWSTraceHeader]));
    assert.deepEqual(traceOf, { 'from the header': TRACE, 'its own': own });

    const plain = await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'sent', MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: own } } }));
    assert.equal(plain.MD5OfMessageSystemAttributes, md5OfTraceHeader(own));
    const [direct] = await receiveCount(b.sqs, { QueueUrl: url, MessageSystemAttributeNames: ['AWSTraceHeader'] }, 1);
    assert.deepEqual(direct!.Attributes, { AWSTraceHeader: own }, 'only the attribute asked for');

    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'untraced' }));
    const [untraced] = await receiveCount(b.sqs, { QueueUrl: url, MessageSystemAttributeNames: ['All'] }, 1);
    assert.equal(untraced!.Attributes?.AWSTraceHeader, undefined, 'no trace header, no AWSTraceHeader');
  });
});
