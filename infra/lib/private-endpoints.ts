import { Aws, CfnParameter, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * The AWS APIs the tasks call, by the interface endpoint's short name: SQS and
 * EventBridge (messaging/aws.ts), Secrets Manager (ECS injects the secrets at
 * start), ECR's API and registry (image pulls, the collector's through the
 * pull-through cache), CloudWatch Logs (the awslogs driver and the collector's
 * EMF metrics) and X-Ray (the collector's traces). Nothing calls STS: task
 * credentials come from the ECS credentials endpoint.
 */
export const INTERFACE_ENDPOINTS: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
  sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
  events: ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE,
  secretsmanager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  'ecr.api': ec2.InterfaceVpcEndpointAwsService.ECR,
  'ecr.dkr': ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  xray: ec2.InterfaceVpcEndpointAwsService.XRAY,
};

/**
 * VPC endpoints for everything the tasks call on AWS, so their security
 * groups need no route to the internet: interface endpoints (private DNS, one
 * security group admitting HTTPS from PayMesh services only) and a gateway
 * endpoint for S3, where ECR keeps image layers, limited to ECR's layer bucket.
 * The tasks' egress to S3 is opened to the region's S3 prefix list, whose id
 * is a deploy-time parameter (`S3PrefixListId`): looking it up at synthesis
 * would need AWS credentials.
 */
export class PrivateEndpoints extends Construct {
  readonly securityGroup: ec2.SecurityGroup;
  readonly s3PrefixList: ec2.IPeer;

  constructor(scope: Construct, id: string, props: { vpc: ec2.Vpc; subnets: ec2.SubnetSelection }) {
    super(scope, id);
    const { vpc, subnets } = props;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'PayMesh VPC interface endpoints: HTTPS from PayMesh services only',
      allowAllOutbound: false,
    });
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      vpc.addInterfaceEndpoint(`Endpoint-${name}`, { service, subnets, privateDnsEnabled: true, securityGroups: [this.securityGroup], open: false });
    }
    const s3 = vpc.addGatewayEndpoint('Endpoint-s3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [subnets] });
    s3.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::prod-${Aws.REGION}-starport-layer-bucket/*`],
      }),
    );
    const prefixList = new CfnParameter(Stack.of(this), 'S3PrefixListId', {
      type: 'String',
      description:
        "The region's S3 prefix list (aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.<region>.s3): the tasks may reach S3 (ECR image layers) there and nowhere else outside the VPC",
      allowedPattern: '^pl-[0-9a-f]+$',
    });
    this.s3PrefixList = ec2.Peer.prefixList(prefixList.valueAsString);
  }

  /** HTTPS from a service to the interface endpoints and, through the gateway endpoint, to S3. */
  allowFrom(group: ec2.SecurityGroup): void {
    this.securityGroup.connections.allowFrom(group, ec2.Port.tcp(443), 'HTTPS to AWS APIs from a PayMesh service');
    group.addEgressRule(this.s3PrefixList, ec2.Port.tcp(443), 'ECR image layers from S3, through the gateway endpoint');
  }
}
