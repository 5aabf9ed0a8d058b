import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import type { SecretId, ServiceSpec } from '../catalog.ts';
import type { EnvironmentSettings } from './environments.ts';
import { grantMessagingInspection, putEventsStatement } from './messaging-grants.ts';
import type { Messaging } from './messaging.ts';
import { COLLECTOR_OTLP_ENDPOINT, collectorConfig, XRAY_ACTIONS } from './metrics-collector.ts';

export interface PayMeshServiceProps {
  spec: ServiceSpec;
  environment: EnvironmentSettings;
  cluster: ecs.ICluster;
  image: ecs.ContainerImage;
  /** The ADOT collector's image, and the ECR pull-through cache repository it comes through (the task pulls it there, inside the VPC). */
  collector: { image: ecs.ContainerImage; pullThroughRepositoryArn?: string };
  namespace: servicediscovery.INamespace;
  messaging: Messaging;
  /** Its own database role's connection settings; undefined for a service that opens no database. */
  database: { environment: Record<string, string>; secrets: Record<string, ecs.Secret> } | undefined;
  secrets: Record<SecretId, ecs.Secret>;
  metricsLogGroup: logs.ILogGroup;
}

/** Health check in the image and in the task definition: /healthz for HTTP services, the gRPC health service for the wallet. */
export const HEALTH_CHECK_COMMAND = ['CMD', 'node', '/app/infra/container/healthcheck.ts'];

/**
 * One PayMesh service on Fargate: its task (the service container, plus a
 * metrics collector beside HTTP services), its security group (no egress of
 * its own: the stack opens what it needs), its Cloud Map name, its log group,
 * scaling, and a task role allowed exactly the queues and events the catalog
 * says it uses.
 */
