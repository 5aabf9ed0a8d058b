import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  CreateEventBusCommand,
  DeleteApiDestinationCommand,
  DeleteConnectionCommand,
  DescribeApiDestinationCommand,
  DescribeConnectionCommand,
  DescribeEventBusCommand,
  ListApiDestinationsCommand,
  ListConnectionsCommand,
  ListEventBusesCommand,
  ListRuleNamesByTargetCommand,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemovePermissionCommand,
  TestEventPatternCommand,
  UpdateConnectionCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ACCOUNT, REGION, receiveCount, sdkError, startTestBroker, type TestBroker } from './support.ts';

/**
 * The EventBridge behaviours where the broker once differed from AWS (issue
 * 18). Each test names the AWS behaviour it pins and the AWS page that states
 * it; where AWS leaves a detail open, the comment says what the broker chose.
 */

const BUS = 'conformance-bus';
const SOURCE = 'paymesh.conformance';
const busArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;

/** A TestEventPattern event: the six fields AWS requires, and `detail`. */
const eventWith = (detail: unknown) =>
  JSON.stringify({ id: '1', source: SOURCE, 'detail-type': 'test', account: ACCOUNT, region: REGION, time: '2025-01-01T00:00:00Z', detail });

async function testPattern(b: TestBroker, pattern: unknown, detail: unknown): Promise<boolean | undefined> {
  const { Result } = await b.events.send(new TestEventPatternCommand({ EventPattern: JSON.stringify(pattern), Event: eventWith(detail) }));
  return Result;
}

async function ruleToQueue(b: TestBroker, rule: string, pattern: unknown, queue: string, bus = BUS): Promise<string> {
  const url = await b.createQueue(queue);
  await b.events.send(new PutRuleCommand({ Name: rule, EventBusName: bus, EventPattern: JSON.stringify(pattern) }));
  const put = await b.events.send(new PutTargetsCommand({ Rule: rule, EventBusName: bus, Targets: [{ Id: queue, Arn: b.arnOf(queue) }] }));
  assert.equal(put.FailedEntryCount, 0);
  return url;
}

const entry = (detail: unknown, extra: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: SOURCE,
  DetailType: 'conformance',
  Detail: typeof detail === 'string' ? detail : JSON.stringify(detail),
  EventBusName: BUS,
  ...extra,
});

async function drain(b: TestBroker, url: string): Promise<unknown[]> {
  const { Messages = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return Messages.map((m) => JSON.parse(m.Body!).detail);
}

describe('ListRuleNamesByTarget', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListRuleNamesByTarget.html
  test('lists, in name order, the names of the rules of a bus that have a target with the ARN, paged by Limit and NextToken', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    await b.createQueue('shared-target');
    for (const name of ['rule-3', 'rule-0', 'rule-4', 'rule-1', 'rule-2']) {
      await ruleToQueue(b, name, { source: [SOURCE] }, 'shared-target');
    }
    await ruleToQueue(b, 'other-rule', { source: [SOURCE] }, 'other-target');
    const target = b.arnOf('shared-target');

    const all = await b.events.send(new ListRuleNamesByTargetCommand({ TargetArn: target, EventBusName: BUS }));
    assert.deepEqual(all.RuleNames, ['rule-0', 'rule-1', 'rule-2', 'rule-3', 'rule-4']);
    assert.equal(all.NextToken, undefined);

    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await b.events.send(new ListRuleNamesByTargetCommand({ TargetArn: target, EventBusName: BUS, Limit: 2, NextToken: token }));
      pages.push(page.RuleNames ?? []);
      token = page.NextToken;
    } while (token);
    assert.deepEqual(pages, [['rule-0', 'rule-1'], ['rule-2', 'rule-3'], ['rule-4']]);

    const none = await b.events.send(new ListRuleNamesByTargetCommand({ TargetArn: b.arnOf('no-rule-targets-this'), EventBusName: BUS }));
    assert.deepEqual(none.RuleNames, []);
    const defaultBus = await b.events.send(new ListRuleNamesByTargetCommand({ TargetArn: target }));
    assert.deepEqual(defaultBus.RuleNames, [], 'without EventBusName, the default bus (which has none of these rules)');
    await assert.rejects(
      b.events.send(new ListRuleNamesByTargetCommand({ TargetArn: target, EventBusName: 'no-such-bus' })),
      sdkError('ResourceNotFoundException', undefined, 'Event bus no-such-bus does not exist.'),
    );
  });
});

