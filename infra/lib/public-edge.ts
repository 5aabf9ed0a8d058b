import { ArnFormat, Aws, CfnCondition, CfnMapping, type CfnResource, Duration, Fn, RemovalPolicy, Stack, type ICfnConditionExpression } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import type { EnvironmentSettings } from './environments.ts';
import { retentionDays } from './paymesh-service.ts';

/** The prefix ALB access logs are written under in the bucket. */
export const ACCESS_LOG_PREFIX = 'alb';

/** The public API's sign-in and sign-up, which the tighter rate-based rule counts (with the gateway's own per-address and per-account limits behind it). */
export const AUTH_PATHS = ['/v1/sessions', '/v1/users'];

/**
 * What stands in front of the public gateway besides its load balancer:
 * AWS WAF (AWS's IP reputation list and common rule set, a rate-based rule
 * per client address and a tighter one on sign-in and sign-up), its logs,
 * and the load balancer's access logs in an encrypted S3 bucket that only
 * Elastic Load Balancing's log delivery may write to.
 */
export class PublicEdge extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly accessLogs: s3.Bucket;
  readonly wafLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: { loadBalancer: elbv2.ApplicationLoadBalancer; environment: EnvironmentSettings }) {
    super(scope, id);
    const { loadBalancer, environment } = props;
    const name = `paymesh-${environment.name}-public`;
    const keep = environment.keepData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({ cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true });
    const managed = (priority: number, group: string, ruleActionOverrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[]): wafv2.CfnWebACL.RuleProperty => ({
      name: group,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: group, ...(ruleActionOverrides ? { ruleActionOverrides } : {}) } },
      visibilityConfig: visibility(group),
    });
    const exactly = (field: wafv2.CfnWebACL.FieldToMatchProperty, value: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: { fieldToMatch: field, positionalConstraint: 'EXACTLY', searchString: value, textTransformations: [{ priority: 0, type: 'LOWERCASE' }] },
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name,
      description: `PayMesh ${environment.name} public gateway load balancer`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(name),
      rules: [
        managed(0, 'AWSManagedRulesAmazonIpReputationList'),
        {
          name: 'rate-per-client-address',
          priority: 1,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: environment.edge.rateLimitPer5Minutes, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: visibility('rate-per-client-address'),
        },
        {
          name: 'rate-sign-in-and-sign-up',
          priority: 2,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: environment.edge.authRateLimitPer5Minutes,
              aggregateKeyType: 'IP',
              evaluationWindowSec: 300,
              scopeDownStatement: {
                andStatement: {
                  statements: [exactly({ method: {} }, 'post'), { orStatement: { statements: AUTH_PATHS.map((p) => exactly({ uriPath: {} }, p)) } }],
                },
              },
            },
          },
          visibilityConfig: visibility('rate-sign-in-and-sign-up'),
        },
        // Bodies over 8 KB are counted, not blocked: operator bulk actions and GraphQL queries are larger,
        // and the gateway refuses bodies over GATEWAY_BODY_LIMIT_BYTES (64 KB) itself.
        managed(3, 'AWSManagedRulesCommonRuleSet', [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }]),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: loadBalancer.loadBalancerArn, webAclArn: this.webAcl.attrArn });

    // WAF logs to CloudWatch Logs need a group named aws-waf-logs-..., given by an ARN without the trailing :*.
    const wafLogGroupName = `aws-waf-logs-paymesh-${environment.name}`;
    this.wafLogs = new logs.LogGroup(this, 'WafLogs', { logGroupName: wafLogGroupName, retention: retentionDays(environment.logRetentionDays), removalPolicy: keep });
    const wafLogging = new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: wafLogGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      // Tokens and session cookies stay out of the logs.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }],
    });
    wafLogging.node.addDependency(this.wafLogs);

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // ALB access logs support SSE-S3 only (not SSE-KMS).
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: environment.keepData,
      lifecycleRules: [
        {
          id: 'retention',
          expiration: Duration.days(environment.logRetentionDays),
          ...(environment.keepData ? { noncurrentVersionExpiration: Duration.days(environment.logRetentionDays) } : {}),
        },
      ],
      removalPolicy: keep,
    });
    const logObjects = this.accessLogs.arnForObjects(`${ACCESS_LOG_PREFIX}/AWSLogs/${Aws.ACCOUNT_ID}/*`);
    // Regions opened since August 2022 deliver as this service principal.
    this.accessLogs.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ElbLogDelivery',
        principals: [new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [logObjects],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    // Older regions deliver as their regional Elastic Load Balancing account (the stack is region-agnostic, so
    // CloudFormation picks it from a map at deploy time); elsewhere the statement names the bucket's own account.
    const { regionalAccount } = elbLogDeliveryAccount(this);
    this.accessLogs.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ElbLogDeliveryRegionalAccount',
        principals: [new iam.ArnPrincipal(regionalAccount)],
        actions: ['s3:PutObject'],
        resources: [logObjects],
      }),
    );
    loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
    loadBalancer.setAttribute('access_logs.s3.bucket', this.accessLogs.bucketName);
    loadBalancer.setAttribute('access_logs.s3.prefix', ACCESS_LOG_PREFIX);
    // The load balancer checks that it may write when access logging is turned on.
    (loadBalancer.node.defaultChild as CfnResource).addResourceDependency(this.accessLogs.policy!.node.defaultChild as CfnResource);
  }
}

/**
 * The principal Elastic Load Balancing writes access logs as, in a
 * region-agnostic template: the regional ELB account where the region has
 * one (aws-cdk-lib's region facts, in a CloudFormation map), else the
 * bucket's own account (which adds nothing: it may write already).
 */
function elbLogDeliveryAccount(scope: Construct): { regionalAccount: string } {
  const stack = Stack.of(scope);
  const accounts = Object.fromEntries(RegionInfo.regions.filter((r) => r.elbv2Account).map((r) => [r.name, { account: r.elbv2Account! }]));
  const mapping = new CfnMapping(stack, 'ElbLogDeliveryAccounts', { mapping: accounts });
  const equals = Object.keys(accounts).map((region) => Fn.conditionEquals(Aws.REGION, region));
  // Fn::Or takes two to ten conditions: nest them.
  const anyOf = (conditions: ICfnConditionExpression[]): ICfnConditionExpression =>
    conditions.length === 1 ? conditions[0]! : conditions.length <= 10 ? Fn.conditionOr(...conditions) : anyOf(chunks(conditions, 10).map(anyOf));
  const hasRegionalAccount = new CfnCondition(stack, 'ElbLogsFromRegionalAccount', { expression: anyOf(equals) });
  const regionalAccount = Fn.conditionIf(
    hasRegionalAccount.logicalId,
    `arn:${Aws.PARTITION}:iam::${mapping.findInMap(Aws.REGION, 'account')}:root`,
    `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`,
  ).toString();
  return { regionalAccount };
}

function chunks<T>(values: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}
