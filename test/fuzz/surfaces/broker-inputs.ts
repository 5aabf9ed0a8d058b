import fc from 'fast-check';
import { EVENTBRIDGE_ACTIONS } from '../../../services/broker/eventbridge/index.ts';
import { SQS_ACTIONS } from '../../../services/broker/sqs/index.ts';
import { anyText, hugeText, wrongTypes } from '../hostile.ts';
import type { Learnt } from '../world.ts';
import type { BrokerResources } from './broker-resources.ts';

/**
 * Inputs for the broker's three protocols: every SQS and EventBridge action
 * the broker answers (its own lists), unknown and prototype-named ones, each
 * with parameters drawn around a valid request and then broken. Names and
 * ARNs are references resolved against the fuzzer's own queues and buses
 * (broker-resources.ts); the platform's own names appear only in actions
 * that read.
 */

type NameKind =
  | 'queue-url'
  | 'queue-name'
  | 'queue-arn'
  | 'fifo-url'
  | 'fifo-name'
  | 'dlq-url'
  | 'dlq-arn'
  | 'bus-name'
  | 'bus-arn'
  | 'rule-name'
  | 'archive-name'
  | 'archive-arn'
  | 'replay-name'
  | 'platform-name'
  | 'platform-queue-url'
  | 'platform-queue-arn'
  | 'receipt'
  | 'task-handle'
  | 'account';

const NAME_KEY = '$broker';
type Named = { [NAME_KEY]: NameKind; n: number };
const named = (kind: NameKind) => fc.nat(15).map((n): Named => ({ [NAME_KEY]: kind, n }));

/** Resolves every name reference in `value` against the fuzzer's resources and what answers taught it. */
export function resolveNames(value: unknown, resources: BrokerResources, learnt: Learnt): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveNames(v, resources, learnt));
  if (value === null || typeof value !== 'object') return value;
  if (Object.hasOwn(value, '$redrive')) {
    const arn = resolveNames((value as { $redrive: Named }).$redrive, resources, learnt);
    return JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 3 });
  }
  if (Object.hasOwn(value, NAME_KEY)) {
    const { [NAME_KEY]: kind, n } = value as Named;
    const pick = <T>(list: T[]) => list[n % list.length]!;
    switch (kind) {
      case 'queue-url':
        return resources.queueUrl(pick(resources.queues));
      case 'queue-name':
        return pick(resources.queues);
      case 'queue-arn':
        return resources.queueArn(pick([...resources.queues, ...resources.fifoQueues]));
      case 'fifo-url':
        return resources.queueUrl(pick(resources.fifoQueues));
      case 'fifo-name':
        return pick(resources.fifoQueues);
      case 'dlq-url':
        return resources.queueUrl(pick(resources.deadLetterQueues));
      case 'dlq-arn':
        return resources.queueArn(pick(resources.deadLetterQueues));
      case 'bus-name':
        return pick(resources.buses);
      case 'bus-arn':
        return resources.busArn(pick(resources.buses));
      case 'rule-name':
        return pick(resources.rules);
      case 'archive-name':
        return pick(resources.archives);
      case 'archive-arn':
        return resources.archiveArn(pick(resources.archives));
      case 'replay-name':
        return pick(resources.replays);
      case 'platform-name':
        return pick(resources.platformNames);
      case 'platform-queue-url':
        return resources.queueUrl(pick(resources.platformNames));
      case 'platform-queue-arn':
        return resources.queueArn(pick(resources.platformNames));
      case 'receipt':
        return learnt.pick('receipt', n, 'AQEBnot-a-receipt-handle');
      case 'task-handle':
        return learnt.pick('task-handle', n, 'not-a-task-handle');
      case 'account':
        return resources.accountId;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) Object.defineProperty(out, key, { value: resolveNames(child, resources, learnt), enumerable: true, writable: true, configurable: true });
  return out;
}

