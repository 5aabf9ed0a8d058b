/**
 * Data and evidence: the prod database secret survives, audit-relevant logs
 * are kept twelve months in prod (PCI DSS 10.7), the database has its log
 * group and an AWS Backup plan, and the alarms an on-call needs exist and
 * reach the alarm topic.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadWeightedRoute } from '../../contracts/routing.ts';
import { loadTopology } from '../../contracts/topology.ts';
import { SERVICES } from '../catalog.ts';
import { LATTICE_5XX } from '../lib/alarms.ts';
import { ENVIRONMENTS } from '../lib/environments.ts';
import { REPO_ROOT } from '../lib/paymesh-stack.ts';
import { refId, resourcesOfType, type Synthesized, synthesizeForFile } from './support.ts';

const dev = synthesizeForFile('dev');
const prod = synthesizeForFile('prod');
const both = [['dev', dev], ['prod', prod]] as const;
const topology = loadTopology();

const alarmsOf = (json: Synthesized['json']) =>
  new Map(resourcesOfType(json, 'AWS::CloudWatch::Alarm').filter(([, r]) => String(r.Properties.AlarmName).startsWith('paymesh-')).map(([, r]) => [r.Properties.AlarmName as string, r.Properties]));
const dimensions = (alarm: Record<string, any>) => Object.fromEntries((alarm.Dimensions as Array<{ Name: string; Value: unknown }>).map((d) => [d.Name, d.Value]));

test('the prod database secret itself is retained when the stack or the resource goes (not only its attachment); dev\'s is deleted', () => {
  for (const [env, { json }] of both) {
    const [secretId, secret] = resourcesOfType(json, 'AWS::SecretsManager::Secret').find(([, r]) => r.Properties.Name === `paymesh/${env}/database`)!;
    const expected = env === 'prod' ? 'Retain' : 'Delete';
    assert.equal(secret.DeletionPolicy, expected, `${env} DeletionPolicy`);
    assert.equal(secret.UpdateReplacePolicy, expected, `${env} UpdateReplacePolicy`);
    // The attachment is what the tasks read; it points at this very secret.
    const [, attachment] = resourcesOfType(json, 'AWS::SecretsManager::SecretTargetAttachment')[0]!;
    assert.equal(refId(attachment.Properties.SecretId), secretId);
  }
});

test('audit-relevant logs are kept at least twelve months in prod (PCI DSS 10.7): services, database, VPC flows, WAF, Lattice, load balancer access logs', () => {
  const groups = resourcesOfType(prod.json, 'AWS::Logs::LogGroup').map(([, r]) => [r.Properties.LogGroupName as string, r.Properties.RetentionInDays as number] as const);
  const names = groups.map(([name]) => name);
  for (const spec of SERVICES) assert.ok(names.includes(`/paymesh/prod/${spec.name}`), spec.name);
  for (const name of ['/aws/rds/instance/paymesh-prod/postgresql', '/aws/rds/instance/paymesh-prod/upgrade', '/paymesh/prod/vpc-flow-logs', 'aws-waf-logs-paymesh-prod', '/paymesh/prod/lattice/payment-service']) assert.ok(names.includes(name), name);
  for (const [name, days] of groups) {
    // The collector's embedded-metric logs only carry metrics, which CloudWatch keeps 15 months itself.
    if (name === '/paymesh/prod/metrics') continue;
    assert.ok(days >= 365, `${name} keeps ${days} days`);
  }
  for (const [, group] of resourcesOfType(prod.json, 'AWS::Logs::LogGroup')) assert.equal(group.DeletionPolicy, 'Retain', group.Properties.LogGroupName);
  const [, bucket] = resourcesOfType(prod.json, 'AWS::S3::Bucket')[0]!;
  assert.ok(bucket.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays >= 365, 'access logs');
  assert.ok(ENVIRONMENTS.prod.logRetentionDays >= 365);
});

test('the PostgreSQL and upgrade log groups are the stack\'s: named for the instance, with the retention, made before the instance exports to them', () => {
  for (const [env, { json }] of both) {
    const [instanceId, instance] = resourcesOfType(json, 'AWS::RDS::DBInstance')[0]!;
    assert.equal(instance.Properties.DBInstanceIdentifier, `paymesh-${env}`);
    assert.deepEqual(instance.Properties.EnableCloudwatchLogsExports, ['postgresql', 'upgrade']);
    for (const type of ['postgresql', 'upgrade']) {
      const [groupId, group] = resourcesOfType(json, 'AWS::Logs::LogGroup').find(([, r]) => r.Properties.LogGroupName === `/aws/rds/instance/paymesh-${env}/${type}`)!;
      assert.equal(group.Properties.RetentionInDays, ENVIRONMENTS[env].logRetentionDays, type);
      assert.ok([json.Resources[instanceId]!.DependsOn ?? []].flat().includes(groupId), `RDS would otherwise make the ${type} group itself, without retention`);
    }
  }
});

test('an AWS Backup plan backs the database up daily (35 days in prod) and monthly for a year in prod', () => {
  for (const [env, { json }] of both) {
    const [planId, plan] = resourcesOfType(json, 'AWS::Backup::BackupPlan')[0]!;
    const rules = plan.Properties.BackupPlan.BackupPlanRule as Array<{ RuleName: string; Lifecycle: { DeleteAfterDays: number } }>;
    const retention = Object.fromEntries(rules.map((r) => [r.RuleName, r.Lifecycle.DeleteAfterDays]));
    assert.deepEqual(retention, env === 'prod' ? { daily: 35, monthly: 365 } : { daily: ENVIRONMENTS.dev.database.backupPlan.dailyRetentionDays });
    const [, selection] = resourcesOfType(json, 'AWS::Backup::BackupSelection')[0]!;
    assert.equal(refId(selection.Properties.BackupPlanId), planId);
    const instanceId = resourcesOfType(json, 'AWS::RDS::DBInstance')[0]![0];
    assert.ok(JSON.stringify(selection.Properties.BackupSelection.Resources).includes(`{"Ref":"${instanceId}"}`), 'the database is selected');
    const [, vault] = resourcesOfType(json, 'AWS::Backup::BackupVault')[0]!;
    assert.equal(vault.DeletionPolicy, env === 'prod' ? 'Retain' : 'Delete');
  }
});

test('database alarms: CPU, free storage and connections, with the environment\'s thresholds', () => {
  for (const [env, { json }] of both) {
    const alarms = alarmsOf(json);
    const instanceId = resourcesOfType(json, 'AWS::RDS::DBInstance')[0]![0];
    const t = ENVIRONMENTS[env].alarms;
    const expected: Array<[string, string, number, string]> = [
      ['database-cpu', 'CPUUtilization', t.databaseCpuPercent, 'GreaterThanThreshold'],
      ['database-free-storage', 'FreeStorageSpace', t.databaseFreeStorageGiB * 1024 ** 3, 'LessThanThreshold'],
      ['database-connections', 'DatabaseConnections', t.databaseConnections, 'GreaterThanThreshold'],
    ];
    for (const [name, metric, threshold, comparison] of expected) {
      const alarm = alarms.get(`paymesh-${env}-${name}`)!;
      assert.ok(alarm, name);
      assert.equal(alarm.Namespace, 'AWS/RDS');
      assert.equal(alarm.MetricName, metric);
      assert.equal(alarm.Threshold, threshold);
      assert.equal(alarm.ComparisonOperator, comparison);
      assert.deepEqual(dimensions(alarm), { DBInstanceIdentifier: { Ref: instanceId } });
    }
  }
});

test('load balancer alarms: its own 5xx, the gateway\'s 5xx, unhealthy gateway tasks', () => {
  const alarms = alarmsOf(prod.json);
  const t = ENVIRONMENTS.prod.alarms;
  for (const [name, metric, threshold] of [
    ['alb-5xx', 'HTTPCode_ELB_5XX_Count', t.http5xxPer5Minutes],
    ['gateway-5xx', 'HTTPCode_Target_5XX_Count', t.http5xxPer5Minutes],
    ['gateway-unhealthy-hosts', 'UnHealthyHostCount', 1],
  ] as const) {
    const alarm = alarms.get(`paymesh-prod-${name}`)!;
    assert.ok(alarm, name);
    assert.equal(alarm.Namespace, 'AWS/ApplicationELB');
    assert.equal(alarm.MetricName, metric);
    assert.equal(alarm.Threshold, threshold);
  }
});

test('every ECS service alarms when it runs fewer tasks than its desired count, and when Container Insights hears nothing of it', () => {
  for (const [env, { json }] of both) {
    const alarms = alarmsOf(json);
    assert.notEqual(ENVIRONMENTS[env].containerInsights, 'disabled' as never, 'RunningTaskCount comes from Container Insights');
    for (const spec of SERVICES) {
      const alarm = alarms.get(`paymesh-${env}-running-tasks-${spec.name}`)!;
      assert.ok(alarm, spec.name);
      assert.equal(alarm.Namespace, 'ECS/ContainerInsights');
      assert.equal(alarm.MetricName, 'RunningTaskCount');
      assert.equal(dimensions(alarm).ServiceName, spec.name);
      assert.equal(alarm.Threshold, ENVIRONMENTS[env].tasks.desiredCount);
      assert.equal(alarm.ComparisonOperator, 'LessThanThreshold');
      assert.equal(alarm.TreatMissingData, 'breaching');
    }
  }
});

test('every work queue alarms on the age of its oldest message', () => {
  for (const [env, { json }] of both) {
    const alarms = alarmsOf(json);
    const queueIds = new Map(resourcesOfType(json, 'AWS::SQS::Queue').map(([id, r]) => [r.Properties.QueueName as string, id]));
    for (const queue of topology.queues) {
      const alarm = alarms.get(`paymesh-${env}-queue-age-${queue.name}`)!;
      assert.ok(alarm, queue.name);
      assert.equal(alarm.MetricName, 'ApproximateAgeOfOldestMessage');
      assert.equal(alarm.Threshold, ENVIRONMENTS[env].alarms.queueAgeSeconds);
      assert.equal(refId(dimensions(alarm).QueueName), queueIds.get(queue.name));
    }
    assert.equal([...alarms.keys()].filter((n) => n.includes('-queue-age-')).length, topology.queues.length, 'work queues only, not their DLQs');
  }
});

test('each payment version alarms on its own 5xx answers, from its VPC Lattice target group', () => {
  const alarms = alarmsOf(prod.json);
  const groups = new Map(resourcesOfType(prod.json, 'AWS::VpcLattice::TargetGroup').map(([id, r]) => [r.Properties.Name as string, id]));
  for (const target of loadWeightedRoute().targets) {
    const alarm = alarms.get(`paymesh-prod-5xx-${target.node}`)!;
    assert.ok(alarm, target.node);
    assert.equal(alarm.Namespace, LATTICE_5XX.namespace);
    assert.equal(alarm.MetricName, LATTICE_5XX.metricName);
    assert.deepEqual(dimensions(alarm), { TargetGroup: { 'Fn::GetAtt': [groups.get(target.node), 'Id'] } });
    assert.equal(alarm.Threshold, ENVIRONMENTS.prod.alarms.http5xxPer5Minutes);
    assert.equal(alarm.TreatMissingData, 'notBreaching', 'a version at weight 0 gets no requests');
  }
});

test('every alarm notifies the alarm topic when it fires and when it clears, and the subscriber step is documented', () => {
  for (const { json } of [dev, prod]) {
    const topicId = resourcesOfType(json, 'AWS::SNS::Topic')[0]![0];
    for (const [name, alarm] of alarmsOf(json)) {
      assert.deepEqual(alarm.AlarmActions.map(refId), [topicId], name);
      assert.deepEqual(alarm.OKActions.map(refId), [topicId], name);
    }
    assert.ok(json.Outputs?.AlarmTopicArn);
  }
  const docs = readFileSync(path.join(REPO_ROOT, 'docs/operations.md'), 'utf8');
  assert.match(docs, /aws sns subscribe --topic-arn <AlarmTopicArn>/);
  assert.match(docs, /aws cloudwatch set-alarm-state/, 'and how to check a notification arrives');
});
