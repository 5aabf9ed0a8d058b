import { CreateArchiveCommand, CreateEventBusCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { loadTopology } from '../../../contracts/topology.ts';
import { createEventBridgeClient, createSqsClient } from '../../../messaging/aws.ts';

/**
 * The broker resources the fuzzer makes for itself, and the only ones its
 * inputs may change. The platform's queues, bus and rules carry real
 * payments: an input that deleted, purged, received from or redirected them
 * would break the platform by design, not find a bug. So every name and ARN
 * an input may write comes from here (or is invalid or of nothing), and the
 * platform's own names appear only in actions that read.
 */
export interface BrokerResources {
  readonly region: string;
  readonly accountId: string;
  readonly baseUrl: string;
  /** Standard queues, FIFO queues and their dead-letter queues, by name. */
  readonly queues: string[];
  readonly fifoQueues: string[];
  readonly deadLetterQueues: string[];
  /** Buses the fuzzer made ('default' too: no platform rule lives there). */
  readonly buses: string[];
  readonly rules: string[];
  readonly archives: string[];
  readonly replays: string[];
  /** Every name of the platform's (queues, bus, rules): for actions that only read. */
  readonly platformNames: string[];
  queueUrl(name: string): string;
  queueArn(name: string): string;
  busArn(name: string): string;
  archiveArn(name: string): string;
}

export async function createBrokerResources(brokerUrl: string, seed: number): Promise<BrokerResources> {
  const region = 'us-east-1';
  const tag = `fuzz${seed.toString(36)}`;
  const sqs = createSqsClient({ region, endpoint: brokerUrl, embedded: true });
  const eventBridge = createEventBridgeClient({ region, endpoint: brokerUrl, embedded: true });
  try {
    const dlq = `${tag}-dlq`;
    const fifoDlq = `${tag}-dlq.fifo`;
    const queues = [`${tag}-a`, `${tag}-b`, `${tag}-c`];
    const fifoQueues = [`${tag}-f.fifo`, `${tag}-g.fifo`];
    const arnOf = async (url: string) => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: dlq }))).QueueUrl!;
    const fifoDlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: fifoDlq, Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
    const dlqArn = await arnOf(dlqUrl);
    const fifoDlqArn = await arnOf(fifoDlqUrl);
    for (const name of queues) {
      await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }), VisibilityTimeout: '5' } }));
    }
    for (const name of fifoQueues) {
      await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: 'true', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: fifoDlqArn, maxReceiveCount: 2 }) } }));
    }
    // The account and URL shape as the broker answers them (its account id is its own setting).
    const accountId = dlqArn.split(':')[4]!;
    const baseUrl = new URL(dlqUrl).origin;

    const buses = [`${tag}-bus`, `${tag}-other-bus`, 'default'];
    for (const bus of buses.slice(0, 2)) await eventBridge.send(new CreateEventBusCommand({ Name: bus }));
    const rules = [`${tag}-rule`, `${tag}-rule-2`];
    for (const [i, rule] of rules.entries()) {
      const bus = buses[i]!;
      await eventBridge.send(new PutRuleCommand({ Name: rule, EventBusName: bus, EventPattern: JSON.stringify({ source: [{ prefix: 'fuzz.' }] }) }));
      await eventBridge.send(new PutTargetsCommand({ Rule: rule, EventBusName: bus, Targets: [{ Id: 'q', Arn: `arn:aws:sqs:${region}:${accountId}:${queues[i]}` }] }));
    }
    const archives = [`${tag}-archive`];
    await eventBridge.send(new CreateArchiveCommand({ ArchiveName: archives[0], EventSourceArn: `arn:aws:events:${region}:${accountId}:event-bus/${buses[0]}` }));

    const topology = loadTopology();
    const platformNames = [topology.bus, ...topology.queues.flatMap((q) => [q.name, q.deadLetter.name]), topology.eventTargets.deadLetterQueue, ...topology.rules.map((r) => r.name)];
    return {
      region,
      accountId,
      baseUrl,
      queues,
      fifoQueues,
      deadLetterQueues: [dlq, fifoDlq],
      buses,
      rules,
      archives,
      replays: [`${tag}-replay-a`, `${tag}-replay-b`],
      platformNames,
      queueUrl: (name) => `${baseUrl}/${accountId}/${name}`,
      queueArn: (name) => `arn:aws:sqs:${region}:${accountId}:${name}`,
      busArn: (name) => `arn:aws:events:${region}:${accountId}:event-bus/${name}`,
      archiveArn: (name) => `arn:aws:events:${region}:${accountId}:archive/${name}`,
    };
  } finally {
    sqs.destroy();
    eventBridge.destroy();
  }
}