describe('PutPermission and RemovePermission: the bus resource policy', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutPermission.html
  // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DescribeEventBus.html (Policy)
  test('PutPermission adds a statement granting events:PutEvents to an account or to everyone, replaces the statement of the same StatementId, and DescribeEventBus shows the policy', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    assert.equal((await b.events.send(new DescribeEventBusCommand({ Name: BUS }))).Policy, undefined, 'no policy until one is put');

    await b.events.send(new PutPermissionCommand({ EventBusName: BUS, Action: 'events:PutEvents', Principal: '111122223333', StatementId: 'partner' }));
    await b.events.send(new PutPermissionCommand({ EventBusName: BUS, Action: 'events:PutEvents', Principal: '444455556666', StatementId: 'auditor' }));
    await b.events.send(
      new PutPermissionCommand({
        EventBusName: BUS,
        Action: 'events:PutEvents',
        Principal: '*',
        StatementId: 'organisation',
        Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: 'o-a1b2c3d4e5' },
      }),
    );
    // The same StatementId again replaces that statement in place.
    await b.events.send(new PutPermissionCommand({ EventBusName: BUS, Action: 'events:PutEvents', Principal: '777788889999', StatementId: 'partner' }));

    const resource = busArn(BUS);
    const expected = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'partner', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::777788889999:root' }, Action: 'events:PutEvents', Resource: resource },
        { Sid: 'auditor', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'events:PutEvents', Resource: resource },
        {
          Sid: 'organisation',
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: resource,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
        },
      ],
    };
    const described = await b.events.send(new DescribeEventBusCommand({ Name: BUS }));
    assert.deepEqual(JSON.parse(described.Policy!), expected);
    // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_EventBus.html: ListEventBuses shows it too.
    const { EventBuses = [] } = await b.events.send(new ListEventBusesCommand({ NamePrefix: BUS }));
    assert.deepEqual(JSON.parse(EventBuses[0]!.Policy!), expected);

    const stored = await b.broker.database.db.selectFrom('eb_bus_policies').select(['bus_name', 'policy']).execute();
    assert.deepEqual(stored.map((row: any) => [row.bus_name, JSON.parse(row.policy)]), [[BUS, expected]], 'kept in the broker database, not in memory');
  });

  test('PutPermission with Policy replaces the whole policy with that document, on the default bus as on a custom one', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new PutPermissionCommand({ Action: 'events:PutEvents', Principal: '111122223333', StatementId: 'legacy' }));
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'list-rules', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'events:ListRules', Resource: '*' }],
    };
    await b.events.send(new PutPermissionCommand({ Policy: JSON.stringify(policy) }));
    assert.deepEqual(JSON.parse((await b.events.send(new DescribeEventBusCommand({}))).Policy!), policy);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RemovePermission.html
  test('RemovePermission removes one statement by StatementId; an unknown StatementId is ResourceNotFoundException; RemoveAllPermissions removes the policy', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    const unknownStatement = sdkError('ResourceNotFoundException', undefined, 'Statement with the provided id does not exist.');
    await assert.rejects(b.events.send(new RemovePermissionCommand({ EventBusName: BUS, StatementId: 'never-put' })), unknownStatement, 'a bus without a policy');

    await b.events.send(new PutPermissionCommand({ EventBusName: BUS, Action: 'events:PutEvents', Principal: '111122223333', StatementId: 'first' }));
    await b.events.send(new PutPermissionCommand({ EventBusName: BUS, Action: 'events:PutEvents', Principal: '444455556666', StatementId: 'second' }));
    await assert.rejects(b.events.send(new RemovePermissionCommand({ EventBusName: BUS, StatementId: 'never-put' })), unknownStatement, 'a bus with a policy');

    await b.events.send(new RemovePermissionCommand({ EventBusName: BUS, StatementId: 'first', RemoveAllPermissions: false }));
    const left = JSON.parse((await b.events.send(new DescribeEventBusCommand({ Name: BUS }))).Policy!);
    assert.deepEqual(left.Statement.map((s: { Sid: string }) => s.Sid), ['second']);

    await b.events.send(new RemovePermissionCommand({ EventBusName: BUS, RemoveAllPermissions: true }));
    assert.equal((await b.events.send(new DescribeEventBusCommand({ Name: BUS }))).Policy, undefined);
    await assert.rejects(
      b.events.send(new RemovePermissionCommand({ EventBusName: BUS, RemoveAllPermissions: true })),
      sdkError('ResourceNotFoundException', undefined, 'EventBus does not have a policy.'),
    );
  });

  test('PutPermission calls made at the same time each keep their statement: none is lost to another\'s write', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    const ids = Array.from({ length: 8 }, (_, i) => `concurrent-${i}`);
    await Promise.all(ids.map((StatementId) => b.events.send(new PutPermissionCommand({ EventBusName: BUS, Action: 'events:PutEvents', Principal: '*', StatementId }))));
    const policy = JSON.parse((await b.events.send(new DescribeEventBusCommand({ Name: BUS }))).Policy!);
    assert.deepEqual(policy.Statement.map((s: { Sid: string }) => s.Sid).sort(), ids);
  });

  test('PutPermission and RemovePermission on a bus that does not exist are ResourceNotFoundException', async (t) => {
    const b = await startTestBroker(t);
    const missing = sdkError('ResourceNotFoundException', undefined, 'Event bus no-such-bus does not exist.');
    await assert.rejects(
      b.events.send(new PutPermissionCommand({ EventBusName: 'no-such-bus', Action: 'events:PutEvents', Principal: '*', StatementId: 's' })),
      missing,
    );
    await assert.rejects(b.events.send(new RemovePermissionCommand({ EventBusName: 'no-such-bus', StatementId: 's' })), missing);
  });

  test('PutPermission grants only events:PutEvents, to a 12-digit account id or *', async (t) => {
    const b = await startTestBroker(t);
    await assert.rejects(
      b.events.send(new PutPermissionCommand({ Action: 'events:ListRules', Principal: '111122223333', StatementId: 's' })),
      sdkError('ValidationException'),
    );
    await assert.rejects(b.events.send(new PutPermissionCommand({ Action: 'events:PutEvents', Principal: 'someone', StatementId: 's' })), sdkError('ValidationException'));
    await assert.rejects(b.events.send(new PutPermissionCommand({ Policy: '{not json' })), sdkError('ValidationException'));
  });
});

