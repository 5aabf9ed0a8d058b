import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matchesPattern, parseEventPattern, validateEventPattern } from '../pattern.ts';

/**
 * Cases from the EventBridge user guide ("Content filtering in event
 * patterns", "Comparison operators", "Arrays in event patterns", "Matching
 * null values and empty strings") and aws/event-ruler's README, which the
 * guide's pages are drawn from.
 */

// The guide's sample EC2 event.
const ec2Event = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

function withDetail(detail: Record<string, unknown>) {
  return { ...ec2Event, detail };
}

interface Case {
  name: string;
  pattern: unknown;
  matches: unknown[];
  rejects: unknown[];
}

const cases: Case[] = [
  {
    name: 'exact values in arrays match any listed value, and an event array matches when the arrays intersect',
    pattern: {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
      detail: { state: ['initializing', 'running'] },
    },
    matches: [ec2Event, withDetail({ state: 'initializing' })],
    rejects: [withDetail({ state: 'stopped' }), { ...ec2Event, resources: ['arn:aws:ec2:us-east-1:123456789012:instance/other'] }],
  },
  {
    name: 'the seed routing pattern selects transaction-service events by source and detail-type',
    pattern: { source: ['paypal-clone.transaction-service'], 'detail-type': ['Transaction completed'] },
    matches: [{ source: 'paypal-clone.transaction-service', 'detail-type': 'Transaction completed', detail: {} }],
    rejects: [
      { source: 'paypal-clone.transaction-service', 'detail-type': 'Transaction failed', detail: {} },
      { source: 'paypal-clone.user-service', 'detail-type': 'Transaction completed', detail: {} },
    ],
  },
  {
    name: 'an event pattern array matches an event array when any element is shared',
    pattern: {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    },
    matches: [
      {
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        ],
      },
    ],
    rejects: [{ resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] }, { resources: [] }],
  },
  {
    name: 'a prefix pattern matches string values that start with it',
    pattern: { time: [{ prefix: '2017-10-02' }] },
    matches: [ec2Event],
    rejects: [{ ...ec2Event, time: '2017-10-03T00:00:00Z' }, { time: 20171002 }],
  },
  {
    name: 'a prefix pattern with equals-ignore-case ignores the case of the prefix',
    pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    matches: [withDetail({ service: 'EventBridge' }), withDetail({ service: 'EVENTBRIDGE' }), withDetail({ service: 'eventbus' })],
    rejects: [withDetail({ service: 'SNS' })],
  },
  {
    name: 'a suffix pattern matches string values that end with it',
    pattern: { FileName: [{ suffix: '.png' }] },
    matches: [{ FileName: 'image.png' }],
    rejects: [{ FileName: 'image.jpg' }, { FileName: 'image.PNG' }],
  },
  {
    name: 'a suffix pattern with equals-ignore-case ignores the case of the suffix',
    pattern: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    matches: [withDetail({ FileName: 'image.png' }), withDetail({ FileName: 'image.PNG' })],
    rejects: [withDetail({ FileName: 'image.gif' })],
  },
  {
    name: 'equals-ignore-case matches a string in any case',
    pattern: { Name: [{ 'equals-ignore-case': 'alice' }] },
    matches: [{ Name: 'Alice' }, { Name: 'ALICE' }],
    rejects: [{ Name: 'Alicia' }],
  },
  {
    name: 'an anything-but string excludes that value only',
    pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
    matches: [ec2Event],
    rejects: [withDetail({ state: 'initializing' }), withDetail({})],
  },
  {
    name: 'an anything-but number excludes that number only',
    pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    matches: [ec2Event],
    rejects: [withDetail({ 'x-limit': 123 })],
  },
  {
    name: 'an anything-but list of strings excludes every listed value',
    pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    matches: [ec2Event],
    rejects: [withDetail({ state: 'stopped' }), withDetail({ state: 'overloaded' })],
  },
  {
    name: 'an anything-but list of numbers excludes every listed number',
    pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
    matches: [ec2Event],
    rejects: [withDetail({ 'x-limit': 200 })],
  },
  {
    name: 'an anything-but prefix pattern excludes matching sources',
    pattern: { source: [{ 'anything-but': { prefix: 'aws.' } }] },
    matches: [{ source: 'paypal-clone.transaction-service' }],
    rejects: [{ source: 'aws.ec2' }],
  },
  {
    name: 'an anything-but suffix pattern excludes values with that ending',
    pattern: { FileName: [{ 'anything-but': { suffix: '.png' } }] },
    matches: [{ FileName: 'notes.txt' }],
    rejects: [{ FileName: 'image.png' }],
  },
  {
    name: 'an anything-but equals-ignore-case pattern excludes the value in any case, singly or as a list',
    pattern: { state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] },
    matches: [{ state: 'running' }],
    rejects: [{ state: 'INITIALIZING' }, { state: 'Stopped' }],
  },
  {
    name: 'an anything-but wildcard pattern excludes paths that match it',
    pattern: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
    matches: [{ FilePath: '/usr/bin/node' }],
    rejects: [{ FilePath: '/usr/lib/libc.so' }],
  },
  {
    name: 'numeric ranges combine with AND across fields and accept exponent notation',
    pattern: {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    },
    matches: [ec2Event],
    rejects: [
      withDetail({ ...ec2Event.detail, 'c-count': 6 }),
      withDetail({ ...ec2Event.detail, 'c-count': 0 }),
      withDetail({ ...ec2Event.detail, 'd-count': 10 }),
      withDetail({ ...ec2Event.detail, 'x-limit': '301.8' }),
    ],
  },
  {
    name: 'numeric >= and < bounds are inclusive and exclusive respectively',
    pattern: { amount: [{ numeric: ['>=', 10, '<', 20] }] },
    matches: [{ amount: 10 }, { amount: 19.999999 }],
    rejects: [{ amount: 20 }, { amount: 9.99 }, { amount: '15' }],
  },
  {
    name: 'numbers compare with six decimal digits',
    pattern: { amount: [{ numeric: ['=', 1.0000001] }] },
    matches: [{ amount: 1.0000002 }, { amount: 1 }],
    rejects: [{ amount: 1.000001 }],
  },
  {
    name: 'an exact number matches the same number in any notation but not a string',
    pattern: { amount: [300] },
    matches: [{ amount: 300 }, { amount: 3.0e2 }],
    rejects: [{ amount: '300' }, { amount: 301 }],
  },
  {
    name: 'cidr matches IPv4 addresses in the block',
    pattern: { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } },
    matches: [ec2Event, withDetail({ 'source-ip': '10.0.0.255' })],
    rejects: [withDetail({ 'source-ip': '10.0.1.1' }), withDetail({ 'source-ip': 'not-an-ip' })],
  },
  {
    name: 'cidr matches IPv6 addresses in the block',
    pattern: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] },
    matches: [{ sourceIPAddress: '2001:db8::1' }, { sourceIPAddress: '2001:0db8:ffff::' }],
    rejects: [{ sourceIPAddress: '2001:db9::1' }, { sourceIPAddress: '10.0.0.1' }],
  },
  {
    name: 'exists true matches a present leaf, null included, but not an object or an absent field',
    pattern: { detail: { state: [{ exists: true }] } },
    matches: [ec2Event, withDetail({ state: null })],
    rejects: [withDetail({ 'c-count': { c1: 100 } }), withDetail({ state: { nested: 'x' } })],
  },
  {
    name: 'exists false matches an absent field and a field that is not a leaf',
    pattern: { detail: { 'c-count': [{ exists: false }] } },
    matches: [withDetail({ state: ['initializing', 'running'] }), withDetail({ 'c-count': { c1: 100 } })],
    rejects: [ec2Event],
  },
  {
    name: 'a wildcard matches any run of characters, including none',
    pattern: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
    matches: [{ EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/paypal-clone-events' }, { EventBusArn: 'arn:aws:events:us-east-1::event-bus/' }],
    rejects: [{ EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/x' }],
  },
  {
    name: 'an escaped asterisk in a wildcard is a literal asterisk',
    pattern: { name: [{ wildcard: 'a\\*b*' }] },
    matches: [{ name: 'a*b' }, { name: 'a*bcd' }],
    rejects: [{ name: 'axb' }],
  },
  {
    name: 'an empty string and null are values that can be matched exactly',
    pattern: { LastName: [''], responseElements: [null] },
    matches: [{ LastName: '', responseElements: null }],
    rejects: [{ LastName: 'Smith', responseElements: null }, { LastName: '' }, { LastName: '', responseElements: {} }],
  },
  {
    name: '$or matches when any branch matches, ANDed with the other fields',
    pattern: {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    },
    matches: [
      { source: 'aws.cloudwatch', metricName: 'CPUUtilization' },
      { source: 'aws.cloudwatch', namespace: 'AWS/ES' },
    ],
    rejects: [{ source: 'aws.cloudwatch', metricName: 'DiskIO' }, { source: 'aws.ec2', metricName: 'CPUUtilization' }],
  },
  {
    name: '$or nests inside objects and inside other $or branches',
    pattern: {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization'] },
        { metricType: ['MetricType'], namespace: ['AWS/EC2'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
      ],
      detail: { $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }] },
    },
    matches: [
      { source: 'aws.cloudwatch', metricName: 'CPUUtilization', detail: { 'c-count': 3 } },
      { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000, detail: { 'd-count': 9 } },
    ],
    rejects: [
      { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', detail: { 'd-count': 9 } },
      { source: 'aws.cloudwatch', metricName: 'CPUUtilization', detail: { 'c-count': 30 } },
    ],
  },
  {
    name: 'fields inside an array of objects must match within one element',
    pattern: { employees: { firstName: ['Anna'], lastName: ['Smith'] } },
    matches: [
      {
        employees: [
          { firstName: 'John', lastName: 'Doe' },
          { firstName: 'Anna', lastName: 'Smith' },
        ],
      },
      { employees: [[{ firstName: 'Anna', lastName: 'Smith' }], [{ firstName: 'Peter', lastName: 'Jones' }]] },
    ],
    rejects: [
      {
        employees: [
          { firstName: 'Anna', lastName: 'Jones' },
          { firstName: 'Peter', lastName: 'Smith' },
        ],
      },
    ],
  },
  {
    name: 'the guide’s complex example combines prefix, anything-but, numeric and cidr',
    pattern: {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    },
    matches: [ec2Event],
    rejects: [withDetail({ ...ec2Event.detail, state: 'initializing' })],
  },
];

describe('event pattern matching', () => {
  for (const c of cases) {
    test(c.name, () => {
      validateEventPattern(c.pattern);
      for (const event of c.matches) assert.equal(matchesPattern(c.pattern, event), true, `should match ${JSON.stringify(event)}`);
      for (const event of c.rejects) assert.equal(matchesPattern(c.pattern, event), false, `should not match ${JSON.stringify(event)}`);
    });
  }

  test('an invalid pattern never matches and never throws', () => {
    assert.equal(matchesPattern('not a pattern', ec2Event), false);
    assert.equal(matchesPattern({ source: 'aws.ec2' }, ec2Event), false);
  });
});

describe('event pattern validation', () => {
  const invalid: Array<[string, string]> = [
    ['[]', 'Filter is not an object'],
    ['"source"', 'Filter is not an object'],
    ['{}', 'Empty objects are not allowed'],
    ['{"source": "aws.ec2"}', '"source" must be an object or an array'],
    ['{"source": []}', 'Empty arrays are not allowed'],
    ['{"detail": {}}', 'Empty objects are not allowed'],
    ['{"source": [["aws.ec2"]]}', 'Match value must be String, number, true, false, or null'],
    ['{"source": [{"startsWith": "aws."}]}', 'Unrecognized match type startsWith'],
    ['{"source": [{}]}', 'Match expression name not found'],
    ['{"source": [{"prefix": 5}]}', 'prefix match pattern must be a string'],
    ['{"source": [{"prefix": "a", "suffix": "b"}]}', 'Only one key allowed in match expression'],
    ['{"source": [{"prefix": {"wildcard": "a*"}}]}', 'Unsupported prefix pattern: wildcard'],
    ['{"source": [{"suffix": ["a"]}]}', 'suffix match pattern must be a string'],
    ['{"source": [{"equals-ignore-case": 1}]}', 'equals-ignore-case match pattern must be a string'],
    ['{"x": [{"numeric": 5}]}', 'Value of numeric must be an array.'],
    ['{"x": [{"numeric": [">", "a"]}]}', 'Value of > must be numeric'],
    ['{"x": [{"numeric": ["=", "5"]}]}', 'Value of equals must be numeric'],
    ['{"x": [{"numeric": ["!=", 5]}]}', 'Unrecognized numeric range operator: !='],
    ['{"x": [{"numeric": ["<", 5, ">", 1]}]}', 'Too many elements in numeric expression'],
    ['{"x": [{"numeric": [">", 5, ">", 10]}]}', 'Bad numeric range operator: >'],
    ['{"x": [{"numeric": [">", 5, "<", 1]}]}', 'Bottom must be less than top'],
    ['{"x": [{"numeric": [">", 0, "<", 5, "<", 6]}]}', 'Too many terms in numeric range expression'],
    ['{"x": [{"numeric": ["=", 6e9]}]}', 'Value must be between -5.0E9 and 5.0E9, inclusive'],
    ['{"x": [{"exists": "yes"}]}', 'exists match pattern must be either true or false.'],
    ['{"x": [{"anything-but": [1, "a"]}]}', 'Inside anything but list, either all values are number or string, mixed type is not supported'],
    ['{"x": [{"anything-but": [true]}]}', 'Inside anything but list, start|null|boolean is not supported.'],
    ['{"x": [{"anything-but": null}]}', 'Value of anything-but must be an array or single string/number value.'],
    ['{"x": [{"anything-but": {"numeric": [">", 1]}}]}', 'Unsupported anything-but pattern: numeric'],
    ['{"x": [{"anything-but": {"prefix": ""}}]}', 'Null prefix/suffix not allowed'],
    ['{"x": [{"anything-but": {"equals-ignore-case": [1]}}]}', 'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.'],
    ['{"x": [{"wildcard": "a**b"}]}', 'Consecutive wildcard characters at pos 2'],
    ['{"x": [{"wildcard": "a\\\\b"}]}', 'Invalid escape character at pos 1'],
    ['{"x": [{"cidr": "10.0.0.0"}]}', "Malformed CIDR, one '/' required"],
    ['{"x": [{"cidr": "10.0.0.0/x"}]}', 'Malformed CIDR, mask bits must be an integer'],
    ['{"x": [{"cidr": "10.0.0.300/24"}]}', 'Nonstandard IP address: 10.0.0.300'],
    ['{"$or": [{"a": ["b"]}]}', 'There must have at least 2 Objects in $or relationship.'],
    ['{"$or": {"a": ["b"]}}', 'It must be an Array followed with $or.'],
    ['{"$or": [{"a": ["b"]}, "c"]}', 'Only JSON object is allowed in array of $or relationship.'],
    ['{"$or": [{"prefix": ["b"]}, {"a": ["c"]}]}', 'prefix is Ruler reserved fieldName which cannot be used inside $or.'],
    ['{"source": ', 'Filter is not valid JSON'],
  ];
  for (const [pattern, reason] of invalid) {
    test(`${pattern} is refused: ${reason}`, () => {
      assert.throws(
        () => parseEventPattern(pattern),
        (err: any) => {
          assert.equal(err.code, 'InvalidEventPatternException');
          assert.ok(err.message.startsWith('Event pattern is not valid. Reason: '), err.message);
          assert.ok(err.message.includes(reason), `expected "${reason}" in "${err.message}"`);
          return true;
        },
      );
    });
  }

  test('a repeated key keeps its last value, as AWS documents', () => {
    const pattern = parseEventPattern('{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}');
    assert.equal(matchesPattern(pattern, { detail: { location: 'eu-west' } }), true);
    assert.equal(matchesPattern(pattern, { detail: { location: 'us-east' } }), false);
  });
});
