import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DescribeReplayCommand,
  DisableRuleCommand,
  ListRulesCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { receiveCount, sdkError, startTestBroker, type TestBroker } from './support.ts';

const BUS = 'paypal-clone-events';
const SOURCE = 'paypal-clone.transaction-service';

async function routeToQueue(b: TestBroker, rule: string, pattern: Record<string, unknown>, queue: string, target: Record<string, unknown> = {}) {
  const url = await b.createQueue(queue);
  await b.events.send(new PutRuleCommand({ Name: rule, EventBusName: BUS, EventPattern: JSON.stringify(pattern) }));
  const result = await b.events.send(new PutTargetsCommand({ Rule: rule, EventBusName: BUS, Targets: [{ Id: queue, Arn: b.arnOf(queue), ...target }] }));
  assert.equal(result.FailedEntryCount, 0);
  return url;
}

const completed = (detail: Record<string, unknown>) => ({
  Source: SOURCE,
  DetailType: 'Transaction completed',
  Detail: JSON.stringify(detail),
  EventBusName: BUS,
  Resources: [`arn:aws:paypal-clone:transaction:${detail.transaction_id}`],
});

describe('EventBridge through the AWS SDK', () => {
  test('an event matching a rule reaches its SQS target in the standard envelope', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    const url = await routeToQueue(
      b,
      'completed-to-notifications',
      { source: [SOURCE], 'detail-type': ['Transaction completed'], detail: { amount_minor: [{ numeric: ['>=', 100] }] } },
      'notifications',
    );
    const put = await b.events.send(
      new PutEventsCommand({ Entries: [completed({ transaction_id: 't-1', amount_minor: 1025, currency: 'USD' }), completed({ transaction_id: 't-2', amount_minor: 5 })] }),
    );
    assert.equal(put.FailedEntryCount, 0);
    const [message] = await receiveCount(b.sqs, { QueueUrl: url }, 1);
    const event = JSON.parse(message!.Body!);
    assert.deepEqual(Object.keys(event).sort(), ['account', 'detail', 'detail-type', 'id', 'region', 'resources', 'source', 'time', 'version']);
    assert.equal(event.version, '0');
    assert.equal(event.id, put.Entries?.[0]?.EventId);
    assert.equal(event.source, SOURCE);
    assert.equal(event['detail-type'], 'Transaction completed');
    assert.equal(event.account, '000000000000');
    assert.equal(event.region, 'us-east-1');
    assert.deepEqual(event.resources, ['arn:aws:paypal-clone:transaction:t-1']);
    assert.deepEqual(event.detail, { transaction_id: 't-1', amount_minor: 1025, currency: 'USD' });
    assert.match(event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const rest = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    assert.equal(rest.Messages, undefined, 'the event below the numeric threshold matched nothing');
  });

  test('PutEvents answers once its target queues have the event: received at once with the delivery worker stopped, no delivery row left', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    const url = await routeToQueue(b, 'completed-to-ledger', { source: [SOURCE] }, 'ledger');
    await b.broker.eventBridge.stop();
    const put = await b.events.send(new PutEventsCommand({ Entries: [completed({ transaction_id: 't-now' })] }));
    assert.equal(put.FailedEntryCount, 0);
    const { Messages = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }));
    assert.equal(JSON.parse(Messages[0]?.Body ?? '{}').detail?.transaction_id, 't-now', 'in the queue when PutEvents answered');
    const rows = await b.broker.database.db.selectFrom('eb_deliveries').select('id').execute();
    assert.deepEqual(rows, [], 'only a delivery that could not be made at once waits in eb_deliveries');
  });

  test('a target whose queue is missing waits as a delivery row, and reaches the queue once it exists', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    await b.events.send(new PutRuleCommand({ Name: 'to-later', EventBusName: BUS, EventPattern: JSON.stringify({ source: [SOURCE] }) }));
    await b.events.send(new PutTargetsCommand({ Rule: 'to-later', EventBusName: BUS, Targets: [{ Id: 'later', Arn: b.arnOf('created-later') }] }));
    await b.broker.eventBridge.stop();
    assert.equal((await b.events.send(new PutEventsCommand({ Entries: [completed({ transaction_id: 't-later' })] }))).FailedEntryCount, 0);
    const waiting = await b.broker.database.db.selectFrom('eb_deliveries').select(['target_arn', 'phase']).execute();
    assert.deepEqual(waiting.map((row) => ({ ...row })), [{ target_arn: b.arnOf('created-later'), phase: 'target' }]);
    const url = await b.createQueue('created-later');
    await b.broker.eventBridge.start();
    const [message] = await receiveCount(b.sqs, { QueueUrl: url, WaitTimeSeconds: 5 }, 1);
    assert.equal(JSON.parse(message!.Body!).detail.transaction_id, 't-later');
  });

  test('a rule added, disabled or retargeted takes effect for the next PutEvents', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    const first = await b.createQueue('first');
    const second = await b.createQueue('second');
    const put = async (id: string) => assert.equal((await b.events.send(new PutEventsCommand({ Entries: [completed({ transaction_id: id })] }))).FailedEntryCount, 0);
    const ids = async (url: string) => {
      const { Messages = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      return Messages.map((m) => JSON.parse(m.Body!).detail.transaction_id as string).sort();
    };
    await put('before-any-rule');
    await b.events.send(new PutRuleCommand({ Name: 'r', EventBusName: BUS, EventPattern: JSON.stringify({ source: [SOURCE] }) }));
    await b.events.send(new PutTargetsCommand({ Rule: 'r', EventBusName: BUS, Targets: [{ Id: 't', Arn: b.arnOf('first') }] }));
    await put('to-first');
    await b.events.send(new PutTargetsCommand({ Rule: 'r', EventBusName: BUS, Targets: [{ Id: 't', Arn: b.arnOf('second') }] }));
    await put('to-second');
    await b.events.send(new DisableRuleCommand({ Name: 'r', EventBusName: BUS }));
    await put('while-disabled');
    assert.deepEqual(await ids(first), ['to-first']);
    assert.deepEqual(await ids(second), ['to-second']);
  });

  test('a burst of events reaches a FIFO target in the order it was put', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    const url = await b.createQueue('ordered.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'false' });
    await b.events.send(new PutRuleCommand({ Name: 'ordered', EventBusName: BUS, EventPattern: JSON.stringify({ source: [SOURCE] }) }));
    await b.events.send(
      new PutTargetsCommand({ Rule: 'ordered', EventBusName: BUS, Targets: [{ Id: 'ordered', Arn: b.arnOf('ordered.fifo'), SqsParameters: { MessageGroupId: 'payments' } }] }),
    );
    const ids = Array.from({ length: 25 }, (_, i) => `t-${String(i).padStart(2, '0')}`);
    // Several PutEvents calls back to back: the delivery worker takes them in rounds, many events per round.
    for (let i = 0; i < ids.length; i += 10) {
      const put = await b.events.send(new PutEventsCommand({ Entries: ids.slice(i, i + 10).map((id) => completed({ transaction_id: id })) }));
      assert.equal(put.FailedEntryCount, 0);
    }
    const received: string[] = [];
    // Only a guard against hanging: the order is what this test is about.
    const deadline = Date.now() + 60_000;
    while (received.length < ids.length && Date.now() < deadline) {
      const { Messages = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const m of Messages) {
        received.push(JSON.parse(m.Body!).detail.transaction_id);
        await b.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
      }
    }
    assert.deepEqual(received, ids);
  });

  test('an InputTransformer shapes what the queue receives', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    const url = await routeToQueue(b, 'sms', { source: [{ prefix: 'paypal-clone.' }] }, 'sms', {
      InputTransformer: {
        InputPathsMap: { txn: '$.detail.transaction_id', currency: '$.detail.currency' },
        InputTemplate: '{"text": "Payment <txn> completed in <currency>", "rule": <aws.events.rule-name>}',
      },
    });
    await b.events.send(new PutEventsCommand({ Entries: [completed({ transaction_id: 't-9', currency: 'EUR' })] }));
    const [message] = await receiveCount(b.sqs, { QueueUrl: url }, 1);
    assert.deepEqual(JSON.parse(message!.Body!), { text: 'Payment t-9 completed in EUR', rule: 'sms' });
  });

  test('archived events are replayed onto the bus and delivered again', async (t) => {
    const b = await startTestBroker(t);
    const { EventBusArn } = await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    const { ArchiveArn } = await b.events.send(new CreateArchiveCommand({ ArchiveName: 'all-transactions', EventSourceArn: EventBusArn }));
    const url = await routeToQueue(b, 'audit', { source: [SOURCE] }, 'audit-logs');
    const before = new Date(Date.now() - 60_000);
    await b.events.send(new PutEventsCommand({ Entries: [completed({ transaction_id: 't-a' }), completed({ transaction_id: 't-b' })] }));
    const live = await receiveCount(b.sqs, { QueueUrl: url }, 2);
    assert.deepEqual(live.map((m) => JSON.parse(m.Body!).detail.transaction_id).sort(), ['t-a', 't-b']);

    await b.events.send(
      new StartReplayCommand({ ReplayName: 'audit-rebuild', EventSourceArn: ArchiveArn, EventStartTime: before, EventEndTime: new Date(Date.now() + 1000), Destination: { Arn: EventBusArn } }),
    );
    const replayed = await receiveCount(b.sqs, { QueueUrl: url }, 2);
    const bodies = replayed.map((m) => JSON.parse(m.Body!));
    assert.deepEqual(bodies.map((e) => e.detail.transaction_id).sort(), ['t-a', 't-b']);
    assert.ok(bodies.every((e) => e['replay-name'] === 'audit-rebuild'));
    const { State } = await b.events.send(new DescribeReplayCommand({ ReplayName: 'audit-rebuild' }));
    assert.equal(State, 'COMPLETED');
  });

  test('an event its target cannot take goes to the target\'s dead-letter queue with the error attributes', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    const dlq = await b.createQueue('eventbridge-target-dlq');
    await b.events.send(new PutRuleCommand({ Name: 'to-nowhere', EventBusName: BUS, EventPattern: JSON.stringify({ source: [SOURCE] }) }));
    await b.events.send(
      new PutTargetsCommand({
        Rule: 'to-nowhere',
        EventBusName: BUS,
        Targets: [{ Id: 'gone', Arn: b.arnOf('deleted-queue'), DeadLetterConfig: { Arn: b.arnOf('eventbridge-target-dlq') }, RetryPolicy: { MaximumRetryAttempts: 1 } }],
      }),
    );
    await b.events.send(new PutEventsCommand({ Entries: [completed({ transaction_id: 't-dead' })] }));
    const [dead] = await receiveCount(b.sqs, { QueueUrl: dlq, MessageAttributeNames: ['All'] }, 1);
    assert.equal(JSON.parse(dead!.Body!).detail.transaction_id, 't-dead');
    const attributes = dead!.MessageAttributes ?? {};
    assert.equal(attributes.ERROR_CODE?.StringValue, 'AWS.SimpleQueueService.NonExistentQueue');
    assert.equal(attributes.TARGET_ARN?.StringValue, b.arnOf('deleted-queue'));
    assert.equal(attributes.EXHAUSTED_RETRY_CONDITION?.StringValue, 'MaximumRetryAttempts');
    assert.equal(attributes.RETRY_ATTEMPTS?.DataType, 'Number');
  });

  test('EventBridge errors carry their AWS exception names', async (t) => {
    const b = await startTestBroker(t);
    await assert.rejects(b.events.send(new ListRulesCommand({ EventBusName: 'no-such-bus' })), sdkError('ResourceNotFoundException', undefined, 'Event bus no-such-bus does not exist.'));
    await assert.rejects(
      b.events.send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"source": "not-an-array"}' })),
      sdkError('InvalidEventPatternException'),
    );
  });

  test('the topology file is applied at start: a payment event reaches the queues its rules name', async (t) => {
    const b = await startTestBroker(t, { applyTopology: true });
    const put = await b.events.send(
      new PutEventsCommand({ Entries: [{ Source: SOURCE, DetailType: 'Transaction completed', Detail: JSON.stringify({ transaction_id: 't-top' }), EventBusName: BUS }] }),
    );
    assert.equal(put.FailedEntryCount, 0);
    for (const queue of ['transaction-events', 'notifications', 'audit-logs']) {
      const [message] = await receiveCount(b.sqs, { QueueUrl: `${b.endpoint}/000000000000/${queue}` }, 1);
      assert.equal(JSON.parse(message!.Body!).detail.transaction_id, 't-top', queue);
    }
    const saga = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: `${b.endpoint}/000000000000/payment-saga` }));
    assert.equal(saga.Messages, undefined, 'Transaction completed is not a saga step');
  });
});