describe('connections and API destinations', () => {
  // Not part of the embedded broker: they answer OperationDisabledException, HTTP 400, which EventBridge
  // documents as "The operation you are attempting is not available in this region"
  // (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutPermission.html#API_PutPermission_Errors).
  test('every connection and API destination action answers OperationDisabledException (400) saying the embedded broker does not support it', async (t) => {
    const b = await startTestBroker(t);
    const connectionArn = `arn:aws:events:${REGION}:${ACCOUNT}:connection/psp/00000000-0000-0000-0000-000000000000`;
    const calls = [
      new CreateConnectionCommand({ Name: 'psp', AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 'secret' } } }),
      new DescribeConnectionCommand({ Name: 'psp' }),
      new ListConnectionsCommand({}),
      new UpdateConnectionCommand({ Name: 'psp', Description: 'changed' }),
      new DeleteConnectionCommand({ Name: 'psp' }),
      new CreateApiDestinationCommand({ Name: 'webhook', ConnectionArn: connectionArn, InvocationEndpoint: 'https://example.com/hook', HttpMethod: 'POST' }),
      new DescribeApiDestinationCommand({ Name: 'webhook' }),
      new ListApiDestinationsCommand({}),
      new DeleteApiDestinationCommand({ Name: 'webhook' }),
    ];
    for (const command of calls) {
      await assert.rejects(b.events.send(command as any), (err: any) => {
        assert.equal(err.name, 'OperationDisabledException', command.constructor.name);
        assert.equal(err.$metadata?.httpStatusCode, 400);
        assert.match(err.message, /not available in the embedded broker: connections and API destinations/);
        return true;
      });
    }
  });
});

