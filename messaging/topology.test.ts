import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DescribeArchiveCommand, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { loadTopology } from '../contracts/topology.ts';
import { startTestBroker } from '../test/support/broker.ts';
import { applyTopology, archiveNameOf } from './topology.ts';

test('applying the topology creates every queue, the rules and an archive of the bus, and applying it again changes nothing', async (t) => {
  const { sqs, eventBridge } = await startTestBroker(t, { BROKER_APPLY_TOPOLOGY: 'false' });
  const topology = loadTopology();
  await applyTopology(sqs, eventBridge, topology);
  await applyTopology(sqs, eventBridge, topology);

  for (const name of [...topology.queues.flatMap((q) => [q.name, q.deadLetter.name]), topology.eventTargets.deadLetterQueue]) {
    assert.ok((await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl, name);
  }
  const { Rules = [] } = await eventBridge.send(new ListRulesCommand({ EventBusName: topology.bus }));
  assert.deepEqual(Rules.map((r) => r.Name).sort(), topology.rules.map((r) => r.name).sort());
  const archive = await eventBridge.send(new DescribeArchiveCommand({ ArchiveName: archiveNameOf(topology) }));
  assert.equal(archive.State, 'ENABLED');
  assert.match(archive.EventSourceArn!, new RegExp(`event-bus/${topology.bus}$`));
});
