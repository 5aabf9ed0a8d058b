import { Aws, CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Database } from './database.ts';
import type { EnvironmentSettings } from './environments.ts';
import { retentionDays } from './paymesh-service.ts';

export interface DatabaseProvisioningProps {
  environment: EnvironmentSettings;
  cluster: ecs.ICluster;
  image: ecs.ContainerImage;
  database: Database;
  /** The service databases to provision (payment v1 and v2 share `payment`). */
  databases: string[];
  subnets: ec2.SubnetSelection;
}

export const PROVISION_CONTAINER = 'db-provision';

/**
 * The one task that holds the database's master secret: `node storage/provision.ts`
 * (npm run db:provision) in the services' image, which makes each service's role
 * `paymesh_<database>` with the password from that service's own secret, and
 * gives the role its schema. A custom resource runs it on every deploy that
 * changes its task definition (a new image, a new service), waits for it to
 * exit 0, and fails the deploy otherwise; the ECS services wait for it, so no
 * service starts before its role exists. Its handler is inline code in the
 * template (no asset to stage; synthesis stays offline). The task can also be
 * run by hand (docs/operations.md, "Database roles").
 */
export class DatabaseProvisioning extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly securityGroup: ec2.SecurityGroup;
  readonly run: CustomResource;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DatabaseProvisioningProps) {
    super(scope, id);
    const { environment, database } = props;
    const keep = environment.keepData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/paymesh/${environment.name}/db-provision`,
      retention: retentionDays(environment.logRetentionDays),
      removalPolicy: keep,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      family: `paymesh-${environment.name}-db-provision`,
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    const admin = database.adminConnectionSettings();
    const secrets: Record<string, ecs.Secret> = { ...admin.secrets };
    for (const name of props.databases) {
      // The password storage/provision.ts sets for the role (serviceRoleFromEnv reads <DATABASE>_DATABASE_PASSWORD).
      secrets[`${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_DATABASE_PASSWORD`] = ecs.Secret.fromSecretsManager(database.serviceSecret(name), 'password');
    }
    this.taskDefinition.addContainer('app', {
      containerName: PROVISION_CONTAINER,
      image: props.image,
      essential: true,
      entryPoint: ['node', '/app/storage/provision.ts'],
      command: ['--services', props.databases.join(',')],
      environment: { ...admin.environment, LOG_LEVEL: 'info' },
      secrets,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'provision' }),
      readonlyRootFilesystem: true,
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: 'PayMesh database provisioning (one-off task)',
      allowAllOutbound: false,
    });

    const handlerLogs = new logs.LogGroup(this, 'RunnerLogs', {
      logGroupName: `/paymesh/${environment.name}/db-provision-runner`,
      retention: retentionDays(environment.logRetentionDays),
      removalPolicy: keep,
    });
    const runner = new lambda.Function(this, 'Runner', {
      description: 'Runs the PayMesh database provisioning task and waits for it (CloudFormation custom resource)',
      // The newest Node.js runtime aws-cdk-lib knows (cdk-nag AwsSolutions-L1); the handler is CommonJS with the runtime's AWS SDK v3.
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(RUNNER_CODE),
      timeout: Duration.minutes(15),
      logGroup: handlerLogs,
    });
    this.taskDefinition.grantRun(runner);
    runner.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeTasks'],
        resources: [`arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:task/${props.cluster.clusterName}/*`],
      }),
    );
    this.run = new CustomResource(this, 'Run', {
      serviceToken: runner.functionArn,
      resourceType: 'Custom::PayMeshDatabaseProvisioning',
      properties: {
        Cluster: props.cluster.clusterName,
        TaskDefinition: this.taskDefinition.taskDefinitionArn,
        ContainerName: PROVISION_CONTAINER,
        LogGroup: this.logGroup.logGroupName,
        Subnets: props.cluster.vpc.selectSubnets(props.subnets).subnetIds,
        SecurityGroups: [this.securityGroup.securityGroupId],
      },
    });
    // The task needs the database and its way to it (security group rules included) before it runs.
    this.run.node.addDependency(database, this.securityGroup);
  }
}

/**
 * The custom resource's handler: RunTask, poll until the task stops, answer SUCCESS when the container
 * exited 0 and FAILED otherwise (with the reason). Deleting the resource does nothing (roles and schemas
 * stay with the data). CommonJS, with the AWS SDK the Lambda runtime carries.
 */
const RUNNER_CODE = `
const { ECSClient, RunTaskCommand, DescribeTasksCommand } = require('@aws-sdk/client-ecs');
const https = require('node:https');
const ecs = new ECSClient({});

function respond(event, context, status, reason, data) {
  const body = JSON.stringify({
    Status: status,
    Reason: String(reason || 'see CloudWatch log stream ' + context.logStreamName).slice(0, 3000),
    PhysicalResourceId: event.PhysicalResourceId || 'paymesh-db-provision',
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: data || {},
  });
  const url = new URL(event.ResponseURL);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { hostname: url.hostname, path: url.pathname + url.search, method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } },
      (res) => { res.resume(); res.on('end', resolve); },
    );
    req.on('error', reject);
    req.end(body);
  });
}

exports.handler = async (event, context) => {
  if (event.RequestType === 'Delete') return respond(event, context, 'SUCCESS', 'nothing to undo');
  const p = event.ResourceProperties;
  try {
    const started = await ecs.send(new RunTaskCommand({
      cluster: p.Cluster,
      taskDefinition: p.TaskDefinition,
      launchType: 'FARGATE',
      count: 1,
      startedBy: 'cloudformation',
      networkConfiguration: { awsvpcConfiguration: { subnets: p.Subnets, securityGroups: p.SecurityGroups, assignPublicIp: 'DISABLED' } },
    }));
    const task = started.tasks && started.tasks[0];
    if (!task) throw new Error('RunTask started no task: ' + JSON.stringify(started.failures));
    console.log('provisioning task', task.taskArn);
    while (context.getRemainingTimeInMillis() > 30000) {
      await new Promise((resolve) => setTimeout(resolve, 10000));
      const described = await ecs.send(new DescribeTasksCommand({ cluster: p.Cluster, tasks: [task.taskArn] }));
      const t = described.tasks && described.tasks[0];
      if (!t || t.lastStatus !== 'STOPPED') continue;
      const container = (t.containers || []).find((c) => c.name === p.ContainerName);
      if (container && container.exitCode === 0) return respond(event, context, 'SUCCESS', 'provisioned by ' + task.taskArn, { TaskArn: task.taskArn });
      throw new Error('provisioning task ' + task.taskArn + ' failed (exit ' + (container && container.exitCode) + ', ' + (t.stoppedReason || '') + '): see the log group ' + p.LogGroup);
    }
    throw new Error('provisioning task ' + task.taskArn + ' did not finish in time');
  } catch (err) {
    console.error(err);
    return respond(event, context, 'FAILED', err && err.message);
  }
};
`;