describe('PutEvents size limit', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html: the entries of a request total
  // less than 256 KB, each counted as Time 14 bytes plus the UTF-8 bytes of Source, DetailType, Detail and Resources.
  test('a request whose entries total over 256 KB is refused as a whole with ValidationException, one oversized entry or several that add up', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    const url = await ruleToQueue(b, 'all', { source: [SOURCE] }, 'sized');
    const overLimit = sdkError('ValidationException', undefined, 'Total size of the entries in the request is over the limit.');

    // One entry: a detail of exactly 256 KiB, plus its source and detail type.
    const big = JSON.stringify({ payload: ['p'.repeat(256 * 1024 - 16)] });
    assert.equal(Buffer.byteLength(big), 256 * 1024);
    await assert.rejects(b.events.send(new PutEventsCommand({ Entries: [entry(big)] })), overLimit);

    // Three entries of 90 KB each: none is over the limit, their total is. Multi-byte characters count their UTF-8 bytes.
    const ninetyKb = (n: number) => entry({ n, text: 'é'.repeat(45 * 1024) });
    await assert.rejects(b.events.send(new PutEventsCommand({ Entries: [ninetyKb(1), ninetyKb(2), ninetyKb(3)] })), overLimit);
    // Two of them are under it, and are delivered.
    const put = await b.events.send(new PutEventsCommand({ Entries: [ninetyKb(1), ninetyKb(2)] }));
    assert.equal(put.FailedEntryCount, 0);
    const delivered = await receiveCount(b.sqs, { QueueUrl: url }, 2);
    assert.deepEqual(delivered.map((m) => JSON.parse(m.Body!).detail.n).sort(), [1, 2]);
    assert.deepEqual(await drain(b, url), [], 'nothing of the refused requests was delivered');
  });
});

describe('event pattern complexity', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-wildcard-matching-complexity:
  // "If a rule is too complex, EventBridge returns an InvalidEventPatternException". AWS refuses
  // `*:*:*:*:*:event-bus/*` with the message below; services/broker/eventbridge/pattern-complexity.ts says how it is scored.
  const TOO_COMPLEX =
    'Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';

  test('a pattern with too many wildcards, or wildcards followed by repeated characters, is InvalidEventPatternException in PutRule and TestEventPattern', async (t) => {
    const b = await startTestBroker(t);
    const tooComplex = { detail: { EventBusArn: [{ wildcard: '*:*:*:*:*:event-bus/*' }] } };
    await assert.rejects(
      b.events.send(new PutRuleCommand({ Name: 'too-complex', EventPattern: JSON.stringify(tooComplex) })),
      sdkError('InvalidEventPatternException', undefined, TOO_COMPLEX),
    );
    await assert.rejects(
      b.events.send(new TestEventPatternCommand({ EventPattern: JSON.stringify(tooComplex), Event: eventWith({ EventBusArn: busArn(BUS) }) })),
      sdkError('InvalidEventPatternException', undefined, TOO_COMPLEX),
    );
    // The wildcards of one field add up, $or branches and anything-but wildcards included.
    const stacks = (names: string[]) => ({ detail: { 'stack-id': names.map((name) => ({ wildcard: `*:stack/${name}/*` })) } });
    await b.events.send(new PutRuleCommand({ Name: 'three-stacks', EventPattern: JSON.stringify(stacks(['SharedStack', 'TrackerStack', 'WorkerStack'])) }));
    await assert.rejects(
      b.events.send(new PutRuleCommand({ Name: 'four-stacks', EventPattern: JSON.stringify(stacks(['SharedStack', 'TrackerStack', 'WorkerStack', 'MonitoringStack'])) })),
      sdkError('InvalidEventPatternException', undefined, TOO_COMPLEX),
    );
    await assert.rejects(
      b.events.send(
        new PutRuleCommand({
          Name: 'split-by-or',
          EventPattern: JSON.stringify({
            $or: [
              { detail: { 'stack-id': [{ wildcard: '*:stack/SharedStack/*' }, { wildcard: '*:stack/TrackerStack/*' }] } },
              { detail: { 'stack-id': [{ 'anything-but': { wildcard: ['*:stack/WorkerStack/*', '*:stack/MonitoringStack/*'] } }] } },
            ],
          }),
        }),
      ),
      sdkError('InvalidEventPatternException', undefined, TOO_COMPLEX),
    );
  });

  test('ordinary wildcard patterns stay valid: a suffix, a path, an ARN with a wildcard account, and wildcards on different fields', async (t) => {
    const b = await startTestBroker(t);
    const patterns = [
      { detail: { file: [{ wildcard: '*.png' }, { wildcard: '*.jpg' }] } },
      { detail: { key: [{ wildcard: 'uploads/*/receipts/*.pdf' }] } },
      { resources: [{ wildcard: 'arn:aws:states:us-east-1:*:execution:payments:*' }] },
      { detail: { a: [{ wildcard: '*x*y*' }], b: [{ wildcard: '*x*y*' }], c: [{ wildcard: '*x*y*' }] } },
    ];
    for (const [i, pattern] of patterns.entries()) {
      await b.events.send(new PutRuleCommand({ Name: `ordinary-${i}`, EventPattern: JSON.stringify(pattern) }));
    }
    assert.equal(await testPattern(b, patterns[1], { key: 'uploads/2025/receipts/r-1.pdf' }), true);
  });
});

