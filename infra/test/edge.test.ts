/**
 * The public edge on AWS: AWS WAF in front of the gateway's load balancer,
 * WAF and load balancer access logs, and deletion protection in prod. (Which
 * client address the gateway trusts is the gateway's code and its own tests.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENVIRONMENTS } from '../lib/environments.ts';
import { ACCESS_LOG_PREFIX, AUTH_PATHS } from '../lib/public-edge.ts';
import { refId, resourcesOfType, type Synthesized, synthesizeForFile } from './support.ts';

const dev = synthesizeForFile('dev');
const prod = synthesizeForFile('prod');
const both = [['dev', dev], ['prod', prod]] as const;

const one = (json: Synthesized['json'], type: string) => {
  const found = resourcesOfType(json, type);
  assert.equal(found.length, 1, `one ${type}`);
  return found[0]!;
};
const attributes = (json: Synthesized['json']) =>
  Object.fromEntries((one(json, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[1].Properties.LoadBalancerAttributes as Array<{ Key: string; Value: unknown }>).map((a) => [a.Key, a.Value]));

test('AWS WAF guards the load balancer: AWS IP reputation list, a rate limit per client address, a tighter one on sign-in and sign-up, AWS common rule set', () => {
  for (const [env, { json }] of both) {
    const [aclId, acl] = one(json, 'AWS::WAFv2::WebACL');
    assert.equal(acl.Properties.Scope, 'REGIONAL');
    assert.deepEqual(acl.Properties.DefaultAction, { Allow: {} });
    const [, association] = one(json, 'AWS::WAFv2::WebACLAssociation');
    assert.equal(refId(association.Properties.WebACLArn), aclId);
    assert.equal(refId(association.Properties.ResourceArn), one(json, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0]);

    const rules = (acl.Properties.Rules as Array<Record<string, any>>).sort((a, b) => a.Priority - b.Priority);
    assert.deepEqual(rules.map((r) => r.Name), ['AWSManagedRulesAmazonIpReputationList', 'rate-per-client-address', 'rate-sign-in-and-sign-up', 'AWSManagedRulesCommonRuleSet']);
    for (const managed of [rules[0]!, rules[3]!]) {
      assert.equal(managed.Statement.ManagedRuleGroupStatement.VendorName, 'AWS');
      assert.deepEqual(managed.OverrideAction, { None: {} }, `${managed.Name} blocks what it matches`);
    }
    // Large bodies are the gateway's to refuse (GATEWAY_BODY_LIMIT_BYTES); every other rule of the set blocks.
    assert.deepEqual(rules[3]!.Statement.ManagedRuleGroupStatement.RuleActionOverrides, [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);

    const perAddress = rules[1]!;
    assert.deepEqual(perAddress.Action, { Block: {} });
    assert.deepEqual(perAddress.Statement.RateBasedStatement, { Limit: ENVIRONMENTS[env].edge.rateLimitPer5Minutes, AggregateKeyType: 'IP', EvaluationWindowSec: 300 });
    const auth = rules[2]!;
    assert.deepEqual(auth.Action, { Block: {} });
    assert.equal(auth.Statement.RateBasedStatement.Limit, ENVIRONMENTS[env].edge.authRateLimitPer5Minutes);
    assert.ok(ENVIRONMENTS[env].edge.authRateLimitPer5Minutes < ENVIRONMENTS[env].edge.rateLimitPer5Minutes);
    const scope = JSON.stringify(auth.Statement.RateBasedStatement.ScopeDownStatement);
    for (const value of ['post', ...AUTH_PATHS]) assert.ok(scope.includes(`"SearchString":"${value}"`), value);
    for (const rule of rules) assert.equal(rule.VisibilityConfig.CloudWatchMetricsEnabled, true);
  }
});

test('WAF logs go to aws-waf-logs-paymesh-<env> without tokens or cookies, kept for the environment\'s retention', () => {
  for (const [env, { json }] of both) {
    const [, logging] = one(json, 'AWS::WAFv2::LoggingConfiguration');
    assert.equal(refId(logging.Properties.ResourceArn), one(json, 'AWS::WAFv2::WebACL')[0]);
    const destination = JSON.stringify(logging.Properties.LogDestinationConfigs);
    assert.ok(destination.includes(`:log-group:aws-waf-logs-paymesh-${env}"`), 'the group\'s ARN without :*');
    assert.deepEqual(logging.Properties.RedactedFields, [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }]);
    const [, group] = resourcesOfType(json, 'AWS::Logs::LogGroup').find(([, r]) => r.Properties.LogGroupName === `aws-waf-logs-paymesh-${env}`)!;
    assert.equal(group.Properties.RetentionInDays, ENVIRONMENTS[env].logRetentionDays);
  }
});

test('the load balancer writes access logs to an encrypted, private bucket that only Elastic Load Balancing\'s log delivery may write to', () => {
  for (const [env, { json }] of both) {
    const attrs = attributes(json);
    assert.equal(attrs['access_logs.s3.enabled'], 'true');
    assert.equal(attrs['access_logs.s3.prefix'], ACCESS_LOG_PREFIX);
    const bucketId = refId(attrs['access_logs.s3.bucket'])!;
    const bucket = json.Resources[bucketId]!;
    assert.deepEqual(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration, [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }], 'SSE-S3: what ALB access logs support');
    assert.deepEqual(bucket.Properties.PublicAccessBlockConfiguration, { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    const expiry = (bucket.Properties.LifecycleConfiguration.Rules as Array<{ ExpirationInDays: number }>)[0]!.ExpirationInDays;
    assert.equal(expiry, ENVIRONMENTS[env].logRetentionDays);
    assert.equal(bucket.DeletionPolicy, env === 'prod' ? 'Retain' : 'Delete');

    const [, policy] = resourcesOfType(json, 'AWS::S3::BucketPolicy').find(([, r]) => refId(r.Properties.Bucket) === bucketId)!;
    const statements = policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    const denies = statements.filter((s) => s.Effect === 'Deny');
    assert.deepEqual(denies.map((s) => s.Condition), [{ Bool: { 'aws:SecureTransport': 'false' } }]);
    const allows = statements.filter((s) => s.Effect === 'Allow');
    assert.ok(allows.every((s) => s.Action === 's3:PutObject'), 'writes only, nobody reads through the bucket policy');
    assert.ok(allows.every((s) => JSON.stringify(s.Resource).includes(`"/${ACCESS_LOG_PREFIX}/AWSLogs/"`)), 'under the log prefix only');
    assert.deepEqual(allows.map((s) => Object.keys(s.Principal)[0]).sort(), ['AWS', 'Service']);
    const service = allows.find((s) => s.Principal.Service)!;
    assert.equal(service.Principal.Service, 'logdelivery.elasticloadbalancing.amazonaws.com');
    assert.deepEqual(service.Condition, { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    // Older regions deliver as their ELB account, picked at deploy time; never a wildcard principal.
    const regional = JSON.stringify(allows.find((s) => s.Principal.AWS)!.Principal.AWS);
    assert.ok(regional.includes('"Fn::If":["ElbLogsFromRegionalAccount"') && regional.includes('ElbLogDeliveryAccounts'), regional);
    assert.ok(!regional.includes('"*"'));
  }
});

test('the load balancer has deletion protection in prod, not in dev', () => {
  assert.equal(attributes(prod.json)['deletion_protection.enabled'], 'true');
  assert.equal(attributes(dev.json)['deletion_protection.enabled'], 'false');
  assert.equal(ENVIRONMENTS.prod.edge.deletionProtection, true);
});
