import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestBroker } from './support.ts';

/** Names every JavaScript object answers to: none of them is an AWS action. */
const PROTOTYPE_NAMES = [
  'constructor',
  '__proto__',
  'hasOwnProperty',
  'valueOf',
  'toString',
  'toLocaleString',
  'isPrototypeOf',
  'propertyIsEnumerable',
  '__defineGetter__',
  '__lookupSetter__',
  'prototype',
];

const SIGNED = { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDPAYMESHTEST/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0' };

async function call(endpoint: string, init: { target?: string; contentType: string; body: string; method?: string; path?: string }) {
  const response = await fetch(`${endpoint}${init.path ?? '/'}`, {
    method: init.method ?? 'POST',
    headers: { ...SIGNED, 'content-type': init.contentType, ...(init.target ? { 'x-amz-target': init.target } : {}) },
    body: init.method === 'GET' ? undefined : init.body,
  });
  return { status: response.status, text: await response.text(), queryError: response.headers.get('x-amzn-query-error') };
}

test('an action named like an Object.prototype member is an unknown action on every protocol: a 400, never a 5xx or the broker\'s state', async (t) => {
  const b = await startTestBroker(t);
  const file = (b.broker.database.config as { file: string }).file;
  for (const name of PROTOTYPE_NAMES) {
    const sqsJson = await call(b.endpoint, { target: `AmazonSQS.${name}`, contentType: 'application/x-amz-json-1.0', body: '{}' });
    assert.equal(sqsJson.status, 400, `AmazonSQS.${name}: ${sqsJson.text}`);
    assert.match(sqsJson.text, /UnknownOperationException/, `AmazonSQS.${name}`);
    assert.equal(sqsJson.queryError, 'InvalidAction;Sender');

    const events = await call(b.endpoint, { target: `AWSEvents.${name}`, contentType: 'application/x-amz-json-1.1', body: '{}' });
    assert.equal(events.status, 400, `AWSEvents.${name}: ${events.text}`);
    assert.match(events.text, /UnknownOperationException/);

    const query = await call(b.endpoint, { contentType: 'application/x-www-form-urlencoded', body: `Action=${encodeURIComponent(name)}&Version=2012-11-05` });
    assert.equal(query.status, 400, `Action=${name}: ${query.text}`);
    assert.match(query.text, /<Code>InvalidAction<\/Code>/);

    for (const answer of [sqsJson, events, query]) {
      assert.ok(!answer.text.includes(file) && !answer.text.includes('-wal'), `no internal state in the answer to ${name}: ${answer.text}`);
    }
  }
  const metrics = await (await fetch(`${b.endpoint}/metrics`)).text();
  const actions = new Set([...metrics.matchAll(/broker_requests_total\{[^}]*action="([^"]+)"/g)].map((m) => m[1]));
  assert.ok(actions.size <= 64, `the action label stays bounded: ${[...actions].join(', ')}`);
});

test('query-protocol parameters named __proto__ or constructor are plain parameters: nothing reaches Object.prototype', async (t) => {
  const b = await startTestBroker(t);
  const url = await b.createQueue('pollution-check');
  const body = [
    'Action=SendMessage',
    `QueueUrl=${encodeURIComponent(url)}`,
    'MessageBody=hello',
    '__proto__.polluted=yes',
    'constructor.prototype.polluted=yes',
    'MessageAttribute.1.Name=__proto__',
    'MessageAttribute.1.Value.DataType=String',
    'MessageAttribute.1.Value.StringValue=x',
  ].join('&');
  const answer = await call(b.endpoint, { contentType: 'application/x-www-form-urlencoded', body });
  assert.ok(answer.status < 500, answer.text);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
  assert.equal((await call(b.endpoint, { contentType: 'application/x-www-form-urlencoded', body: 'Action=ListQueues' })).status, 200, 'the broker still answers');
});