describe('keys with dots and large nested events', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html, "Considerations when creating
  // event patterns": EventBridge joins nested field names with a dot, so `"state.status"` and `{"state": {"status"}}`
  // name the same field, in a pattern and in an event alike; the rest of the path must still be the same.
  test('a dotted key in the event is matched by the nested pattern, and a dotted key in the pattern matches the nested event', async (t) => {
    const b = await startTestBroker(t);
    const nestedPattern = { detail: { state: { status: ['running'] } } };
    const dottedPattern = { detail: { 'state.status': ['running'] } };
    assert.equal(await testPattern(b, nestedPattern, { 'state.status': 'running' }), true);
    assert.equal(await testPattern(b, dottedPattern, { state: { status: 'running' } }), true);
    assert.equal(await testPattern(b, dottedPattern, { 'state.status': 'running' }), true);
    assert.equal(await testPattern(b, nestedPattern, { state: { status: 'running' } }), true);
    // A longer or shorter path is another field.
    assert.equal(await testPattern(b, nestedPattern, { 'state.status': { status: 'running' } }), false);
    assert.equal(await testPattern(b, { detail: { 'state.status': { status: ['running'] } } }, { state: { status: 'running' } }), false);
    assert.equal(await testPattern(b, dottedPattern, { state: { status: 'stopped' } }), false);
    // Dotted and nested keys of one pattern are one set of fields, all of which must match.
    const mixed = { detail: { 'state.status': ['running'], state: { code: [16] } } };
    assert.equal(await testPattern(b, mixed, { state: { status: 'running', code: 16 } }), true);
    assert.equal(await testPattern(b, mixed, { 'state.status': 'running', state: { code: 16 } }), true);
    assert.equal(await testPattern(b, mixed, { state: { status: 'running', code: 80 } }), false);
    // exists:false sees the dotted key too.
    assert.equal(await testPattern(b, { detail: { state: { status: [{ exists: false }] } } }, { 'state.status': 'running' }), false);
  });

  test('PutEvents routes an event with dotted keys by the same rule, and the target receives the event as it was put', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    const nested = await ruleToQueue(b, 'nested', { source: [SOURCE], detail: { payment: { state: ['settled'] } } }, 'nested-rule');
    const dotted = await ruleToQueue(b, 'dotted', { source: [SOURCE], detail: { 'payment.state': ['settled'] } }, 'dotted-rule');
    const put = await b.events.send(
      new PutEventsCommand({
        Entries: [entry({ id: 'dotted', 'payment.state': 'settled' }), entry({ id: 'nested', payment: { state: 'settled' } }), entry({ id: 'other', 'payment.state': 'failed' })],
      }),
    );
    assert.equal(put.FailedEntryCount, 0);
    for (const url of [nested, dotted]) {
      const details = (await receiveCount(b.sqs, { QueueUrl: url }, 2)).map((m) => JSON.parse(m.Body!).detail);
      assert.deepEqual(details.sort((x, y) => x.id.localeCompare(y.id)), [{ id: 'dotted', 'payment.state': 'settled' }, { id: 'nested', payment: { state: 'settled' } }]);
      assert.deepEqual(await drain(b, url), []);
    }
  });

  // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html: "PutEvents will only process nested JSON up to
  // 1100 levels deep"; patterns reach into nested objects and arrays of objects at any depth of a large event.
  test('a large nested event is matched at depth, through arrays of objects and by a dotted path', async (t) => {
    const b = await startTestBroker(t);
    const detail = largeNestedDetail();
    assert.ok(JSON.stringify(detail).length > 30_000);
    const deep = { detail: { 'payload.nested.another-level.deep': { 'inside-list': [{ prefix: 'q-test' }] } } };
    assert.equal(await testPattern(b, deep, detail), true);
    assert.equal(await testPattern(b, { detail: { payload: { nested: { 'another-level': { deep: { 'inside-list': ['absent'] } } } } } }, detail), false);
    assert.equal(await testPattern(b, { detail: { payload: { nested: { 'block-39': { rows: { score: [{ numeric: ['>=', 39] }] } } } } } }, detail), true);

    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    const url = await ruleToQueue(b, 'deep', { source: [SOURCE], ...deep }, 'deep-target');
    assert.equal((await b.events.send(new PutEventsCommand({ Entries: [entry(detail)] }))).FailedEntryCount, 0);
    const [message] = await receiveCount(b.sqs, { QueueUrl: url }, 1);
    assert.deepEqual(JSON.parse(message!.Body!).detail, detail);
  });

  test('a detail nested 1100 levels deep is routed; one nested deeper fails its own entry, not the request', async (t) => {
    const b = await startTestBroker(t);
    await b.events.send(new CreateEventBusCommand({ Name: BUS }));
    const url = await ruleToQueue(b, 'deep', { source: [SOURCE], detail: { kind: ['deep'] } }, 'deepest');
    const nest = (levels: number): unknown => (levels === 0 ? 'bottom' : { n: nest(levels - 1) });
    // The detail object is level 1: `nest` adds the other 1099 levels, then 1100.
    const put = await b.events.send(new PutEventsCommand({ Entries: [entry({ kind: 'deep', nest: nest(1099) }), entry({ kind: 'deep', nest: nest(1100) })] }));
    // AWS documents the 1100 levels, not what it answers beyond them: the broker fails that entry as MalformedDetail.
    assert.equal(put.FailedEntryCount, 1);
    assert.ok(put.Entries?.[0]?.EventId);
    assert.equal(put.Entries?.[1]?.ErrorCode, 'MalformedDetail');
    const [message] = await receiveCount(b.sqs, { QueueUrl: url }, 1);
    assert.equal(JSON.parse(message!.Body!).detail.kind, 'deep');
  });
});

