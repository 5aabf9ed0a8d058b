import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Topology } from '../../contracts/topology.ts';

export interface MessagingProps {
  topology: Topology;
  archiveRetentionDays: number;
  keepData: boolean;
}

/** The longest SQS keeps a message: what the event-target dead-letter queue holds them for. */
const MAX_RETENTION_SECONDS = 1_209_600;

/**
 * SQS queues, their dead-letter queues, the event bus, its rules and their
 * queue targets, straight from contracts/topology.json: the file the embedded
 * broker applies locally. Names are the contract's, unchanged, because
 * services look queues up by name.
 */
export class Messaging extends Construct {
  readonly bus: events.EventBus;
  /** Every queue by its topology name: work queues, their DLQs and the event-target DLQ. */
  readonly queues: Map<string, sqs.Queue>;
  /** Dead-letter queues by name, with the queue each one serves (the event-target DLQ serves the bus). */
  readonly deadLetterQueues: Map<string, { queue: sqs.Queue; serves: string }>;
  /** The topology's work queues (not their DLQs), by name. */
  readonly workQueues: string[];
  readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);
    const { topology } = props;
    const removalPolicy = props.keepData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.queues = new Map();
    this.deadLetterQueues = new Map();
    this.workQueues = topology.queues.map((q) => q.name);

    const queue = (name: string, options: { retentionSeconds: number; visibilityTimeoutSeconds?: number; deadLetterQueue?: sqs.DeadLetterQueue }) => {
      const created = new sqs.Queue(this, `Queue-${name}`, {
        queueName: name,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.seconds(options.retentionSeconds),
        ...(options.visibilityTimeoutSeconds ? { visibilityTimeout: Duration.seconds(options.visibilityTimeoutSeconds) } : {}),
        ...(options.deadLetterQueue ? { deadLetterQueue: options.deadLetterQueue } : {}),
        removalPolicy,
      });
      this.queues.set(name, created);
      return created;
    };

    for (const declared of topology.queues) {
      const dlq = queue(declared.deadLetter.name, { retentionSeconds: declared.deadLetter.retentionSeconds });
      this.deadLetterQueues.set(declared.deadLetter.name, { queue: dlq, serves: declared.name });
      queue(declared.name, {
        retentionSeconds: declared.retentionSeconds,
        visibilityTimeoutSeconds: declared.visibilityTimeoutSeconds,
        deadLetterQueue: { queue: dlq, maxReceiveCount: declared.deadLetter.maxReceiveCount },
      });
    }
    const targetDlqName = topology.eventTargets.deadLetterQueue;
    const targetDlq = queue(targetDlqName, { retentionSeconds: MAX_RETENTION_SECONDS });
    this.deadLetterQueues.set(targetDlqName, { queue: targetDlq, serves: topology.bus });

    this.bus = new events.EventBus(this, 'Bus', { eventBusName: topology.bus });
    this.bus.applyRemovalPolicy(removalPolicy);

    for (const declared of topology.rules) {
      const rule = new events.Rule(this, `Rule-${declared.name}`, {
        ruleName: declared.name,
        description: declared.description,
        eventBus: this.bus,
        // The topology's pattern is EventBridge's own JSON (e.g. "detail-type", prefix matchers): passed through as is.
        eventPattern: declared.eventPattern as events.EventPattern,
      });
      for (const target of declared.targets) {
        rule.addTarget(
          new targets.SqsQueue(this.queues.get(target)!, {
            deadLetterQueue: targetDlq,
            retryAttempts: topology.eventTargets.maximumRetryAttempts,
            maxEventAge: Duration.seconds(topology.eventTargets.maximumEventAgeSeconds),
          }),
        );
      }
    }

    // Everything on the bus is archived, so any window of events can be replayed to the rules.
    this.archive = new events.Archive(this, 'Archive', {
      archiveName: `${topology.bus}-archive`,
      description: `Every event on ${topology.bus}, for replay`,
      sourceEventBus: this.bus,
      eventPattern: { account: [Stack.of(this).account] },
      retention: Duration.days(props.archiveRetentionDays),
    });
    this.archive.applyRemovalPolicy(removalPolicy);
  }

  /** The dead-letter queue a work queue moves failed messages to. */
  deadLetterOf(name: string): string | undefined {
    return [...this.deadLetterQueues].find(([, { serves }]) => serves === name)?.[0];
  }

  queue(name: string): sqs.Queue {
    const found = this.queues.get(name);
    if (!found) throw new Error(`no queue '${name}' in the topology`);
    return found;
  }
}
