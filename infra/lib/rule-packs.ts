import { CfnResource, Stack, Validations, type App } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { EnvironmentSettings } from './environments.ts';
import type { PayMeshStack } from './paymesh-stack.ts';

/**
 * AWS's rule packs (cdk-nag): AWS Solutions, PCI DSS 3.2.1, NIST 800-53 rev 5
 * and HIPAA Security. Registered on the app, they run when it synthesizes
 * (`npm run infra:synth` included, offline: they read the construct tree); an
 * unacknowledged finding, error or warning, fails synthesis with a report.
 * A finding that does not apply is acknowledged below on the construct it is
 * about, with the reason; docs/operations.md ("Rule packs") lists them.
 */
export function rulePacks(): NagPack[] {
  return [new AwsSolutionsChecks(undefined, { verbose: true }), new PCIDSS321Checks(undefined, { verbose: true }), new NIST80053R5Checks(undefined, { verbose: true }), new HIPAASecurityChecks(undefined, { verbose: true })];
}

export function addRulePacks(app: App): void {
  Validations.of(app).addPlugins(...rulePacks());
}

/** The compliance packs name a shared rule alike, each under its own prefix. */
export const COMPLIANCE_PACKS = ['PCI.DSS.321', 'NIST.800.53.R5', 'HIPAA.Security'] as const;
const inCompliancePacks = (rule: string): string[] => COMPLIANCE_PACKS.map((pack) => `${pack}-${rule}`);

function acknowledge(scope: IConstruct | undefined, ids: string | string[], reason: string): void {
  if (!scope) throw new Error(`nothing to acknowledge ${[ids].flat().join(', ')} on: the construct moved; update rule-packs.ts`);
  for (const id of [ids].flat()) Validations.of(scope).acknowledge({ id, reason });
}

/** An IAM wildcard (AwsSolutions-IAM5) that cannot be narrowed, on the policy of one role. */
const wildcard = (role: iam.IRole | undefined, resource: string, reason: string) => acknowledge(role, `AwsSolutions-IAM5[Resource::${resource}]`, reason);
const managedPolicy = (role: IConstruct | undefined, policy: string, reason: string) =>
  acknowledge(role, `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`, reason);

const children = <T>(scope: IConstruct, type: abstract new (...args: any[]) => T): T[] => scope.node.findAll().filter((c): c is T & IConstruct => c instanceof type);

/**
 * Every finding of the rule packs that stays on a PayMesh stack, acknowledged with why. Reasons say
 * why the rule does not apply here, or, where it names a gap left open on purpose, "open:" and where
 * docs/operations.md tracks it.
 */