/**
 * A detail of some 38 KB, nine levels deep, objects and arrays of objects
 * mixed: 80 blocks of generated fields under payload.nested, and
 * `another-level` with an array `deep` whose first element holds the value a
 * test looks for.
 */
function largeNestedDetail(): Record<string, unknown> {
  let seed = 18;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const word = (length: number) => Array.from({ length }, () => String.fromCharCode(97 + (next() % 26))).join('');
  const fields = (count: number) => Object.fromEntries(Array.from({ length: count }, () => [word(8), next() % 2 ? word(24) : next() % 1000]));
  const nested: Record<string, unknown> = {};
  for (let i = 0; i < 80; i++) {
    nested[`block-${i}`] = { ...fields(6), rows: Array.from({ length: 3 }, (_, r) => ({ ...fields(4), score: i - r, tags: [word(5), word(5)] })), meta: { inner: fields(3) } };
  }
  nested['another-level'] = {
    ...fields(4),
    deep: [{ 'inside-list': 'q-test-value', ...fields(2) }, { ...fields(3) }, { ...fields(3), more: [{ level: { leaf: word(6) } }] }],
  };
  return { source: 'lambda.amazonaws.com', correlationUuid: 'a26f70c2-e071-459f-8b87-81fdfb43e28a', retryCount: 0, metadata: {}, payload: { ...fields(5), nested } };
}