/** Names that are no resource at all: malformed, other accounts' ARNs, prototype names. */
const BAD_NAMES = fc.constantFrom(
  '',
  'no-such-queue',
  'a'.repeat(81),
  'bad name!',
  'queue.fifo.fifo',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'http://127.0.0.1:1/000000000000/nothing',
  'http://169.254.169.254/latest/meta-data',
  '/000000000000/',
  'arn:aws:sqs:us-east-1:123456789012:elsewhere',
  'arn:aws:sqs:::',
  'arn:aws:events:us-east-1:000000000000:event-bus/',
  'arn:aws:lambda:us-east-1:000000000000:function:f',
  'arn',
  '../../etc',
  '😀',
);
const badOr = (arbitrary: fc.Arbitrary<unknown>) => fc.oneof({ weight: 6, arbitrary }, { weight: 1, arbitrary: BAD_NAMES }, { weight: 1, arbitrary: anyText });
const count = fc.oneof(fc.integer({ min: -2, max: 12 }), fc.constantFrom(0, 10, 11, 1000, 2 ** 31, -(2 ** 31), 1.5), fc.constantFrom('1', 'abc', '', '1e1'));
/** Waits a long poll may ask for: at most a second when valid, so a slot is never held for long. */
const wait = fc.oneof(fc.constantFrom(0, 1, -1, 21, 99999, 1.5), fc.constantFrom('0', '1', 'x', ''));
const body = fc.oneof({ weight: 12, arbitrary: fc.string({ maxLength: 60 }) }, { weight: 4, arbitrary: anyText }, { weight: 2, arbitrary: hugeText }, { weight: 1, arbitrary: fc.constantFrom('x'.repeat(1024 * 1024), 'x'.repeat(1024 * 1024 + 1), '\u0000', '\ud800', '\uffff') });
/** A batch entry's body: ten of SQS's largest would be a 10 MiB request, so only a few entries together pass the 1 MiB total. */
const batchBody = fc.oneof({ weight: 12, arbitrary: fc.string({ maxLength: 60 }) }, { weight: 4, arbitrary: anyText }, { weight: 1, arbitrary: fc.constant('x'.repeat(600 * 1024)) });
const attributeValue = fc.oneof(
  fc.record({ DataType: fc.constantFrom('String', 'Number', 'Binary', 'String.custom', 'Number.1', 'Nope', ''), StringValue: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('1e400', 'NaN', '-0', '')) }),
  fc.record({ DataType: fc.constant('Binary'), BinaryValue: fc.constantFrom('AAAA', 'not base64!', '') }),
  wrongTypes,
);
const messageAttributes = fc.dictionary(fc.oneof(fc.constantFrom('a', 'AWS.x', 'amazon.y', '.dot', 'dot.', 'a..b', 'ü', '__proto__', 'x'.repeat(257)), fc.string({ maxLength: 10 })), attributeValue, { maxKeys: 12 });
const queueAttributes = fc.dictionary(
  fc.constantFrom('VisibilityTimeout', 'DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ReceiveMessageWaitTimeSeconds', 'RedrivePolicy', 'RedriveAllowPolicy', 'FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit', 'Policy', 'KmsMasterKeyId', 'SqsManagedSseEnabled', 'QueueArn', 'Nope', '__proto__'),
  fc.oneof(
    fc.constantFrom('0', '1', '-1', '30', '43201', '900', '901', '1024', '1048576', '1048577', '60', '1209601', 'true', 'false', 'TRUE', '', 'x', 'perQueue', 'messageGroup', '{}', '{"deadLetterTargetArn":"x","maxReceiveCount":"0"}', '{"redrivePermission":"denyAll"}'),
    named('dlq-arn').map((arn) => ({ $redrive: arn })),
  ),
  { maxKeys: 4 },
);

/** A queue to address: the fuzzer's, mostly; malformed ones otherwise. */
const queueUrl = badOr(fc.oneof(named('queue-url'), named('fifo-url'), named('dlq-url'), named('queue-name')));
const readableQueueUrl = fc.oneof(queueUrl, named('platform-queue-url'));
const entriesOf = <T>(entry: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: fc.array(entry, { minLength: 1, maxLength: 10 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 11, 50).chain((n) => fc.array(entry, { minLength: n, maxLength: n })) }, { weight: 1, arbitrary: wrongTypes });
const entryId = fc.oneof(fc.constantFrom('a', 'b', 'a', '1'), anyText, fc.constantFrom('x'.repeat(81), 'has space', ''));