export function acknowledgeRulePackFindings(stack: PayMeshStack, environment: EnvironmentSettings): void {
  const { database, databaseProvisioning: provisioning, messaging } = stack;

  // Every role in the stack.
  acknowledge(
    stack,
    inCompliancePacks('IAMNoInlinePolicy'),
    "Each role's inline policy is its own least-privilege grant, made and deleted with the role; a customer managed policy would hold the same statements where another role could attach them.",
  );
  // Every secret.
  const secrets = children(stack, secretsmanager.Secret);
  if (secrets.length === 0) throw new Error('no secrets found: update rule-packs.ts');
  for (const secret of secrets) {
    acknowledge(
      secret,
      ['AwsSolutions-SMG4', ...inCompliancePacks('SecretsManagerRotationEnabled')],
      'Open (docs/operations.md, "Secret rotation"): rotated by hand; ECS injects secrets only when a task starts, so rotation needs a rolling restart after it, which no schedule does yet.',
    );
  }

  // Network.
  const vpc = stack.node.findChild('Vpc') as ec2.Vpc;
  acknowledge(
    vpc,
    inCompliancePacks('VPCDefaultSecurityGroupClosed'),
    "Nothing is placed in the VPC's default security group (every ENI has its own group); emptying it takes a Lambda-backed custom resource whose code this app does not stage (synthesis stays offline).",
  );
  for (const subnet of vpc.publicSubnets) {
    acknowledge(
      subnet,
      inCompliancePacks('VPCNoUnrestrictedRouteToIGW'),
      'The public subnets route 0.0.0.0/0 to the internet gateway by design: they hold only the internet-facing load balancer and the NAT gateways. Tasks and the database are in private subnets.',
    );
  }

  // Database.
  acknowledge(database.instance, 'AwsSolutions-RDS11', 'The port hides nothing: the database is in isolated subnets, and its security group admits only the PayMesh services that have a database and the provisioning task.');
  managedPolicy(database.instance.node.tryFindChild('MonitoringRole'), 'service-role/AmazonRDSEnhancedMonitoringRole', 'The role RDS enhanced monitoring assumes; AWS maintains its one permission set (write OS metrics to RDSOSMetrics).');
  managedPolicy(database.backupPlan, 'service-role/AWSBackupServiceRolePolicyForBackup', 'The role AWS Backup assumes to snapshot the database; AWS maintains the permissions that job needs.');
  acknowledge(
    database.securityGroup,
    inCompliancePacks('EC2RestrictedCommonPorts').concat(inCompliancePacks('EC2RestrictedSSH')),
    "The rules cannot read the ingress port (the instance's endpoint port, a CloudFormation reference); every ingress rule of this group admits one PayMesh security group, never an address range.",
  );

  // Messaging.
  for (const [, { queue, serves }] of messaging.deadLetterQueues) {
    if (messaging.queues.has(serves)) continue;
    acknowledge(queue, 'AwsSolutions-SQS3', "It is a dead-letter queue: every EventBridge rule target's DeadLetterConfig, the last stop for events that could not be delivered (alarmed at any depth in prod).");
  }

  // Tasks: settings in environment variables, and the wildcards that have no resource-level permissions.
  const tasks = [provisioning.taskDefinition, ...[...stack.services.values()].map((s) => s.taskDefinition)];
  for (const task of tasks) {
    acknowledge(task, 'AwsSolutions-ECS2', 'The environment variables hold settings only (ports, names, the database URL without credentials; infra/test/services.test.ts checks); secrets come from Secrets Manager.');
    wildcard(task.executionRole, '*', 'ecr:GetAuthorizationToken, which the task execution role needs to pull the image, has no resource-level permissions.');
  }
  for (const service of stack.services.values()) {
    const role = service.taskDefinition.taskRole;
    const grants: string[] = [];
    if (service.spec.listeners.some((l) => l.protocol === 'http')) grants.push('xray:PutTraceSegments and xray:PutTelemetryRecords (the collector beside the service)');
    if (service.spec.inspectsMessaging) grants.push('events:ListReplays (the admin API lists replays)');
    if (grants.length) wildcard(role, '*', `${grants.join(' and ')} have no resource-level permissions.`);
  }
  wildcard(stack.operatorAccess.role, '*', 'events:ListReplays (to find a replay to describe or cancel) has no resource-level permissions.');
  const inspectors = [stack.operatorAccess.role, ...[...stack.services.values()].filter((s) => s.spec.inspectsMessaging).map((s) => s.taskDefinition.taskRole)];
  for (const role of inspectors) {
    wildcard(role, 'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:replay/*', 'Replay names are chosen when a replay starts (events:DescribeReplay; the operator role also StartReplay and CancelReplay); the ARN is limited to this account and region.');
    wildcard(
      role,
      `arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/<${Stack.of(stack).getLogicalId(messaging.bus.node.defaultChild as CfnResource)}>/*`,
      "events:ListRules on the rules of PayMesh's own bus only (the bus is named in the ARN).",
    );
  }
  managedPolicy(stack.canary.node.tryFindChild('EcsInfrastructureRole'), 'AmazonECSInfrastructureRolePolicyForVpcLattice', 'The role ECS assumes to register the payment tasks in the VPC Lattice target groups; AWS maintains the permissions that job needs.');

  // The provisioning runner (a CloudFormation custom resource's Lambda function).
  const runner = provisioning.node.findChild('Runner') as lambda.Function;
  managedPolicy(runner.role, 'service-role/AWSLambdaBasicExecutionRole', "Lets the runner write its own log streams, AWS's minimal Lambda policy.");
  wildcard(runner.role, `arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/<${Stack.of(stack).getLogicalId(stack.node.findChild('Cluster').node.defaultChild as CfnResource)}>/*`, 'ecs:DescribeTasks on the tasks of the PayMesh cluster only: a task id is chosen when RunTask starts it.');
  acknowledge(
    runner,
    inCompliancePacks('LambdaInsideVPC'),
    'It calls only the ECS API (RunTask and DescribeTasks on the provisioning task) and answers CloudFormation; it holds no secret and reaches no data, so it needs no place in the VPC.',
  );
  acknowledge(runner, inCompliancePacks('LambdaDLQ'), 'CloudFormation invokes it synchronously once per deploy and fails the deploy itself when it fails: there is no asynchronous event to keep.');
  acknowledge(runner, inCompliancePacks('LambdaConcurrency'), 'Only CloudFormation invokes it, once per deploy; a reserved concurrency would take from the account\'s unreserved pool for nothing.');

  // The public edge.
  for (const loadBalancer of children(stack, elbv2.ApplicationLoadBalancer)) {
    acknowledge(loadBalancer.node.findChild('SecurityGroup'), 'AwsSolutions-EC23', "The internet-facing load balancer's listeners are open to the internet on purpose, behind AWS WAF (IP reputation, common rule set, rate limits).");
    for (const listener of children(loadBalancer, elbv2.ApplicationListener)) {
      const cfn = listener.node.defaultChild as elbv2.CfnListener;
      if (cfn.protocol !== 'HTTP') continue;
      acknowledge(
        listener,
        inCompliancePacks('ELBv2ACMCertificateRequired'),
        listener.node.id.startsWith('Redirect')
          ? 'Port 80 only redirects to the HTTPS listener (443, with the ACM certificate given at deploy time); it serves nothing.'
          : 'Dev only: the dev stack has no certificate and holds no real data; prod serves HTTPS with an ACM certificate and port 80 only redirects.',
      );
    }
  }
  for (const bucket of children(stack, s3.Bucket)) {
    acknowledge(bucket, ['AwsSolutions-S1', ...inCompliancePacks('S3BucketLoggingEnabled')], "It is the load balancer's access-log bucket: only Elastic Load Balancing's log delivery writes to it; logging it to yet another bucket would only log the log delivery.");
    acknowledge(bucket, inCompliancePacks('S3DefaultEncryptionKMS'), 'Elastic Load Balancing writes access logs only to buckets encrypted with SSE-S3, not SSE-KMS.');
    acknowledge(bucket, inCompliancePacks('S3BucketReplicationEnabled'), 'Open (docs/operations.md, "Rule packs"): a copy in a central log-archive account is an organisation-level bucket this stack does not own.');
  }
  // Dev trades availability and durability for cost: one AZ, no deletion protection, plain HTTP, no versions.
  const dev = `${environment.name} only (infra/lib/environments.ts): prod has it. The ${environment.name} stack holds no real data`;
  if (!environment.database.multiAz) acknowledge(database.instance, ['AwsSolutions-RDS3', ...inCompliancePacks('RDSMultiAZSupport')], `${dev}; a single-AZ database is enough to test on.`);
  if (!environment.database.deletionProtection) {
    acknowledge(database.instance, ['AwsSolutions-RDS10', ...inCompliancePacks('RDSInstanceDeletionProtectionEnabled')], `${dev} and is deleted with its stack.`);
  }
  for (const loadBalancer of children(stack, elbv2.ApplicationLoadBalancer)) {
    if (!environment.edge.deletionProtection) acknowledge(loadBalancer, inCompliancePacks('ELBDeletionProtectionEnabled'), `${dev} and is deleted with its stack.`);
    if (!environment.gatewayHttps) {
      for (const listener of children(loadBalancer, elbv2.ApplicationListener)) acknowledge(listener, inCompliancePacks('ALBHttpToHttpsRedirection'), `${dev} and has no certificate to serve HTTPS with.`);
    }
  }
  if (!environment.keepData) {
    for (const bucket of children(stack, s3.Bucket)) acknowledge(bucket, inCompliancePacks('S3BucketVersioningEnabled'), `${dev}; its access logs are deleted with the stack.`);
  }
  acknowledge(stack.alarms.topic, inCompliancePacks('SNSEncryptedKMS'), 'Alarm notifications carry alarm names, states and metric values, no customer or card data.');
}
