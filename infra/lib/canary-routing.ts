import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as vpclattice from 'aws-cdk-lib/aws-vpclattice';
import { Construct } from 'constructs';
import type { WeightedRoute } from '../../contracts/routing.ts';
import { HEALTH_PATHS } from '../../discovery/catalog.ts';
import type { PayMeshService } from './paymesh-service.ts';

export interface CanaryRoutingProps {
  /** The seed's VirtualService / VirtualRouter / Route, as contracts/routing.ts reads it. */
  route: WeightedRoute;
  vpc: ec2.IVpc;
  /** The ECS service behind each virtual node of the route. */
  backends: Map<string, PayMeshService>;
  /** Who may call the routed service (the gateway). */
  clients: ec2.ISecurityGroup[];
  /** The paypal.local zone, where the virtual service's name is made to point at the Lattice service. */
  zone: route53.IHostedZone;
  environmentName: string;
  logRetention: logs.RetentionDays;
  keepData: boolean;
}

/** Where VPC Lattice's traffic to targets comes from (the com.amazonaws.<region>.vpc-lattice prefix list, IPv4). */
export const LATTICE_SOURCE_RANGE = '169.254.171.0/24';

/**
 * The seed's App Mesh route (VirtualService payment-service.paypal.local,
 * VirtualRouter listener, Route with WeightedTargets) expressed with Amazon
 * VPC Lattice, App Mesh's successor: a Lattice service named for the virtual
 * service, a listener on the router's port, a rule on the route's prefix
 * forwarding to one target group per virtual node with the file's weights.
 * ECS registers each backend's tasks in its target group.
 */
export class CanaryRouting extends Construct {
  readonly latticeService: vpclattice.CfnService;
  readonly rule: vpclattice.CfnRule;
  readonly targetGroups: Map<string, vpclattice.CfnTargetGroup>;

  constructor(scope: Construct, id: string, props: CanaryRoutingProps) {
    super(scope, id);
    const { route } = props;
    const serviceName = route.virtualService.split('.')[0]!;

    const network = new vpclattice.CfnServiceNetwork(this, 'Network', { name: `paymesh-${props.environmentName}`, authType: 'NONE' });
    const clientsGroup = new ec2.SecurityGroup(this, 'ClientsSecurityGroup', {
      vpc: props.vpc,
      description: 'Who in the VPC may reach the PayMesh Lattice service network',
      allowAllOutbound: false,
    });
    for (const client of props.clients) {
      clientsGroup.addIngressRule(client, ec2.Port.tcp(route.port), `${route.virtualService} from a PayMesh client`);
      // The Lattice service's addresses are link-local (169.254.171.0/24): the client's own egress must allow them.
      client.addEgressRule(ec2.Peer.ipv4(LATTICE_SOURCE_RANGE), ec2.Port.tcp(route.port), `${route.virtualService} through VPC Lattice`);
    }
    new vpclattice.CfnServiceNetworkVpcAssociation(this, 'VpcAssociation', {
      serviceNetworkIdentifier: network.attrId,
      vpcIdentifier: props.vpc.vpcId,
      securityGroupIds: [clientsGroup.securityGroupId],
    });

    // Callers keep using the seed's name; Lattice answers it.
    this.latticeService = new vpclattice.CfnService(this, 'Service', {
      name: serviceName,
      authType: 'NONE',
      customDomainName: route.virtualService,
    });
    new vpclattice.CfnServiceNetworkServiceAssociation(this, 'ServiceAssociation', {
      serviceNetworkIdentifier: network.attrId,
      serviceIdentifier: this.latticeService.attrId,
    });
    new route53.CnameRecord(this, 'Name', {
      zone: props.zone,
      recordName: route.virtualService,
      domainName: this.latticeService.attrDnsEntryDomainName,
      ttl: Duration.seconds(60),
    });

    const infrastructureRole = new iam.Role(this, 'EcsInfrastructureRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description: 'Lets ECS register PayMesh tasks in their VPC Lattice target groups',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonECSInfrastructureRolePolicyForVpcLattice')],
    });

    this.targetGroups = new Map();
    for (const target of route.targets) {
      const backend = props.backends.get(target.node);
      if (!backend) throw new Error(`routing: virtual node ${target.node} has no PayMesh service (set routingNode in infra/catalog.ts)`);
      const main = backend.spec.listeners[0]!;
      if (main.protocol !== 'http') throw new Error(`routing: ${target.node} must listen on HTTP`);
      const port = main.port;
      const targetGroup = new vpclattice.CfnTargetGroup(this, `Target-${target.node}`, {
        name: target.node,
        type: 'IP',
        config: {
          port,
          protocol: 'HTTP',
          protocolVersion: 'HTTP1',
          ipAddressType: 'IPV4',
          vpcIdentifier: props.vpc.vpcId,
          healthCheck: {
            enabled: true,
            protocol: 'HTTP',
            port,
            path: HEALTH_PATHS.alive,
            healthCheckIntervalSeconds: 10,
            healthyThresholdCount: 2,
            unhealthyThresholdCount: 2,
            matcher: { httpCode: '200' },
          },
        },
      });
      this.targetGroups.set(target.node, targetGroup);
      (backend.service.node.defaultChild as ecs.CfnService).vpcLatticeConfigurations = [
        { roleArn: infrastructureRole.roleArn, targetGroupArn: targetGroup.attrArn, portName: main.name },
      ];
      backend.securityGroup.addIngressRule(ec2.Peer.ipv4(LATTICE_SOURCE_RANGE), ec2.Port.tcp(port), `${target.node} from VPC Lattice`);
    }

    const listener = new vpclattice.CfnListener(this, 'Listener', {
      serviceIdentifier: this.latticeService.attrId,
      name: `http-${route.port}`,
      protocol: 'HTTP',
      port: route.port,
      defaultAction: { fixedResponse: { statusCode: 404 } },
    });
    this.rule = new vpclattice.CfnRule(this, 'Route', {
      serviceIdentifier: this.latticeService.attrId,
      listenerIdentifier: listener.attrId,
      name: route.routeName,
      priority: 10,
      match: { httpMatch: { pathMatch: { match: { prefix: route.prefix }, caseSensitive: false } } },
      action: {
        forward: {
          targetGroups: route.targets.map((t) => ({ targetGroupIdentifier: this.targetGroups.get(t.node)!.attrId, weight: t.weight })),
        },
      },
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: `/paymesh/${props.environmentName}/lattice/${serviceName}`,
      retention: props.logRetention,
      removalPolicy: props.keepData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    new vpclattice.CfnAccessLogSubscription(this, 'AccessLogSubscription', {
      resourceIdentifier: this.latticeService.attrArn,
      destinationArn: accessLogs.logGroupArn,
    });
  }
}
