import path from 'node:path';
import { CfnOutput, CfnParameter, Duration, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import type { Construct } from 'constructs';
import { loadWeightedRoute, PAYMENT_ROUTING_PATH } from '../../contracts/routing.ts';
import { loadTopology, TOPOLOGY_PATH } from '../../contracts/topology.ts';
import { HEALTH_PATHS } from '../../discovery/catalog.ts';
import { DISCOVERY_NAMESPACE, listenerFor, SERVICES, type ServiceSpec } from '../catalog.ts';
import { Alarms } from './alarms.ts';
import { CanaryRouting } from './canary-routing.ts';
import { DataKey } from './data-key.ts';
import { DatabaseProvisioning } from './database-provisioning.ts';
import { Database } from './database.ts';
import type { EnvironmentSettings } from './environments.ts';
import { Messaging } from './messaging.ts';
import { OperatorAccess } from './operator-access.ts';
import { PayMeshService, retentionDays } from './paymesh-service.ts';
import { PrivateEndpoints } from './private-endpoints.ts';
import { PublicEdge } from './public-edge.ts';
import { acknowledgeRulePackFindings } from './rule-packs.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
export const DEFAULT_COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.47.0';
/** Images from Amazon ECR Public reach the tasks through this ECR pull-through cache prefix: pulled inside the VPC, with no internet egress. */
export const PUBLIC_ECR_CACHE_PREFIX = 'paymesh-ecr-public';

export interface PayMeshStackProps extends StackProps {
  environment: EnvironmentSettings;
  topologyFile?: string;
  routingFile?: string;
  /** A pushed image to run instead of building the repository's Dockerfile at deploy time. */
  imageUri?: string;
  collectorImage?: string;
  services?: ServiceSpec[];
}

/** The whole platform for one environment: network, messaging, database, services, discovery, canary routing, the public edge, alarms, operator access. */
export class PayMeshStack extends Stack {
  readonly messaging: Messaging;
  readonly services: Map<string, PayMeshService>;
  readonly canary: CanaryRouting;
  readonly alarms: Alarms;
  readonly operatorAccess: OperatorAccess;
  readonly database: Database;
  readonly dataKey: DataKey;
  readonly databaseProvisioning: DatabaseProvisioning;
  readonly endpoints: PrivateEndpoints;

  constructor(scope: Construct, id: string, props: PayMeshStackProps) {
    super(scope, id, { description: `PayMesh ${props.environment.name}: services on ECS Fargate, SQS, EventBridge, RDS PostgreSQL, Cloud Map, VPC Lattice`, ...props });
    const { environment } = props;
    const specs = props.services ?? SERVICES;
    const keep = environment.keepData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    // Every log group and secret of the stack is encrypted with its own key, kept as long as they are.
    this.dataKey = new DataKey(this, 'DataKey', { removalPolicy: keep });
    Tags.of(this).add('application', 'paymesh');
    Tags.of(this).add('environment', environment.name);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: environment.network.maxAzs,
      natGateways: environment.network.natGateways,
      // Emptying the default security group takes a Lambda-backed custom resource whose code must be staged into
      // cdk.out, which this app does not do (see app.ts). Nothing here uses the default group.
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [
        // Only the load balancer and the NAT gateways live here, and both get their addresses otherwise: nothing
        // launched here is given a public address by default (PCI DSS 1.3 / VPCSubnetAutoAssignPublicIpDisabled).
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'services', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    const serviceSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    vpc.addFlowLog('FlowLogs', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogsGroup', {
          logGroupName: `/paymesh/${environment.name}/vpc-flow-logs`,
          retention: retentionDays(environment.logRetentionDays),
          removalPolicy: keep,
        }),
      ),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    // The tasks reach AWS's APIs through VPC endpoints; their security groups have no other way out.
    this.endpoints = new PrivateEndpoints(this, 'Endpoints', { vpc, subnets: serviceSubnets });
    const cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: `paymesh-${environment.name}`,
      vpc,
      containerInsightsV2: { enabled: ecs.ContainerInsights.ENABLED, enhanced: ecs.ContainerInsights.ENHANCED }[environment.containerInsights],
    });
    const namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      name: DISCOVERY_NAMESPACE,
      vpc,
      description: "PayMesh services under the seed's names",
    });
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: (namespace.node.defaultChild as servicediscovery.CfnPrivateDnsNamespace).attrHostedZoneId,
      zoneName: DISCOVERY_NAMESPACE,
    });

    this.messaging = new Messaging(this, 'Messaging', {
      topology: loadTopology(props.topologyFile ?? TOPOLOGY_PATH),
      archiveRetentionDays: environment.archiveRetentionDays,
      keepData: environment.keepData,
    });
    const database = new Database(this, 'Database', { vpc, environment });
    this.database = database;
    const gatewayJwt = new secretsmanager.Secret(this, 'GatewayJwtSecret', {
      secretName: `paymesh/${environment.name}/gateway-jwt`,
      description: 'HS256 key the gateway signs access tokens with',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: keep,
    });
    const firstOperatorPassword = new secretsmanager.Secret(this, 'FirstOperatorSecret', {
      secretName: `paymesh/${environment.name}/first-operator`,
      description: 'Password of the first operator, made by the user service while there is none; read it once, sign in, make named operators',
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
      removalPolicy: keep,
    });
    const metricsLogGroup = new logs.LogGroup(this, 'MetricsLogs', {
      logGroupName: `/paymesh/${environment.name}/metrics`,
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: keep,
    });

    const image = props.imageUri
      ? ecs.ContainerImage.fromRegistry(props.imageUri)
      : ecs.ContainerImage.fromDockerImageAsset(
          // Built and pushed by `cdk deploy`; synthesis only fingerprints the files .dockerignore lets in.
          new DockerImageAsset(this, 'Image', { directory: REPO_ROOT, file: 'Dockerfile', platform: Platform.LINUX_AMD64 }),
        );

    const collector = this.collectorImage(props.collectorImage ?? DEFAULT_COLLECTOR_IMAGE);

    // Each service database's role and schema, made with the master secret by a one-off task before any service starts.
    const databases = [...new Set(specs.flatMap((s) => (s.database ? [s.database] : [])))];
    this.databaseProvisioning = new DatabaseProvisioning(this, 'DatabaseProvisioning', { environment, cluster, image, database, databases, subnets: serviceSubnets });
    database.allowFrom(this.databaseProvisioning.securityGroup, 'PostgreSQL from the provisioning task');
    this.endpoints.allowFrom(this.databaseProvisioning.securityGroup);

    this.services = new Map();
    for (const spec of specs) {
      const service = new PayMeshService(this, `Service-${spec.name}`, {
        spec,
        environment,
        cluster,
        image,
        collector,
        namespace,
        messaging: this.messaging,
        database: spec.database ? database.connectionSettings(spec.database) : undefined,
        secrets: { gatewayJwt: ecs.Secret.fromSecretsManager(gatewayJwt), firstOperatorPassword: ecs.Secret.fromSecretsManager(firstOperatorPassword) },
        metricsLogGroup,
      });
      // Only services with a database reach it, each with its own role's secret.
      if (spec.database) database.allowFrom(service.securityGroup);
      service.service.node.addDependency(this.databaseProvisioning.run);
      this.endpoints.allowFrom(service.securityGroup);
      if (collector.cacheRule) (service.service.node.defaultChild as ecs.CfnService).addResourceDependency(collector.cacheRule);
      this.services.set(spec.name, service);
      // Cloud Map registers one name per ECS service; the service's other names point at it.
      const [registered, ...aliases] = spec.listeners.flatMap((l) => l.discoveryNames);
      for (const alias of aliases) {
        new route53.CnameRecord(this, `Alias-${alias}`, {
          zone,
          recordName: `${alias}.${DISCOVERY_NAMESPACE}`,
          domainName: `${registered}.${DISCOVERY_NAMESPACE}`,
          ttl: Duration.seconds(60),
        });
      }
    }

    const route = loadWeightedRoute(props.routingFile ?? PAYMENT_ROUTING_PATH);
    const routedClients: ec2.ISecurityGroup[] = [];
    for (const caller of this.services.values()) {
      for (const name of caller.spec.calls) {
        if (name === route.virtualService) {
          routedClients.push(caller.securityGroup);
          continue;
        }
        const found = listenerFor(name, specs);
        if (!found) throw new Error(`${caller.spec.name} calls ${name}, which no PayMesh service answers`);
        // Ingress on the callee's group and egress on the caller's.
        this.services.get(found.service.name)!.securityGroup.connections.allowFrom(caller.securityGroup, ec2.Port.tcp(found.listener.port), `${name} from ${caller.spec.name}`);
      }
    }

    this.canary = new CanaryRouting(this, 'CanaryRouting', {
      route,
      vpc,
      backends: new Map([...this.services.values()].filter((s) => s.spec.routingNode).map((s) => [s.spec.routingNode!, s])),
      clients: routedClients,
      zone,
      environmentName: environment.name,
      logRetention: retentionDays(environment.logRetentionDays),
      keepData: environment.keepData,
    });

    let publicEntry: { loadBalancer: elbv2.ApplicationLoadBalancer; targetGroup: elbv2.ApplicationTargetGroup } | undefined;
    for (const service of this.services.values()) {
      if (service.spec.public) publicEntry = this.exposeToInternet(vpc, service, environment);
    }

    this.alarms = new Alarms(this, 'Alarms', {
      environment,
      messaging: this.messaging,
      services: specs,
      ecsServices: [...this.services.values()],
      clusterName: cluster.clusterName,
      database: database.instance,
      publicEntry,
      versionTargetGroups: this.canary.targetGroups,
    });
    this.operatorAccess = new OperatorAccess(this, 'OperatorAccess', { messaging: this.messaging, environmentName: environment.name });

    new CfnOutput(this, 'DatabaseSecretName', { value: database.instance.secret!.secretName, description: 'Secrets Manager secret holding the database master credentials (only the provisioning task receives them)' });
    new CfnOutput(this, 'DatabaseProvisioningTask', { value: this.databaseProvisioning.taskDefinition.family, description: 'Task definition family of the one-off database provisioning task (npm run db:provision)' });
    new CfnOutput(this, 'DatabaseProvisioningSecurityGroup', { value: this.databaseProvisioning.securityGroup.securityGroupId, description: 'Security group to run the provisioning task with' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn, description: 'Subscribe the on-call address or chat integration here' });
    new CfnOutput(this, 'ClusterName', { value: cluster.clusterName });
    // The rule packs' findings that do not apply (or are open on purpose), each with its reason: rule-packs.ts.
    acknowledgeRulePackFindings(this, environment);
  }

  /**
   * The collector's image. One from Amazon ECR Public comes through an ECR pull-through cache rule, so
   * the task pulls it from ECR inside the VPC; any other must be reachable through the ECR endpoints.
   */
  private collectorImage(uri: string): { image: ecs.ContainerImage; pullThroughRepositoryArn?: string; cacheRule?: ecr.CfnPullThroughCacheRule } {
    const upstream = /^public\.ecr\.aws\/([^:@]+)[:@](.+)$/.exec(uri);
    if (!upstream) return { image: ecs.ContainerImage.fromRegistry(uri) };
    const [, path, tagOrDigest] = upstream;
    const cacheRule = new ecr.CfnPullThroughCacheRule(this, 'PublicEcrCache', {
      ecrRepositoryPrefix: PUBLIC_ECR_CACHE_PREFIX,
      upstreamRegistry: 'ecr-public',
      upstreamRegistryUrl: 'public.ecr.aws',
    });
    const repository = ecr.Repository.fromRepositoryName(this, 'CollectorRepository', `${PUBLIC_ECR_CACHE_PREFIX}/${path}`);
    return { image: ecs.ContainerImage.fromEcrRepository(repository, tagOrDigest), pullThroughRepositoryArn: repository.repositoryArn, cacheRule };
  }

  private exposeToInternet(vpc: ec2.IVpc, service: PayMeshService, environment: EnvironmentSettings) {
    const loadBalancer = new elbv2.ApplicationLoadBalancer(this, `PublicLoadBalancer-${service.spec.name}`, {
      vpc,
      internetFacing: true,
      dropInvalidHeaderFields: true,
      deletionProtection: environment.edge.deletionProtection,
      // WebSocket pushes (/ws) stay open between messages.
      idleTimeout: Duration.seconds(300),
    });
    let listener: elbv2.ApplicationListener;
    if (environment.gatewayHttps) {
      const certificateArn = new CfnParameter(this, 'GatewayCertificateArn', {
        type: 'String',
        description: 'ACM certificate for the public gateway (arn:aws:acm:...); given at deploy time, never kept in the repository',
        allowedPattern: '^arn:aws[a-z-]*:acm:.+',
      });
      listener = loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(certificateArn.valueAsString)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      });
      loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });
    } else {
      listener = loadBalancer.addListener('Http', { port: 80, protocol: elbv2.ApplicationProtocol.HTTP });
    }
    const main = service.spec.listeners[0]!;
    const targetGroup = listener.addTargets(service.spec.name, {
      port: main.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [service.service.loadBalancerTarget({ containerName: service.spec.name, containerPort: main.port })],
      healthCheck: { path: HEALTH_PATHS.alive, interval: Duration.seconds(15), healthyHttpCodes: '200' },
      deregistrationDelay: Duration.seconds(30),
    });
    new PublicEdge(this, 'PublicEdge', { loadBalancer, environment });
    new CfnOutput(this, 'GatewayUrl', { value: `${environment.gatewayHttps ? 'https' : 'http'}://${loadBalancer.loadBalancerDnsName}`, description: 'The public API (/v1)' });
    return { loadBalancer, targetGroup };
  }
}
