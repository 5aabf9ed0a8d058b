import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { testDatabases } from '../../../../test/support/databases.ts';
import { eventually } from '../../../../test/support/eventually.ts';
import { ACCOUNT, REGION, awsError, busArn, harness, queueArn, type Harness } from './support.ts';

const BUS = 'paypal-clone-events';
const SOURCE = 'paypal-clone.transaction-service';
const COMPLETED = 'Transaction completed';

function transactionDetail(overrides: Record<string, unknown> = {}) {
  return {
    transaction_id: 'txn-1',
    sender_id: 'user-a',
    receiver_id: 'user-b',
    amount: 10.25,
    amount_minor: '1025',
    currency: 'USD',
    status: 'completed',
    ...overrides,
  };
}

function entry(overrides: Record<string, unknown> = {}) {
  return { Source: SOURCE, DetailType: COMPLETED, Detail: JSON.stringify(transactionDetail()), EventBusName: BUS, ...overrides };
}

for (const target of await testDatabases()) {
  describe(`EventBridge actions on ${target.name}`, { skip: target.skip }, () => {
    async function setup(t: TestContext): Promise<Harness> {
      const created = await target.create();
      const h = await harness(created.config);
      t.after(async () => {
        await h.close();
        await created.cleanup();
      });
      await h.open();
      return h;
    }

    /** The seed's topology: the bus, a rule for completed transactions and a queue target. */
    async function seedRouting(h: Harness, queue = 'notifications') {
      await h.call('CreateEventBus', { Name: BUS });
      const rule = await h.call('PutRule', {
        Name: 'transaction-completed',
        EventBusName: BUS,
        EventPattern: JSON.stringify({ source: [SOURCE], 'detail-type': [COMPLETED] }),
      });
      h.queues.create(queueArn(queue));
      await h.call('PutTargets', { Rule: 'transaction-completed', EventBusName: BUS, Targets: [{ Id: 'notify', Arn: queueArn(queue) }] });
      return rule.RuleArn as string;
    }

    test('the default bus exists implicitly; custom buses are created, described, listed and deleted', async (t) => {
      const h = await setup(t);
      const defaultBus = await h.call('DescribeEventBus', {});
      assert.equal(defaultBus.Name, 'default');
      assert.equal(defaultBus.Arn, busArn('default'));

      const created = await h.call('CreateEventBus', { Name: BUS, Description: 'PayMesh domain events' });
      assert.equal(created.EventBusArn, busArn(BUS));
      await assert.rejects(h.call('CreateEventBus', { Name: BUS }), awsError('ResourceAlreadyExistsException', `Event bus ${BUS} already exists.`));
      await assert.rejects(h.call('CreateEventBus', { Name: 'default' }), awsError('ResourceAlreadyExistsException'));
      await assert.rejects(h.call('CreateEventBus', { Name: 'bad name!' }), awsError('ValidationException'));

      const described = await h.call('DescribeEventBus', { Name: busArn(BUS) });
      assert.equal(described.Name, BUS);
      assert.equal(described.Description, 'PayMesh domain events');
      assert.equal(typeof described.CreationTime, 'number');

      await h.call('CreateEventBus', { Name: 'audit-events' });
      const listed = await h.call('ListEventBuses', {});
      assert.deepEqual(listed.EventBuses.map((b: any) => b.Name), ['audit-events', 'default', BUS]);
      const filtered = await h.call('ListEventBuses', { NamePrefix: 'paypal' });
      assert.deepEqual(filtered.EventBuses.map((b: any) => b.Name), [BUS]);
      const first = await h.call('ListEventBuses', { Limit: 2 });
      assert.equal(first.EventBuses.length, 2);
      const second = await h.call('ListEventBuses', { Limit: 2, NextToken: first.NextToken });
      assert.deepEqual(second.EventBuses.map((b: any) => b.Name), [BUS]);
      assert.equal(second.NextToken, undefined);

      await assert.rejects(h.call('DeleteEventBus', { Name: 'default' }), awsError('ValidationException', 'Cannot delete event bus default.'));
      await h.call('DeleteEventBus', { Name: 'audit-events' });
      await assert.rejects(h.call('DescribeEventBus', { Name: 'audit-events' }), awsError('ResourceNotFoundException', 'Event bus audit-events does not exist.'));
    });

    test('a rule routes Transaction completed events from the transaction service to its queue target', async (t) => {
      const h = await setup(t);
      const ruleArn = await seedRouting(h);
      assert.equal(ruleArn, `arn:aws:events:${REGION}:${ACCOUNT}:rule/${BUS}/transaction-completed`);

      const result = await h.call('PutEvents', {
        Entries: [
          entry({ Resources: ['arn:aws:paypal-clone:transaction:txn-1'] }),
          entry({ DetailType: 'Transaction failed' }),
          entry({ Source: 'paypal-clone.user-service' }),
        ],
      });
      assert.equal(result.FailedEntryCount, 0);
      assert.equal(result.Entries.length, 3);
      const [id] = result.Entries.map((e: any) => e.EventId);

      const [event] = await h.queues.receivedBodies(queueArn('notifications'));
      assert.deepEqual(Object.keys(event).sort(), ['account', 'detail', 'detail-type', 'id', 'region', 'resources', 'source', 'time', 'version']);
      assert.equal(event.version, '0');
      assert.equal(event.id, id);
      assert.equal(event['detail-type'], COMPLETED);
      assert.equal(event.source, SOURCE);
      assert.equal(event.account, ACCOUNT);
      assert.equal(event.region, REGION);
      assert.match(event.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      assert.deepEqual(event.resources, ['arn:aws:paypal-clone:transaction:txn-1']);
      assert.deepEqual(event.detail, transactionDetail());

      // Give the worker a moment to (wrongly) deliver the other two.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(h.queues.on(queueArn('notifications')).length, 1, 'only the matching event is delivered');
    });

    test('a rule on the default bus gets an ARN without the bus name and receives events put without EventBusName', async (t) => {
      const h = await setup(t);
      const { RuleArn } = await h.call('PutRule', { Name: 'all-payments', EventPattern: JSON.stringify({ source: [{ prefix: 'paypal-clone.' }] }) });
      assert.equal(RuleArn, `arn:aws:events:${REGION}:${ACCOUNT}:rule/all-payments`);
      h.queues.create(queueArn('audit'));
      await h.call('PutTargets', { Rule: 'all-payments', Targets: [{ Id: 'audit', Arn: queueArn('audit') }] });
      await h.call('PutEvents', { Entries: [{ Source: SOURCE, DetailType: COMPLETED, Detail: '{}' }] });
      await eventually('the event on the default bus', () => h.queues.on(queueArn('audit')).length === 1, 5000, 10);
    });

    test('EventBusName may be a bus ARN in PutEvents, PutRule and PutTargets', async (t) => {
      const h = await setup(t);
      await h.call('CreateEventBus', { Name: BUS });
      await h.call('PutRule', { Name: 'r', EventBusName: busArn(BUS), EventPattern: JSON.stringify({ source: [SOURCE] }) });
      h.queues.create(queueArn('q'));
      await h.call('PutTargets', { Rule: 'r', EventBusName: busArn(BUS), Targets: [{ Id: 't', Arn: queueArn('q') }] });
      const result = await h.call('PutEvents', { Entries: [entry({ EventBusName: busArn(BUS) })] });
      assert.equal(result.FailedEntryCount, 0);
      await eventually('delivery via the bus ARN', () => h.queues.on(queueArn('q')).length === 1, 5000, 10);
    });

    test('a disabled rule delivers nothing until it is enabled again', async (t) => {
      const h = await setup(t);
      await seedRouting(h);
      await h.call('DisableRule', { Name: 'transaction-completed', EventBusName: BUS });
      assert.equal((await h.call('DescribeRule', { Name: 'transaction-completed', EventBusName: BUS })).State, 'DISABLED');
      await h.call('PutEvents', { Entries: [entry()] });
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(h.queues.delivered.length, 0);

      await h.call('EnableRule', { Name: 'transaction-completed', EventBusName: BUS });
      await h.call('PutEvents', { Entries: [entry()] });
      await eventually('delivery once enabled', () => h.queues.delivered.length === 1, 5000, 10);
      await assert.rejects(h.call('EnableRule', { Name: 'nope', EventBusName: BUS }), awsError('ResourceNotFoundException', `Rule nope does not exist on EventBus ${BUS}.`));
    });

    test('PutEvents reports per-entry failures while the other entries succeed', async (t) => {
      const h = await setup(t);
      await seedRouting(h);
      const result = await h.call('PutEvents', {
        Entries: [
          entry(),
          entry({ Source: undefined }),
          entry({ DetailType: undefined }),
          entry({ Detail: undefined }),
          entry({ Detail: '{not json' }),
          entry({ Detail: '["an", "array"]' }),
          entry({ EventBusName: 'no-such-bus' }),
          entry({ Source: 'aws.ec2' }),
          // An oversized entry fails the whole request instead (test/eventbridge-conformance.test.ts).
          entry({ Source: 'x'.repeat(257) }),
          entry({ DetailType: 'Transaction completed', Detail: JSON.stringify(transactionDetail({ transaction_id: 'txn-2' })) }),
        ],
      });
      assert.equal(result.FailedEntryCount, 8);
      const codes = result.Entries.map((e: any) => e.ErrorCode ?? 'ok');
      assert.deepEqual(codes, [
        'ok',
        'InvalidArgument',
        'InvalidArgument',
        'InvalidArgument',
        'MalformedDetail',
        'MalformedDetail',
        'ResourceNotFoundException',
        'NotAuthorizedForSourceException',
        'InvalidArgument',
        'ok',
      ]);
      assert.equal(result.Entries[1].ErrorMessage, 'Parameter Source is not valid. Reason: Source is a required argument.');
      assert.equal(result.Entries[6].ErrorMessage, 'Event bus no-such-bus does not exist.');
      assert.ok(result.Entries[0].EventId && result.Entries[9].EventId);

      const delivered = await h.queues.receivedBodies(queueArn('notifications'), 2);
      assert.deepEqual(delivered.map((e: any) => e.detail.transaction_id).sort(), ['txn-1', 'txn-2']);
    });

    test('PutEvents refuses more than 10 entries, or none, as a whole', async (t) => {
      const h = await setup(t);
      await assert.rejects(h.call('PutEvents', { Entries: Array.from({ length: 11 }, () => entry()) }), awsError('ValidationException'));
      await assert.rejects(h.call('PutEvents', { Entries: [] }), awsError('ValidationException'));
    });

    test('an entry with an explicit Time keeps it (to the second) in the envelope', async (t) => {
      const h = await setup(t);
      await seedRouting(h);
      await h.call('PutEvents', { Entries: [entry({ Time: Date.UTC(2024, 0, 2, 3, 4, 5, 678) / 1000 })] });
      const [event] = await h.queues.receivedBodies(queueArn('notifications'));
      assert.equal(event.time, '2024-01-02T03:04:05Z');
    });

    test('InputPath delivers only the selected part of the event', async (t) => {
      const h = await setup(t);
      await seedRouting(h);
      h.queues.create(queueArn('details'));
      await h.call('PutTargets', {
        Rule: 'transaction-completed',
        EventBusName: BUS,
        Targets: [{ Id: 'details', Arn: queueArn('details'), InputPath: '$.detail' }],
      });
      await h.call('PutEvents', { Entries: [entry()] });
      const [body] = await h.queues.receivedBodies(queueArn('details'));
      assert.deepEqual(body, transactionDetail());
    });

    test('InputTransformer delivers the template filled from the event, with AWS quoting', async (t) => {
      const h = await setup(t);
      await seedRouting(h);
      h.queues.create(queueArn('sms'), queueArn('text'));
      await h.call('PutTargets', {
        Rule: 'transaction-completed',
        EventBusName: BUS,
        Targets: [
          {
            Id: 'sms',
            Arn: queueArn('sms'),
            InputTransformer: {
              InputPathsMap: { txn: '$.detail.transaction_id', amount: '$.detail.amount', currency: '$.detail.currency' },
              InputTemplate: '{"transaction": <txn>, "amount": <amount>, "message": "You received <amount> <currency>", "rule": <aws.events.rule-name>}',
            },
          },
          {
            Id: 'text',
            Arn: queueArn('text'),
            InputTransformer: { InputPathsMap: { txn: '$.detail.transaction_id' }, InputTemplate: '"transaction <txn> completed"' },
          },
        ],
      });
      await h.call('PutEvents', { Entries: [entry()] });
      const [sms] = await h.queues.receivedBodies(queueArn('sms'));
      assert.deepEqual(sms, { transaction: 'txn-1', amount: 10.25, message: 'You received 10.25 USD', rule: 'transaction-completed' });
      const [text] = await h.queues.received(queueArn('text'));
      assert.equal(text?.body, '"transaction txn-1 completed"');
    });

    test('a constant Input replaces the event', async (t) => {
      const h = await setup(t);
      await seedRouting(h);
      h.queues.create(queueArn('ping'));
      await h.call('PutTargets', { Rule: 'transaction-completed', EventBusName: BUS, Targets: [{ Id: 'ping', Arn: queueArn('ping'), Input: '{"ping":true}' }] });
      await h.call('PutEvents', { Entries: [entry()] });
      const [ping] = await h.queues.received(queueArn('ping'));
      assert.equal(ping?.body, '{"ping":true}');
    });

    test('a FIFO queue target gets its message group and a stable deduplication id', async (t) => {
      const h = await setup(t);
      await seedRouting(h);
      h.queues.create(queueArn('ledger.fifo'));
      await assert.rejects(
        h.call('PutTargets', { Rule: 'transaction-completed', EventBusName: BUS, Targets: [{ Id: 'fifo', Arn: queueArn('ledger.fifo') }] }).then((r) => {
          if (r.FailedEntryCount === 1) throw new Error(r.FailedEntries[0].ErrorMessage);
        }),
        /SqsParameters must be specified for FIFO queues/,
      );
      await h.call('PutTargets', {
        Rule: 'transaction-completed',
        EventBusName: BUS,
        Targets: [{ Id: 'fifo', Arn: queueArn('ledger.fifo'), SqsParameters: { MessageGroupId: 'transactions' } }],
      });
      await h.call('PutEvents', { Entries: [entry()] });
      const [message] = await h.queues.received(queueArn('ledger.fifo'));
      assert.equal(message?.options?.messageGroupId, 'transactions');
      assert.match(message?.options?.messageDeduplicationId ?? '', /^[0-9a-f-]{36}$/);
    });

    test('PutRule with an invalid pattern fails with InvalidEventPatternException', async (t) => {
      const h = await setup(t);
      await assert.rejects(
        h.call('PutRule', { Name: 'bad', EventPattern: '{"source": "paypal-clone.transaction-service"}' }),
        awsError('InvalidEventPatternException', 'Event pattern is not valid. Reason: "source" must be an object or an array'),
      );
      await assert.rejects(h.call('PutRule', { Name: 'bad', EventPattern: '{"amount": [{"numeric": [">", 5, "<", 1]}]}' }), awsError('InvalidEventPatternException', 'Bottom must be less than top'));
      await assert.rejects(h.call('PutRule', { Name: 'bad', EventPattern: 'not json' }), awsError('InvalidEventPatternException'));
      await assert.rejects(h.call('PutRule', { Name: 'bad' }), awsError('ValidationException', 'EventPattern or ScheduleExpression'));
      await assert.rejects(h.call('PutRule', { Name: 'bad', EventPattern: JSON.stringify({ source: ['x'.repeat(5000)] }) }), awsError('ValidationException'));
      await assert.rejects(h.call('PutRule', { Name: 'r', EventBusName: 'no-such-bus', EventPattern: '{"source":["a"]}' }), awsError('ResourceNotFoundException', 'Event bus no-such-bus does not exist.'));
    });

    test('PutRule replaces a rule and keeps its targets; DescribeRule and ListRules show it', async (t) => {
      const h = await setup(t);
      await seedRouting(h);
      await h.call('PutRule', {
        Name: 'transaction-completed',
        EventBusName: BUS,
        EventPattern: JSON.stringify({ source: [SOURCE] }),
        State: 'DISABLED',
        Description: 'every transaction event',
      });
      const rule = await h.call('DescribeRule', { Name: 'transaction-completed', EventBusName: BUS });
      assert.equal(rule.State, 'DISABLED');
      assert.equal(rule.Description, 'every transaction event');
      assert.equal(rule.EventBusName, BUS);
      assert.equal(rule.EventPattern, JSON.stringify({ source: [SOURCE] }));
      const targets = await h.call('ListTargetsByRule', { Rule: 'transaction-completed', EventBusName: BUS });
      assert.deepEqual(targets.Targets, [{ Id: 'notify', Arn: queueArn('notifications') }]);

      for (const name of ['payment-a', 'payment-b', 'payment-c']) {
        await h.call('PutRule', { Name: name, EventBusName: BUS, EventPattern: JSON.stringify({ source: ['paypal-clone.payment-service'] }) });
      }
      const page1 = await h.call('ListRules', { EventBusName: BUS, NamePrefix: 'payment-', Limit: 2 });
      assert.deepEqual(page1.Rules.map((r: any) => r.Name), ['payment-a', 'payment-b']);
      const page2 = await h.call('ListRules', { EventBusName: BUS, NamePrefix: 'payment-', Limit: 2, NextToken: page1.NextToken });
      assert.deepEqual(page2.Rules.map((r: any) => r.Name), ['payment-c']);
      assert.equal((await h.call('ListRules', { EventBusName: BUS })).Rules.length, 4);
      assert.equal((await h.call('ListRules', {})).Rules.length, 0, 'the default bus has its own rules');
    });

    test('DeleteRule fails while targets remain, as AWS does, and succeeds once they are removed', async (t) => {
      const h = await setup(t);
      await seedRouting(h);
      await assert.rejects(
        h.call('DeleteRule', { Name: 'transaction-completed', EventBusName: BUS }),
        awsError('ValidationException', "Rule can't be deleted since it has targets."),
      );
      const removed = await h.call('RemoveTargets', { Rule: 'transaction-completed', EventBusName: BUS, Ids: ['notify', 'ghost'] });
      assert.equal(removed.FailedEntryCount, 1);
      assert.deepEqual(removed.FailedEntries[0].TargetId, 'ghost');
      await h.call('DeleteRule', { Name: 'transaction-completed', EventBusName: BUS });
      await assert.rejects(h.call('DescribeRule', { Name: 'transaction-completed', EventBusName: BUS }), awsError('ResourceNotFoundException'));
    });

    test('PutTargets reports bad targets per entry and keeps the limit of five targets per rule', async (t) => {
      const h = await setup(t);
      await seedRouting(h);
      const result = await h.call('PutTargets', {
        Rule: 'transaction-completed',
        EventBusName: BUS,
        Targets: [
          { Id: 'lambda', Arn: 'arn:aws:lambda:us-east-1:123456789012:function:notify' },
          { Id: 'bad-input', Arn: queueArn('x'), Input: 'not json' },
          { Id: 'bad-dlq', Arn: queueArn('x'), DeadLetterConfig: { Arn: 'arn:aws:sns:us-east-1:123456789012:topic' } },
          { Id: 'good', Arn: queueArn('x') },
        ],
      });
      assert.equal(result.FailedEntryCount, 3);
      assert.deepEqual(result.FailedEntries.map((f: any) => f.TargetId), ['lambda', 'bad-input', 'bad-dlq']);
      const listed = await h.call('ListTargetsByRule', { Rule: 'transaction-completed', EventBusName: BUS });
      assert.deepEqual(listed.Targets.map((t: any) => t.Id), ['good', 'notify']);

      await assert.rejects(
        h.call('PutTargets', { Rule: 'transaction-completed', EventBusName: BUS, Targets: [{ Id: 'both', Arn: queueArn('x'), Input: '{}', InputPath: '$.detail' }] }),
        awsError('ValidationException', 'Only one of Input, InputPath, or InputTransformer'),
      );
      await assert.rejects(
        h.call('PutTargets', { Rule: 'transaction-completed', EventBusName: BUS, Targets: [{ Id: 'r', Arn: queueArn('x'), RetryPolicy: { MaximumRetryAttempts: 186 } }] }),
        awsError('ValidationException'),
      );
      await assert.rejects(
        h.call('PutTargets', {
          Rule: 'transaction-completed',
          EventBusName: BUS,
          Targets: ['t3', 't4', 't5', 't6'].map((Id) => ({ Id, Arn: queueArn(Id) })),
        }),
        awsError('LimitExceededException'),
      );
      await assert.rejects(h.call('PutTargets', { Rule: 'missing', EventBusName: BUS, Targets: [{ Id: 'a', Arn: queueArn('a') }] }), awsError('ResourceNotFoundException'));
    });

    test('TestEventPattern answers whether an event matches', async (t) => {
      const h = await setup(t);
      const event = JSON.stringify({ id: '1', account: ACCOUNT, source: SOURCE, time: '2024-01-01T00:00:00Z', region: REGION, 'detail-type': COMPLETED, detail: {} });
      assert.deepEqual(await h.call('TestEventPattern', { EventPattern: JSON.stringify({ source: [SOURCE] }), Event: event }), { Result: true });
      assert.deepEqual(await h.call('TestEventPattern', { EventPattern: JSON.stringify({ source: [{ 'anything-but': SOURCE }] }), Event: event }), { Result: false });
      await assert.rejects(h.call('TestEventPattern', { EventPattern: '{"source": ["a"]}', Event: '{"source": "a"}' }), awsError('ValidationException'));
    });

    test('an unknown action is refused with UnknownOperationException', async (t) => {
      const h = await setup(t);
      await assert.rejects(h.call('ActivateEventSource', {}), awsError('UnknownOperationException'));
    });
  });
}
