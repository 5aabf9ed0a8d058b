import { Aws } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { EventGrant } from '../catalog.ts';
import type { Messaging } from './messaging.ts';

/** events:PutEvents on the bus for one source and its detail-types only (each entry of a PutEvents call is checked). */
export function putEventsStatement(bus: events.IEventBus, grant: EventGrant): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['events:PutEvents'],
    resources: [bus.eventBusArn],
    conditions: { StringEquals: { 'events:source': grant.source, 'events:detail-type': grant.detailTypes } },
  });
}

export const replayArns = () => `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:replay/*`;

/**
 * Looking without touching, for the gateway's admin API: every queue's
 * attributes (depths for the console), the bus, its rules, its archive and its
 * replays. Nothing here receives, sends, deletes or replays.
 */
export function grantMessagingInspection(messaging: Messaging, role: iam.IRole): void {
  for (const queue of messaging.queues.values()) queue.grant(role, 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl');
  const bus = messaging.bus;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['events:DescribeEventBus', 'events:ListRules'],
      resources: [bus.eventBusArn, `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/${bus.eventBusName}/*`],
    }),
  );
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['events:DescribeArchive'], resources: [messaging.archive.archiveArn] }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['events:DescribeReplay'], resources: [replayArns()] }));
  // ListReplays has no resource-level permissions: it lists replay names and states, nothing else.
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['events:ListReplays'], resources: ['*'] }));
}