/** Inputs per SQS action, in the JSON protocol's shape. */
export const SQS_INPUTS: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  CreateQueue: fc.record({ QueueName: badOr(fc.oneof(named('queue-name'), named('fifo-name'))), Attributes: queueAttributes, tags: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }) }, { requiredKeys: ['QueueName'] }),
  GetQueueUrl: fc.record({ QueueName: badOr(fc.oneof(named('queue-name'), named('platform-name'))), QueueOwnerAWSAccountId: fc.oneof(named('account'), fc.constantFrom('123456789012', 'x')) }, { requiredKeys: ['QueueName'] }),
  ListQueues: fc.record({ QueueNamePrefix: fc.oneof(fc.constantFrom('', 'fuzz', 'pay', '%', '*'), anyText), MaxResults: count, NextToken: fc.oneof(fc.constantFrom('x', ''), anyText) }, { requiredKeys: [] }),
  DeleteQueue: fc.record({ QueueUrl: queueUrl }),
  GetQueueAttributes: fc.record({ QueueUrl: readableQueueUrl, AttributeNames: fc.array(fc.constantFrom('All', 'QueueArn', 'ApproximateNumberOfMessages', 'Nope', '__proto__', ''), { maxLength: 4 }) }, { requiredKeys: ['QueueUrl'] }),
  SetQueueAttributes: fc.record({ QueueUrl: queueUrl, Attributes: queueAttributes }),
  PurgeQueue: fc.record({ QueueUrl: queueUrl }),
  ListDeadLetterSourceQueues: fc.record({ QueueUrl: readableQueueUrl, MaxResults: count, NextToken: fc.string({ maxLength: 10 }) }, { requiredKeys: ['QueueUrl'] }),
  TagQueue: fc.record({ QueueUrl: queueUrl, Tags: fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('aws:x', '', 'x'.repeat(129))), fc.oneof(fc.string({ maxLength: 10 }), fc.constant('y'.repeat(257))), { maxKeys: 60 }) }),
  UntagQueue: fc.record({ QueueUrl: queueUrl, TagKeys: fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }) }),
  ListQueueTags: fc.record({ QueueUrl: readableQueueUrl }),
  AddPermission: fc.record({ QueueUrl: queueUrl, Label: fc.oneof(fc.constantFrom('l', 'x'.repeat(81), ''), anyText), AWSAccountIds: fc.array(fc.constantFrom('123456789012', 'x', ''), { maxLength: 3 }), Actions: fc.array(fc.constantFrom('SendMessage', '*', 'Nope', 'CreateQueue'), { maxLength: 3 }) }),
  RemovePermission: fc.record({ QueueUrl: queueUrl, Label: fc.constantFrom('l', 'nope', '') }),
  SendMessage: fc.record(
    {
      QueueUrl: queueUrl,
      MessageBody: body,
      DelaySeconds: fc.constantFrom(0, 1, 900, 901, -1, '5'),
      MessageAttributes: messageAttributes,
      MessageSystemAttributes: fc.constantFrom({}, { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-abc' } }, { Nope: { DataType: 'String', StringValue: 'x' } }, { AWSTraceHeader: { DataType: 'Number', StringValue: '1' } }),
      MessageGroupId: fc.oneof(fc.constantFrom('g', 'x'.repeat(129), '', 'ü'), anyText),
      MessageDeduplicationId: fc.oneof(fc.constantFrom('d', 'x'.repeat(129), ''), anyText),
    },
    { requiredKeys: ['QueueUrl', 'MessageBody'] },
  ),
  SendMessageBatch: fc.record({
    QueueUrl: queueUrl,
    Entries: entriesOf(fc.record({ Id: entryId, MessageBody: batchBody, DelaySeconds: fc.constantFrom(0, 901), MessageGroupId: fc.constantFrom('g', 'h'), MessageDeduplicationId: fc.string({ maxLength: 8 }), MessageAttributes: messageAttributes }, { requiredKeys: ['Id', 'MessageBody'] })),
  }),
  ReceiveMessage: fc.record(
    {
      QueueUrl: queueUrl,
      MaxNumberOfMessages: count,
      VisibilityTimeout: fc.constantFrom(0, 1, 30, 43201, -1, 'x'),
      WaitTimeSeconds: wait,
      AttributeNames: fc.array(fc.constantFrom('All', 'SentTimestamp', 'Nope'), { maxLength: 3 }),
      MessageSystemAttributeNames: fc.array(fc.constantFrom('All', 'ApproximateReceiveCount', 'Nope'), { maxLength: 3 }),
      MessageAttributeNames: fc.array(fc.constantFrom('All', '.*', 'a.*', 'a', '.', ''), { maxLength: 3 }),
      ReceiveRequestAttemptId: fc.oneof(fc.constantFrom('r', 'x'.repeat(129)), anyText),
    },
    { requiredKeys: ['QueueUrl'] },
  ),
  DeleteMessage: fc.record({ QueueUrl: queueUrl, ReceiptHandle: badOr(named('receipt')) }),
  DeleteMessageBatch: fc.record({ QueueUrl: queueUrl, Entries: entriesOf(fc.record({ Id: entryId, ReceiptHandle: badOr(named('receipt')) })) }),
  ChangeMessageVisibility: fc.record({ QueueUrl: queueUrl, ReceiptHandle: badOr(named('receipt')), VisibilityTimeout: fc.constantFrom(0, 10, 43200, 43201, -1, 'x') }),
  ChangeMessageVisibilityBatch: fc.record({ QueueUrl: queueUrl, Entries: entriesOf(fc.record({ Id: entryId, ReceiptHandle: badOr(named('receipt')), VisibilityTimeout: fc.constantFrom(0, 43201, -1) })) }),
  StartMessageMoveTask: fc.record({ SourceArn: badOr(fc.oneof(named('dlq-arn'), named('queue-arn'))), DestinationArn: badOr(named('queue-arn')), MaxNumberOfMessagesPerSecond: fc.constantFrom(1, 500, 501, 0, -1, 'x') }, { requiredKeys: ['SourceArn'] }),
  ListMessageMoveTasks: fc.record({ SourceArn: badOr(fc.oneof(named('dlq-arn'), named('platform-queue-arn'))), MaxResults: count }, { requiredKeys: ['SourceArn'] }),
  CancelMessageMoveTask: fc.record({ TaskHandle: badOr(named('task-handle')) }),
};

/** A pattern, valid or not: what PutRule, TestEventPattern and CreateArchive parse. */
const pattern = fc.oneof(
  fc.constantFrom(
    '{"source":[{"prefix":"fuzz."}]}',
    '{"source":["fuzz.a"],"detail":{"n":[{"numeric":[">",0,"<=",5]}]}}',
    '{"detail":{"x":[{"anything-but":{"prefix":"a"}}]}}',
    '{"detail":{"x":[{"wildcard":"*a*b*c*d*e*f*"}]}}',
    '{"detail":{"x":[{"exists":false}]}}',
    '{"detail":{"x":[{"cidr":"10.0.0.0/24"}]}}',
    '{"detail":{"x":[{"equals-ignore-case":"A"}]}}',
    '{"detail":{"x":[{"suffix":""}]}}',
    '{"detail":{"a.b":["c"]}}',
    '{"$or":[{"source":["fuzz.a"]},{"detail-type":["x"]}]}',
    '{"source":[]}',
    '{"source":"fuzz.a"}',
    '{"source":[{"numeric":["<"]}]}',
    '{"source":[{"numeric":[">",1e400]}]}',
    '{"source":[{"prefix":1}]}',
    '{"source":[{"nope":1}]}',
    '{"__proto__":{"x":[1]}}',
    '{}',
    '[]',
    'null',
    '',
    '{',
    `{"detail":${'{"a":'.repeat(200)}["x"]${'}'.repeat(200)}}`,
    `{"detail":{"x":[${Array.from({ length: 2000 }, (_, i) => `"v${i}"`).join(',')}]}}`,
    `{"detail":{"x":[{"wildcard":"${'*a'.repeat(100)}"}]}}`,
  ),
  fc.json({ maxDepth: 3 }),
  anyText,
);
const detail = fc.oneof(
  fc.constantFrom('{}', '{"n":3,"x":"a"}', '{"a":{"b":"c"}}', '{"a.b":"c"}', `${'{"a":'.repeat(1200)}1${'}'.repeat(1200)}`, `{"x":"${'y'.repeat(300_000)}"}`, '[1,2]', '"s"', 'not json', '', '{"__proto__":{"p":1}}'),
  fc.json({ maxDepth: 4 }),
);
const entry = fc.record(
  {
    Source: fc.oneof(fc.constantFrom('fuzz.a', 'fuzz.b', 'fuzz.', '', 'aws.events', 'x'.repeat(257)), anyText.filter((s) => !s.startsWith('paypal-clone'))),
    DetailType: fc.oneof(fc.constantFrom('Fuzz event', '', 'x'.repeat(129)), anyText),
    Detail: detail,
    EventBusName: badOr(fc.oneof(named('bus-name'), named('bus-arn'))),
    Resources: fc.array(fc.oneof(fc.constant('arn:aws:s3:::b'), anyText), { maxLength: 3 }),
    Time: fc.constantFrom('2026-01-01T00:00:00Z', 'yesterday', 0, -1, 1e20, ''),
    TraceHeader: fc.constantFrom('Root=1-abc', ''),
  },
  { requiredKeys: ['Source', 'DetailType', 'Detail', 'EventBusName'] },
);
const target = fc.record(
  {
    Id: entryId,
    Arn: badOr(named('queue-arn')),
    Input: fc.oneof(fc.constantFrom('{"a":1}', 'not json', ''), anyText),
    InputPath: fc.constantFrom('$.detail', '$', '$..x', '$.detail[0', 'detail', '$.__proto__'),
    InputTransformer: fc.record({
      InputPathsMap: fc.dictionary(fc.constantFrom('a', 'b', 'aws.x', '__proto__', ''), fc.constantFrom('$.detail.x', '$', 'x', '$[', '$.detail.__proto__'), { maxKeys: 3 }),
      InputTemplate: fc.oneof(fc.constantFrom('"<a>"', '{"x": <a>}', '<b> and <c>', '<<a>>', '{"x": "<aws.events.event.json>"}', ''), anyText),
    }),
    RetryPolicy: fc.record({ MaximumRetryAttempts: fc.constantFrom(0, 185, 186, -1), MaximumEventAgeInSeconds: fc.constantFrom(59, 60, 86400, 86401) }),
    DeadLetterConfig: fc.record({ Arn: badOr(named('dlq-arn')) }),
    SqsParameters: fc.record({ MessageGroupId: fc.constantFrom('g', '', 'x'.repeat(129)) }),
  },
  { requiredKeys: ['Id', 'Arn'] },
);
const busName = badOr(fc.oneof(named('bus-name'), named('bus-arn')));
const readableBus = fc.oneof(busName, named('platform-name'));
const limit = fc.oneof(fc.integer({ min: -1, max: 101 }), fc.constantFrom('10', 1.5, 2 ** 40));
const time = fc.constantFrom('2020-01-01T00:00:00Z', '2999-01-01T00:00:00Z', 0, 1e12, -1, 'x', '');

/** Inputs per EventBridge action (JSON 1.1 shapes). */
export const EVENTBRIDGE_INPUTS: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  CreateEventBus: fc.record({ Name: badOr(named('bus-name')), EventSourceName: fc.constantFrom('aws.partner/x', 'x'), Tags: fc.array(fc.record({ Key: fc.string({ maxLength: 5 }), Value: fc.string({ maxLength: 5 }) }), { maxLength: 3 }) }, { requiredKeys: ['Name'] }),
  DescribeEventBus: fc.record({ Name: readableBus }, { requiredKeys: [] }),
  ListEventBuses: fc.record({ NamePrefix: fc.oneof(fc.constantFrom('', 'fuzz', 'pay'), anyText), Limit: limit, NextToken: fc.string({ maxLength: 8 }) }, { requiredKeys: [] }),
  DeleteEventBus: fc.record({ Name: badOr(named('bus-name')) }),
  PutPermission: fc.record({ EventBusName: busName, Action: fc.constantFrom('events:PutEvents', 'events:*', 'nope'), Principal: fc.constantFrom('123456789012', '*', 'x'), StatementId: fc.oneof(fc.constantFrom('s1', 'x'.repeat(65), ''), anyText), Policy: fc.oneof(fc.constantFrom('{"Version":"2012-10-17","Statement":[]}', '{', ''), anyText) }, { requiredKeys: [] }),
  RemovePermission: fc.record({ EventBusName: busName, StatementId: fc.constantFrom('s1', 'nope', ''), RemoveAllPermissions: fc.oneof(fc.boolean(), wrongTypes) }, { requiredKeys: [] }),
  PutRule: fc.record({ Name: badOr(named('rule-name')), EventBusName: busName, EventPattern: pattern, ScheduleExpression: fc.constantFrom('rate(5 minutes)', 'cron(x)', ''), State: fc.constantFrom('ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS', 'nope'), Description: fc.oneof(fc.constant('d'), hugeText) }, { requiredKeys: ['Name'] }),
  DescribeRule: fc.record({ Name: fc.oneof(badOr(named('rule-name')), named('platform-name')), EventBusName: readableBus }, { requiredKeys: ['Name'] }),
  ListRules: fc.record({ NamePrefix: fc.string({ maxLength: 8 }), EventBusName: readableBus, Limit: limit, NextToken: fc.string({ maxLength: 8 }) }, { requiredKeys: [] }),
  ListRuleNamesByTarget: fc.record({ TargetArn: fc.oneof(badOr(named('queue-arn')), named('platform-queue-arn')), EventBusName: readableBus, Limit: limit }, { requiredKeys: ['TargetArn'] }),
  DeleteRule: fc.record({ Name: badOr(named('rule-name')), EventBusName: busName, Force: fc.oneof(fc.boolean(), wrongTypes) }, { requiredKeys: ['Name'] }),
  EnableRule: fc.record({ Name: badOr(named('rule-name')), EventBusName: busName }, { requiredKeys: ['Name'] }),
  DisableRule: fc.record({ Name: badOr(named('rule-name')), EventBusName: busName }, { requiredKeys: ['Name'] }),
  TestEventPattern: fc.record({ EventPattern: pattern, Event: fc.oneof(fc.constantFrom('{"id":"1","source":"fuzz.a","detail-type":"x","account":"1","region":"r","time":"2026-01-01T00:00:00Z","resources":[],"detail":{"x":"a","n":3}}', '{}', '', '{'), fc.json({ maxDepth: 3 })) }),
  PutTargets: fc.record({ Rule: badOr(named('rule-name')), EventBusName: busName, Targets: entriesOf(target) }),
  ListTargetsByRule: fc.record({ Rule: fc.oneof(badOr(named('rule-name')), named('platform-name')), EventBusName: readableBus, Limit: limit }, { requiredKeys: ['Rule'] }),
  RemoveTargets: fc.record({ Rule: badOr(named('rule-name')), EventBusName: busName, Ids: fc.array(entryId, { maxLength: 3 }), Force: fc.boolean() }, { requiredKeys: ['Rule'] }),
  PutEvents: fc.record({ Entries: entriesOf(entry) }),
  CreateArchive: fc.record({ ArchiveName: badOr(named('archive-name')), EventSourceArn: badOr(named('bus-arn')), EventPattern: pattern, RetentionDays: fc.constantFrom(0, 1, -1, 2 ** 40, 'x'), Description: fc.string({ maxLength: 10 }) }, { requiredKeys: ['ArchiveName', 'EventSourceArn'] }),
  DescribeArchive: fc.record({ ArchiveName: badOr(named('archive-name')) }),
  ListArchives: fc.record({ NamePrefix: fc.string({ maxLength: 5 }), EventSourceArn: badOr(named('bus-arn')), State: fc.constantFrom('ENABLED', 'nope'), Limit: limit }, { requiredKeys: [] }),
  UpdateArchive: fc.record({ ArchiveName: badOr(named('archive-name')), EventPattern: pattern, RetentionDays: fc.constantFrom(0, 1, -1, 'x'), Description: fc.string({ maxLength: 10 }) }, { requiredKeys: ['ArchiveName'] }),
  DeleteArchive: fc.record({ ArchiveName: badOr(named('archive-name')) }),
  StartReplay: fc.record({ ReplayName: badOr(named('replay-name')), EventSourceArn: badOr(named('archive-arn')), EventStartTime: time, EventEndTime: time, Destination: fc.record({ Arn: badOr(named('bus-arn')), FilterArns: fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }) }, { requiredKeys: ['Arn'] }), Description: fc.string({ maxLength: 10 }) }, { requiredKeys: ['ReplayName', 'EventSourceArn', 'Destination'] }),
  DescribeReplay: fc.record({ ReplayName: badOr(named('replay-name')) }),
  ListReplays: fc.record({ NamePrefix: fc.string({ maxLength: 5 }), State: fc.constantFrom('RUNNING', 'nope'), EventSourceArn: badOr(named('archive-arn')), Limit: limit }, { requiredKeys: [] }),
  CancelReplay: fc.record({ ReplayName: badOr(named('replay-name')) }),
};

