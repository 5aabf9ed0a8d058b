import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DescribeEventBusCommand,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceAlreadyExistsException,
  type EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Topology } from '../contracts/topology.ts';

/** The archive of every event on the bus, which replays read (`paymesh events replay`); the AWS stack makes the same one. */
export const archiveNameOf = (topology: Pick<Topology, 'bus'>): string => `${topology.bus}-archive`;

const alreadyThere = (err: unknown) => err instanceof ResourceAlreadyExistsException || (err as Error).name === 'ResourceAlreadyExistsException';

/**
 * Creates (or updates) the topology's queues, dead-letter queues, bus, rules
 * and targets, and the bus's archive, through the AWS SDK, so the same call sets up the embedded
 * broker and an AWS account. Safe to run again: every step is an upsert.
 */
export async function applyTopology(sqs: SQSClient, eventBridge: EventBridgeClient, topology: Topology): Promise<void> {
  const arnOf = new Map<string, string>();
  const ensureQueue = async (name: string, attributes: Record<string, string>) => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    arnOf.set(name, Attributes!.QueueArn!);
  };

  for (const queue of topology.queues) {
    await ensureQueue(queue.deadLetter.name, { MessageRetentionPeriod: String(queue.deadLetter.retentionSeconds) });
    await ensureQueue(queue.name, {
      VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(queue.retentionSeconds),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf.get(queue.deadLetter.name), maxReceiveCount: queue.deadLetter.maxReceiveCount }),
    });
  }
  await ensureQueue(topology.eventTargets.deadLetterQueue, { MessageRetentionPeriod: '1209600' });

  try {
    await eventBridge.send(new CreateEventBusCommand({ Name: topology.bus }));
  } catch (err) {
    if (!alreadyThere(err)) throw err;
  }
  const { Arn: busArn } = await eventBridge.send(new DescribeEventBusCommand({ Name: topology.bus }));
  try {
    await eventBridge.send(new CreateArchiveCommand({ ArchiveName: archiveNameOf(topology), EventSourceArn: busArn, Description: `Every event on ${topology.bus}, for replay` }));
  } catch (err) {
    if (!alreadyThere(err)) throw err;
  }
  for (const rule of topology.rules) {
    await eventBridge.send(
      new PutRuleCommand({
        Name: rule.name,
        EventBusName: topology.bus,
        Description: rule.description,
        EventPattern: JSON.stringify(rule.eventPattern),
        State: 'ENABLED',
      }),
    );
    const response = await eventBridge.send(
      new PutTargetsCommand({
        Rule: rule.name,
        EventBusName: topology.bus,
        Targets: rule.targets.map((queue) => ({
          Id: queue,
          Arn: arnOf.get(queue)!,
          DeadLetterConfig: { Arn: arnOf.get(topology.eventTargets.deadLetterQueue)! },
          RetryPolicy: {
            MaximumRetryAttempts: topology.eventTargets.maximumRetryAttempts,
            MaximumEventAgeInSeconds: topology.eventTargets.maximumEventAgeSeconds,
          },
        })),
      }),
    );
    if (response.FailedEntryCount) {
      throw new Error(`PutTargets for rule ${rule.name} failed: ${JSON.stringify(response.FailedEntries)}`);
    }
  }
}
