import { CfnOutput, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { grantMessagingInspection, replayArns } from './messaging-grants.ts';
import type { Messaging } from './messaging.ts';

/** What an operator (not a service) may do to the messaging: the actions that change what the platform does. */
export const OPERATOR_DLQ_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:StartMessageMoveTask',
  'sqs:ListMessageMoveTasks',
  'sqs:CancelMessageMoveTask',
];
export const OPERATOR_REPLAY_ACTIONS = ['events:StartReplay', 'events:CancelReplay', 'events:DescribeReplay', 'events:DescribeArchive'];

/**
 * The operator role: what handling dead letters and replaying events needs
 * (browse, redrive and delete dead letters, SQS move tasks, start and cancel
 * archive replays), kept off every task role, the public gateway's included.
 * Only the principal named at deploy time (the `OperatorPrincipalArn`
 * parameter: an IAM role or user of the on-call team, or the account) may
 * assume it, for an hour at a time; CloudTrail records who did.
 */
export class OperatorAccess extends Construct {
  readonly role: iam.Role;
  readonly principalArn: CfnParameter;

  constructor(scope: Construct, id: string, props: { messaging: Messaging; environmentName: string }) {
    super(scope, id);
    const { messaging } = props;
    this.principalArn = new CfnParameter(Stack.of(this), 'OperatorPrincipalArn', {
      type: 'String',
      description: 'Who may assume the operator role (redrive and delete dead letters, replay events): an IAM role or user ARN, or arn:aws:iam::<account>:root to leave it to IAM policies in the account',
      allowedPattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$',
    });
    this.role = new iam.Role(this, 'Role', {
      roleName: `paymesh-${props.environmentName}-operator`,
      description: 'PayMesh operators: dead-letter redrive and delete, archive replays',
      assumedBy: new iam.ArnPrincipal(this.principalArn.valueAsString),
      maxSessionDuration: Duration.hours(1),
    });

    grantMessagingInspection(messaging, this.role);
    for (const [, { queue, serves }] of messaging.deadLetterQueues) {
      queue.grant(this.role, ...OPERATOR_DLQ_ACTIONS);
      // A redrive sends the message back where it failed; the event-target DLQ's messages go back to the queue they were meant for.
      const sources = messaging.queues.has(serves) ? [serves] : messaging.workQueues;
      for (const source of sources) messaging.queue(source).grantSendMessages(this.role);
    }
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: OPERATOR_REPLAY_ACTIONS, resources: [messaging.archive.archiveArn, replayArns(), messaging.bus.eventBusArn] }),
    );

    new CfnOutput(Stack.of(this), 'OperatorRoleArn', { value: this.role.roleArn, description: 'Assume this role to redrive or delete dead letters and replay events' });
  }
}
