import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadTopology } from '../../contracts/topology.ts';
import { queueNamesById, refId, resourcesOfType, synthesize, synthesizeForFile } from './support.ts';

const topology = loadTopology();
const dev = synthesizeForFile('dev');

const queues = new Map(resourcesOfType(dev.json, 'AWS::SQS::Queue').map(([id, r]) => [r.Properties.QueueName as string, { id, props: r.Properties }]));
const namesById = queueNamesById(dev.json);
const rules = new Map(resourcesOfType(dev.json, 'AWS::Events::Rule').map(([id, r]) => [r.Properties.Name as string, { id, props: r.Properties }]));
const queuePolicies = resourcesOfType(dev.json, 'AWS::SQS::QueuePolicy').map(([, r]) => r.Properties);

function policyStatementsFor(queueName: string): Array<Record<string, any>> {
  const id = queues.get(queueName)!.id;
  return queuePolicies.filter((p) => (p.Queues as unknown[]).some((q) => refId(q) === id)).flatMap((p) => p.PolicyDocument.Statement);
}

test('the template has exactly the queues and dead-letter queues of the topology file, under the same names', () => {
  const declared = [...topology.queues.flatMap((q) => [q.name, q.deadLetter.name]), topology.eventTargets.deadLetterQueue].sort();
  assert.deepEqual([...queues.keys()].sort(), declared);
});

test('each queue keeps its retention and visibility timeout and redrives to its own DLQ after maxReceiveCount', () => {
  for (const declared of topology.queues) {
    const queue = queues.get(declared.name)!.props;
    assert.equal(queue.MessageRetentionPeriod, declared.retentionSeconds, declared.name);
    assert.equal(queue.VisibilityTimeout, declared.visibilityTimeoutSeconds, declared.name);
    assert.equal(queue.RedrivePolicy.maxReceiveCount, declared.deadLetter.maxReceiveCount, declared.name);
    assert.equal(namesById.get(refId(queue.RedrivePolicy.deadLetterTargetArn)!), declared.deadLetter.name, declared.name);
    const dlq = queues.get(declared.deadLetter.name)!.props;
    assert.equal(dlq.MessageRetentionPeriod, declared.deadLetter.retentionSeconds, declared.deadLetter.name);
    assert.equal(dlq.RedrivePolicy, undefined, `${declared.deadLetter.name} is a last stop`);
  }
});

test('every queue is encrypted at rest and refuses requests without TLS', () => {
  for (const [name, { props }] of queues) {
    assert.equal(props.SqsManagedSseEnabled, true, `${name} uses SSE-SQS`);
    const denies = policyStatementsFor(name).filter((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
    assert.equal(denies.length, 1, `${name} denies plain HTTP`);
  }
});

test('the bus is the topology\'s, alone, and archived for replay', () => {
  const buses = resourcesOfType(dev.json, 'AWS::Events::EventBus');
  assert.deepEqual(buses.map(([, r]) => r.Properties.Name), [topology.bus]);
  const archives = resourcesOfType(dev.json, 'AWS::Events::Archive');
  assert.equal(archives.length, 1);
  const archive = archives[0]![1].Properties;
  assert.equal(refId(archive.SourceArn), buses[0]![0]);
  assert.equal(archive.RetentionDays, 7);
});

test('the template has exactly the rules of the topology file, with the same event patterns, on the bus', () => {
  assert.deepEqual([...rules.keys()].sort(), topology.rules.map((r) => r.name).sort());
  const busId = resourcesOfType(dev.json, 'AWS::Events::EventBus')[0]![0];
  for (const declared of topology.rules) {
    const rule = rules.get(declared.name)!.props;
    assert.deepEqual(rule.EventPattern, declared.eventPattern, declared.name);
    assert.equal(rule.Description, declared.description);
    assert.equal(refId(rule.EventBusName), busId, `${declared.name} is on ${topology.bus}`);
    assert.equal(rule.State, 'ENABLED');
  }
});

test('each rule delivers to its queues with the topology\'s dead-letter queue and retry policy', () => {
  for (const declared of topology.rules) {
    const targets = rules.get(declared.name)!.props.Targets as Array<Record<string, any>>;
    assert.deepEqual(targets.map((t) => namesById.get(refId(t.Arn)!)).sort(), [...declared.targets].sort(), declared.name);
    for (const target of targets) {
      assert.equal(namesById.get(refId(target.DeadLetterConfig.Arn)!), topology.eventTargets.deadLetterQueue);
      assert.deepEqual(target.RetryPolicy, {
        MaximumRetryAttempts: topology.eventTargets.maximumRetryAttempts,
        MaximumEventAgeInSeconds: topology.eventTargets.maximumEventAgeSeconds,
      });
    }
  }
});

test('EventBridge may send to a queue only for the rules that target it, and to the target DLQ for every rule', () => {
  const eventBridgeSenders = (queue: string) =>
    policyStatementsFor(queue)
      .filter((s) => s.Effect === 'Allow' && s.Principal?.Service === 'events.amazonaws.com')
      .map((s) => {
        assert.ok([s.Action].flat().includes('sqs:SendMessage'));
        return refId(s.Condition.ArnEquals['aws:SourceArn'])!;
      })
      .sort();
  for (const declared of topology.queues) {
    const expected = topology.rules.filter((r) => r.targets.includes(declared.name)).map((r) => rules.get(r.name)!.id).sort();
    assert.deepEqual(eventBridgeSenders(declared.name), expected, declared.name);
    assert.deepEqual(eventBridgeSenders(declared.deadLetter.name), [], `${declared.deadLetter.name} takes nothing from EventBridge`);
  }
  assert.deepEqual(eventBridgeSenders(topology.eventTargets.deadLetterQueue), [...rules.values()].map((r) => r.id).sort());
});

test('the queues and rules come from the topology file: a queue and a rule added there appear in the template', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-topology-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const changed = structuredClone(topology);
  changed.queues.push({ name: 'refund-requests', visibilityTimeoutSeconds: 45, retentionSeconds: 86400, deadLetter: { name: 'refund-requests-dlq', maxReceiveCount: 3, retentionSeconds: 1209600 } });
  changed.rules.push({ name: 'refunds-to-refund-requests', description: 'Refunds', eventPattern: { 'detail-type': [{ prefix: 'Refund ' }] }, targets: ['refund-requests'] });
  const file = path.join(dir, 'topology.json');
  writeFileSync(file, JSON.stringify(changed));
  const synthesized = synthesize('dev', { topologyFile: file });
  t.after(() => synthesized.cleanup());
  const queue = resourcesOfType(synthesized.json, 'AWS::SQS::Queue').find(([, r]) => r.Properties.QueueName === 'refund-requests')![1].Properties;
  assert.equal(queue.VisibilityTimeout, 45);
  assert.equal(queue.RedrivePolicy.maxReceiveCount, 3);
  const rule = resourcesOfType(synthesized.json, 'AWS::Events::Rule').find(([, r]) => r.Properties.Name === 'refunds-to-refund-requests')![1].Properties;
  assert.deepEqual(rule.EventPattern, { 'detail-type': [{ prefix: 'Refund ' }] });
});
