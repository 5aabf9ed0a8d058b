import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { ACCOUNT, CREDENTIALS, REGION, sdkError, startTestBroker } from './support.ts';

describe('SQS queues', () => {
  test('CreateQueue returns the queue URL; the same name and attributes again return it too; other values fail', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('payment-processing', { VisibilityTimeout: '45' });
    assert.equal(url, `${b.endpoint}/${ACCOUNT}/payment-processing`);
    assert.equal(await b.createQueue('payment-processing', { VisibilityTimeout: '45' }), url);
    assert.equal(await b.createQueue('payment-processing'), url, 'attributes not given are not compared');
    await assert.rejects(
      b.createQueue('payment-processing', { VisibilityTimeout: '60' }),
      sdkError('QueueNameExists', 'QueueAlreadyExists', 'A queue already exists with the same name and a different value for attribute VisibilityTimeout'),
    );
  });

  test('queue names are checked as SQS checks them', async (t) => {
    const b = await startTestBroker(t);
    await assert.rejects(b.createQueue('bad name'), sdkError('InvalidParameterValue', 'InvalidParameterValue', /alphanumeric characters, hyphens, or underscores/));
    await assert.rejects(b.createQueue('x'.repeat(81)), sdkError('InvalidParameterValue'));
    await assert.rejects(b.createQueue('ledger.fifo'), sdkError('InvalidParameterValue'), 'a .fifo name needs FifoQueue=true');
    await assert.rejects(b.createQueue('ledger', { FifoQueue: 'true' }), sdkError('InvalidParameterValue', undefined, /must end with \.fifo suffix/));
  });

  test('attribute values outside their ranges and unknown attributes are refused', async (t) => {
    const b = await startTestBroker(t);
    const cases: Array<[Record<string, string>, string]> = [
      [{ VisibilityTimeout: '43201' }, 'InvalidAttributeValue'],
      [{ DelaySeconds: '901' }, 'InvalidAttributeValue'],
      [{ MaximumMessageSize: '1023' }, 'InvalidAttributeValue'],
      [{ MessageRetentionPeriod: '59' }, 'InvalidAttributeValue'],
      [{ ReceiveMessageWaitTimeSeconds: '21' }, 'InvalidAttributeValue'],
      [{ NotAnAttribute: '1' }, 'InvalidAttributeName'],
      [{ QueueArn: 'arn:aws:sqs:us-east-1:000000000000:q' }, 'InvalidAttributeName'],
      [{ ContentBasedDeduplication: 'true' }, 'InvalidAttributeName'],
    ];
    for (const [attributes, name] of cases) {
      await assert.rejects(b.createQueue('checked', attributes), sdkError(name), JSON.stringify(attributes));
    }
  });

  test('GetQueueUrl finds a queue by name; an unknown name is QueueDoesNotExist', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('notifications');
    assert.equal((await b.sqs.send(new GetQueueUrlCommand({ QueueName: 'notifications' }))).QueueUrl, url);
    await assert.rejects(
      b.sqs.send(new GetQueueUrlCommand({ QueueName: 'missing' })),
      sdkError('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.'),
    );
    await assert.rejects(b.sqs.send(new GetQueueUrlCommand({ QueueName: 'notifications', QueueOwnerAWSAccountId: '111111111111' })), sdkError('QueueDoesNotExist'));
  });

  test('a queue URL with another host resolves by its path', async (t) => {
    const b = await startTestBroker(t);
    await b.createQueue('audit-logs');
    const foreign = `http://sqs.us-east-1.localhost.localstack.cloud:4566/${ACCOUNT}/audit-logs`;
    const sent = await b.sqs.send(new SendMessageCommand({ QueueUrl: foreign, MessageBody: 'routed by path' }));
    assert.ok(sent.MessageId);
  });

  test('ListQueues filters by prefix and pages with MaxResults and NextToken', async (t) => {
    const b = await startTestBroker(t);
    for (const name of ['pay-a', 'pay-b', 'pay-c', 'other']) await b.createQueue(name);
    const all = await b.sqs.send(new ListQueuesCommand({}));
    assert.equal(all.QueueUrls?.length, 4);
    assert.equal(all.NextToken, undefined);
    const first = await b.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'pay-', MaxResults: 2 }));
    assert.deepEqual(first.QueueUrls?.map((u) => u.split('/').pop()), ['pay-a', 'pay-b']);
    const second = await b.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'pay-', MaxResults: 2, NextToken: first.NextToken }));
    assert.deepEqual(second.QueueUrls?.map((u) => u.split('/').pop()), ['pay-c']);
    assert.equal(second.NextToken, undefined);
    const none = await b.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'zzz' }));
    assert.equal(none.QueueUrls, undefined);
  });

  test('GetQueueAttributes returns every standard attribute, and only those asked for', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('transaction-events', { DelaySeconds: '1' });
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later' }));
    const { Attributes = {} } = await b.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    assert.equal(Attributes.QueueArn, b.arnOf('transaction-events'));
    assert.equal(Attributes.DelaySeconds, '1');
    assert.equal(Attributes.VisibilityTimeout, '30');
    assert.equal(Attributes.MaximumMessageSize, '1048576', 'the default is 1 MiB since August 2025 (CreateQueue API reference)');
    assert.equal(Attributes.MessageRetentionPeriod, '345600');
    assert.equal(Attributes.ReceiveMessageWaitTimeSeconds, '0');
    assert.equal(Attributes.ApproximateNumberOfMessagesDelayed, '1');
    assert.equal(Attributes.ApproximateNumberOfMessages, '0');
    assert.equal(Attributes.ApproximateNumberOfMessagesNotVisible, '0');
    assert.match(Attributes.CreatedTimestamp!, /^\d{10}$/);
    assert.equal(Attributes.FifoQueue, undefined);

    const some = await b.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout'] }));
    assert.deepEqual(some.Attributes, { VisibilityTimeout: '30' });
    await assert.rejects(
      b.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Nope' as never] })),
      sdkError('InvalidAttributeName', undefined, 'Unknown Attribute Nope.'),
    );
  });

  test('a FIFO queue reports its FIFO attributes', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('ledger.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true', DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' });
    const { Attributes = {} } = await b.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    assert.equal(Attributes.FifoQueue, 'true');
    assert.equal(Attributes.ContentBasedDeduplication, 'true');
    assert.equal(Attributes.DeduplicationScope, 'messageGroup');
    assert.equal(Attributes.FifoThroughputLimit, 'perMessageGroupId');
    await assert.rejects(
      b.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { DeduplicationScope: 'queue' } })),
      sdkError('InvalidAttributeValue'),
      'perMessageGroupId needs messageGroup scope',
    );
  });

  test('SetQueueAttributes changes attributes; a RedrivePolicy must name an existing queue of the same type that allows it', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('payment-processing');
    await b.createQueue('payment-dlq', { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [b.arnOf('payment-processing')] }) });
    await b.createQueue('closed-dlq', { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }) });
    await b.createQueue('ledger.fifo', { FifoQueue: 'true' });

    const policy = JSON.stringify({ deadLetterTargetArn: b.arnOf('payment-dlq'), maxReceiveCount: '5' });
    await b.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: policy, VisibilityTimeout: '10' } }));
    const { Attributes = {} } = await b.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'] }));
    assert.deepEqual(JSON.parse(Attributes.RedrivePolicy!), { deadLetterTargetArn: b.arnOf('payment-dlq'), maxReceiveCount: 5 });
    assert.equal(Attributes.VisibilityTimeout, '10');

    const redrive = (arn: string, count: unknown = 3) => b.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: count }) } }),
    );
    await assert.rejects(redrive(b.arnOf('missing')), sdkError('InvalidParameterValue', undefined, /Dead letter target does not exist/));
    await assert.rejects(redrive(b.arnOf('ledger.fifo')), sdkError('InvalidParameterValue', undefined, /same type/));
    await assert.rejects(redrive(b.arnOf('closed-dlq')), sdkError('InvalidParameterValue', undefined, /does not allow/));
    await assert.rejects(redrive(b.arnOf('payment-dlq'), 0), sdkError('InvalidParameterValue', undefined, /maxReceiveCount/));
    await assert.rejects(
      b.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: 'not json' } })),
      sdkError('InvalidParameterValue', undefined, /not a valid JSON map/),
    );

    const { queueUrls = [] } = await b.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: `${b.endpoint}/${ACCOUNT}/payment-dlq` }));
    assert.deepEqual(queueUrls, [url]);

    await b.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: '' } }));
    const after = await b.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    assert.equal(after.Attributes?.RedrivePolicy, undefined, 'an empty RedrivePolicy removes it');
  });

  test('PurgeQueue deletes every message, once a minute at most', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('notifications');
    for (let i = 0; i < 3; i++) await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}` }));
    await b.sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    assert.deepEqual(await b.counts(url), { visible: 0, inFlight: 0, delayed: 0 });
    await assert.rejects(
      b.sqs.send(new PurgeQueueCommand({ QueueUrl: url })),
      sdkError('PurgeQueueInProgress', 'AWS.SimpleQueueService.PurgeQueueInProgress', /Only one PurgeQueue operation on notifications is allowed every 60 seconds/),
    );
  });

  test('DeleteQueue removes the queue and its messages; its name can be reused after 60 seconds', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('short-lived');
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bye' }));
    await b.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    await assert.rejects(b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url })), sdkError('QueueDoesNotExist'));
    await assert.rejects(b.sqs.send(new DeleteQueueCommand({ QueueUrl: url })), sdkError('QueueDoesNotExist'));
    await assert.rejects(b.createQueue('short-lived'), sdkError('QueueDeletedRecently', 'AWS.SimpleQueueService.QueueDeletedRecently'));
    b.advanceClock(61_000);
    assert.equal(await b.createQueue('short-lived'), url);
    assert.deepEqual(await b.counts(url), { visible: 0, inFlight: 0, delayed: 0 });
  });

  test('a long poll on a queue that is deleted ends with QueueDoesNotExist', async (t) => {
    const b = await startTestBroker(t);
    const url = await b.createQueue('doomed');
    const waiting = b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await b.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    await assert.rejects(waiting, sdkError('QueueDoesNotExist'));
  });

  test('tags are added, listed and removed', async (t) => {
    const b = await startTestBroker(t);
    const { QueueUrl: url } = await b.sqs.send(new CreateQueueCommand({ QueueName: 'tagged', tags: { team: 'payments' } }));
    await b.sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { env: 'local' } }));
    assert.deepEqual((await b.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, { team: 'payments', env: 'local' });
    await b.sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ['team'] }));
    assert.deepEqual((await b.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, { env: 'local' });
  });

  test('an unknown action is refused, and the broker answers requests signed with any credentials', async (t) => {
    const b = await startTestBroker(t);
    const other = new SQSClient({ region: REGION, endpoint: b.endpoint, credentials: { ...CREDENTIALS, accessKeyId: 'SOMEONEELSE' } });
    t.after(() => other.destroy());
    assert.ok((await other.send(new CreateQueueCommand({ QueueName: 'anyone' }))).QueueUrl);
    const response = await fetch(b.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.FlyToTheMoon' },
      body: '{}',
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('x-amzn-query-error'), 'InvalidAction;Sender');
    assert.deepEqual(await response.json(), {
      __type: 'com.amazon.coral.service#UnknownOperationException',
      message: 'The action FlyToTheMoon is not valid for this endpoint.',
    });
  });
});
