import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateJsonPath, inputProblem, renderTargetInput } from '../input-transform.ts';

/** The user guide's input-transformation examples, on its sample EC2 event. */
const event = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING', tags: [{ key: 'a' }, { key: 'b' }] },
};
const context = {
  ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
  ruleName: 'example',
  ingestionTime: '2015-11-11T21:29:55.123Z',
};
const InputPathsMap = { timestamp: '$.time', instance: '$.detail.instance-id', state: '$.detail.state' };

function transform(InputTemplate: string, paths: Record<string, string> = InputPathsMap): string {
  return renderTargetInput({ InputTransformer: { InputPathsMap: paths, InputTemplate } }, event, context);
}

describe('input transformer templates', () => {
  const cases: Array<[string, string, string]> = [
    ['a simple string template inserts values unquoted inside the string', '"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'],
    ['escaped quotes in a string template stay escaped', '"instance \\"<instance>\\" is in <state>"', '"instance \\"i-0123456789\\" is in RUNNING"'],
    ['a JSON template quotes string values placed outside strings', '{\n  "instance" : <instance>,\n  "state": <state>\n}', '{"instance":"i-0123456789","state":"RUNNING"}'],
    [
      'a JSON template mixes quoted and unquoted placeholders',
      '{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \\"<instance>\\" is in <state>"}',
      '{"instance":"i-0123456789","state":"RUNNING","instanceStatus":"instance \\"i-0123456789\\" is in RUNNING"}',
    ],
    ['a JSON template mixes variables and static values', '{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}', '{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}'],
    ['reserved variables can be used in a string', '"<aws.events.rule-name> triggered"', '"example triggered"'],
    ['a plain-text template inserts values as text', '<instance> is in state <state>', 'i-0123456789 is in state RUNNING'],
    ['a placeholder that names no variable is left alone', '"<instance> <unknown>"', '"i-0123456789 <unknown>"'],
  ];
  for (const [name, template, expected] of cases) {
    test(name, () => assert.equal(transform(template), expected));
  }

  test('reserved variables in JSON give the rule, the ingestion time and the original event', () => {
    const out = JSON.parse(
      transform('{"ruleArn": <aws.events.rule-arn>, "ruleName": <aws.events.rule-name>, "at": <aws.events.event.ingestion-time>, "original": <aws.events.event>, "full": <aws.events.event.json>}'),
    );
    assert.equal(out.ruleArn, context.ruleArn);
    assert.equal(out.ruleName, 'example');
    assert.equal(out.at, context.ingestionTime);
    assert.equal(out.original.id, event.id);
    assert.equal(out.original.detail, undefined, 'aws.events.event leaves the detail out');
    assert.deepEqual(out.full, event);
  });

  test('objects, numbers and arrays are inserted as JSON', () => {
    const out = JSON.parse(transform('{"detail": <detail>, "tags": <tags>}', { detail: '$.detail', tags: '$.detail.tags[*].key' }));
    assert.deepEqual(out, { detail: event.detail, tags: ['a', 'b'] });
  });

  test('a variable whose path is not in the event becomes null in JSON and nothing in text', () => {
    assert.equal(transform('{"missing": <missing>, "text": "[<missing>]"}', { missing: '$.detail.nope' }), '{"missing":null,"text":"[]"}');
  });

  test('a value inserted inside a JSON string is escaped so the body stays valid JSON', () => {
    const quoted = { ...event, detail: { note: 'say "hi"' } };
    const out = renderTargetInput({ InputTransformer: { InputPathsMap: { note: '$.detail.note' }, InputTemplate: '{"message": "note: <note>"}' } }, quoted, context);
    assert.deepEqual(JSON.parse(out), { message: 'note: say "hi"' });
  });
});

describe('target input', () => {
  test('without input settings the target receives the whole event', () => {
    assert.deepEqual(JSON.parse(renderTargetInput({}, event, context)), event);
  });

  test('Input sends constant JSON text', () => {
    assert.equal(renderTargetInput({ Input: '{"fixed":true}' }, event, context), '{"fixed":true}');
  });

  test('InputPath sends the selected part of the event as JSON', () => {
    assert.deepEqual(JSON.parse(renderTargetInput({ InputPath: '$.detail' }, event, context)), event.detail);
    assert.equal(renderTargetInput({ InputPath: '$.detail.state' }, event, context), '"RUNNING"');
    assert.equal(renderTargetInput({ InputPath: "$.resources[0]" }, event, context), JSON.stringify(event.resources[0]));
  });

  test('JSON paths support dots, dashes, indices, quoted names and wildcards', () => {
    assert.deepEqual(evaluateJsonPath('$', event), { found: true, value: event });
    assert.deepEqual(evaluateJsonPath("$['detail-type']", event), { found: true, value: event['detail-type'] });
    assert.deepEqual(evaluateJsonPath('$.detail.tags[1].key', event), { found: true, value: 'b' });
    assert.deepEqual(evaluateJsonPath('$.detail.tags.*.key', event), { found: true, value: ['a', 'b'] });
    assert.deepEqual(evaluateJsonPath('$.detail.nope', event), { found: false });
    assert.deepEqual(evaluateJsonPath('detail', event), { found: false });
  });

  test('bad input settings are reported', () => {
    assert.equal(inputProblem({ Input: '{"a":1}' }), undefined);
    assert.match(inputProblem({ Input: 'not json' })!, /valid JSON/);
    assert.match(inputProblem({ InputPath: 'detail' })!, /not a valid JSON path/);
    assert.match(inputProblem({ InputTransformer: { InputTemplate: '' } })!, /InputTemplate/);
    assert.match(inputProblem({ InputTransformer: { InputPathsMap: { 'aws.events.rule-arn': '$.x' }, InputTemplate: 'x' } })!, /reserved/);
    assert.match(inputProblem({ InputTransformer: { InputPathsMap: { ok: 'nope' }, InputTemplate: 'x' } })!, /JSON path/);
  });
});