export class PayMeshService extends Construct {
  readonly spec: ServiceSpec;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PayMeshServiceProps) {
    super(scope, id);
    const { spec, environment, messaging } = props;
    this.spec = spec;
    const removalPolicy = environment.keepData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/paymesh/${environment.name}/${spec.name}`,
      retention: retentionDays(environment.logRetentionDays),
      removalPolicy,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      family: `paymesh-${environment.name}-${spec.name}`,
      cpu: environment.tasks.cpu,
      memoryLimitMiB: environment.tasks.memoryMiB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });

    const main = spec.listeners[0]!;
    // Every HTTP listener is a createHttpApp with /metrics; the collector beside the service scrapes the first.
    const metricsListener = spec.listeners.find((l) => l.protocol === 'http');
    // With a collector in the task, spans go to it (and on to X-Ray) rather than to the gateway's in-memory store,
    // which the gateway then does not keep: its replicas would each hold a part of every trace.
    const tracing: Record<string, string> = metricsListener
      ? { OTEL_EXPORTER_OTLP_ENDPOINT: COLLECTOR_OTLP_ENDPOINT, ...(spec.name === 'gateway' ? { GATEWAY_TRACE_STORE_TRACES: '0' } : {}) }
      : {};
    const listenerSettings: Record<string, string> = {};
    for (const listener of spec.listeners) {
      listenerSettings[listener.hostSetting] = '0.0.0.0';
      listenerSettings[listener.portSetting] = String(listener.port);
    }
    const secrets: Record<string, ecs.Secret> = { ...props.database?.secrets };
    for (const [setting, secretId] of Object.entries(spec.secretSettings ?? {})) secrets[setting] = props.secrets[secretId];

    this.container = this.taskDefinition.addContainer('app', {
      containerName: spec.name,
      image: props.image,
      essential: true,
      environment: {
        SERVICE: spec.name,
        SERVICE_DISCOVERY: 'dns',
        AWS_REGION: Aws.REGION,
        LOG_LEVEL: 'info',
        ...tracing,
        ...listenerSettings,
        ...spec.settings,
        ...props.database?.environment,
      },
      secrets,
      portMappings: spec.listeners.map((l) => ({
        name: l.name,
        containerPort: l.port,
        protocol: ecs.Protocol.TCP,
        appProtocol: l.protocol === 'grpc' ? ecs.AppProtocol.grpc : ecs.AppProtocol.http,
      })),
      healthCheck: { command: HEALTH_CHECK_COMMAND, interval: Duration.seconds(15), timeout: Duration.seconds(5), retries: 3, startPeriod: Duration.seconds(30) },
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'app' }),
      readonlyRootFilesystem: true,
      linuxParameters: new ecs.LinuxParameters(this, 'Linux', { initProcessEnabled: true }),
      stopTimeout: Duration.seconds(30),
    });

    if (metricsListener) {
      this.taskDefinition.addContainer('metrics', {
        containerName: 'metrics-collector',
        image: props.collector.image,
        essential: false,
        cpu: environment.tasks.collectorCpu,
        memoryLimitMiB: environment.tasks.collectorMemoryMiB,
        environment: { AOT_CONFIG_CONTENT: collectorConfig({ port: metricsListener.port, logGroupName: props.metricsLogGroup.logGroupName }), AWS_REGION: Aws.REGION },
        logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'metrics-collector' }),
      });
      if (props.collector.pullThroughRepositoryArn) {
        // The first pull of a tag makes ECR fetch it from the upstream registry into the cache repository.
        this.taskDefinition.obtainExecutionRole().addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'], resources: [props.collector.pullThroughRepositoryArn] }),
        );
      }
      props.metricsLogGroup.grantWrite(this.taskDefinition.taskRole);
      this.taskDefinition.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: XRAY_ACTIONS, resources: ['*'] }));
    }

    this.grantMessaging(messaging, this.taskDefinition.taskRole);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: `PayMesh ${spec.name}`,
      // Egress only where the stack opens it: the VPC endpoints, the database, the services it calls.
      allowAllOutbound: false,
    });

    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: spec.name,
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: environment.tasks.desiredCount,
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      enableExecuteCommand: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      ...(main.discoveryNames[0]
        ? {
            cloudMapOptions: {
              name: main.discoveryNames[0],
              cloudMapNamespace: props.namespace,
              dnsRecordType: servicediscovery.DnsRecordType.A,
              dnsTtl: Duration.seconds(10),
              container: this.container,
              containerPort: main.port,
            },
          }
        : {}),
    });

    const scaling = this.service.autoScaleTaskCount({ minCapacity: environment.tasks.desiredCount, maxCapacity: environment.tasks.maxCount });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
    if (spec.scaleOnQueue) {
      scaling.scaleOnMetric('QueueDepth', {
        metric: messaging.queue(spec.scaleOnQueue).metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        scalingSteps: [
          { upper: 10, change: -1 },
          { lower: 100, change: +1 },
          { lower: 1000, change: +3 },
        ],
        cooldown: Duration.minutes(2),
      });
    }
  }

  /**
   * Exactly what its code does with the messaging: receive from and delete in the queues it consumes
   * (and read the depth of their DLQs, messaging/consumer-host.ts), send to the queues it sends to, put
   * events on the bus only under its own sources and detail-types, and, for the gateway, look without
   * touching (messaging-grants.ts).
   */
  private grantMessaging(messaging: Messaging, role: iam.IRole): void {
    for (const name of this.spec.consumes) {
      messaging.queue(name).grantConsumeMessages(role);
      const dlq = messaging.deadLetterOf(name);
      if (dlq && !this.spec.consumes.includes(dlq)) messaging.queue(dlq).grant(role, 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl');
    }
    for (const name of this.spec.sends) messaging.queue(name).grantSendMessages(role);
    for (const grant of this.spec.publishes) role.addToPrincipalPolicy(putEventsStatement(messaging.bus, grant));
    if (this.spec.inspectsMessaging) grantMessagingInspection(messaging, role);
  }
}

export function retentionDays(days: number): logs.RetentionDays {
  const known = Object.values(logs.RetentionDays).filter((v): v is logs.RetentionDays => typeof v === 'number');
  if (!known.includes(days as logs.RetentionDays)) throw new Error(`CloudWatch Logs cannot keep logs for ${days} days`);
  return days as logs.RetentionDays;
}