/** Action names that are no action: unknown, prototype-named, near misses. */
export const UNKNOWN_ACTIONS = ['constructor', '__proto__', 'hasOwnProperty', 'toString', 'valueOf', 'prototype', 'isPrototypeOf', '__defineGetter__', 'Nope', '', 'sendmessage', 'SendMessage ', 'ListQueues\u0000', 'PutEvents2', 'A'.repeat(200)];

/** Breaks a valid input: drops a field, gives one the wrong type, adds prototype-named or unknown ones. */
export type InputMutation = { kind: 'drop'; key: number } | { kind: 'wrong'; key: number; value: unknown } | { kind: 'extra'; key: string; value: unknown };
export const inputMutation: fc.Arbitrary<InputMutation> = fc.oneof(
  fc.nat(8).map((key) => ({ kind: 'drop' as const, key })),
  fc.tuple(fc.nat(8), fc.oneof(wrongTypes, anyText)).map(([key, value]) => ({ kind: 'wrong' as const, key, value })),
  fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'Nope', 'QueueUrl', 'toString'), wrongTypes).map(([key, value]) => ({ kind: 'extra' as const, key, value })),
);

export function mutateInput(input: Record<string, unknown>, mutations: InputMutation[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  for (const m of mutations) {
    const keys = Object.keys(out);
    if (m.kind === 'extra') {
      Object.defineProperty(out, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      continue;
    }
    const key = keys[m.key % Math.max(1, keys.length)];
    if (key === undefined) continue;
    if (m.kind === 'drop') delete out[key];
    // A wrong value never replaces a name with a platform one: it is a type or text from the hostile pools.
    else out[key] = m.value;
  }
  return out;
}

/** Every action each half answers, plus the ones it must refuse. */
export const SQS_ACTION_NAMES = SQS_ACTIONS;
export const EVENTBRIDGE_ACTION_NAMES = EVENTBRIDGE_ACTIONS;

/** Receipt handles and move-task handles answers carry, kept for later inputs. */
export function learnFrom(answer: unknown, learnt: Learnt): void {
  if (answer === null || typeof answer !== 'object') return;
  const a = answer as { Messages?: Array<{ ReceiptHandle?: string }>; TaskHandle?: string };
  for (const m of a.Messages ?? []) if (m.ReceiptHandle) learnt.add('receipt', m.ReceiptHandle);
  if (a.TaskHandle) learnt.add('task-handle', a.TaskHandle);
}

/** The long-poll wait an input asks for, in ms (for the 5 s rule), when the broker could take it as valid. */
export function requestedWaitMs(action: string, input: Record<string, unknown>): number {
  if (action !== 'ReceiveMessage') return 0;
  const seconds = Number(input.WaitTimeSeconds);
  return Number.isFinite(seconds) && seconds > 0 && seconds <= 20 ? seconds * 1000 : 0;
}
