import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadTopology } from '../../contracts/topology.ts';
import { SERVICES } from '../catalog.ts';
import { ENVIRONMENTS } from '../lib/environments.ts';
import { COLLECTOR_OTLP_ENDPOINT, METRICS, METRICS_NAMESPACE, XRAY_ACTIONS } from '../lib/metrics-collector.ts';
import { REPO_ROOT } from '../lib/paymesh-stack.ts';
import { actionsOf, refId, resourcesOf, resourcesOfType, taskDefinitionOf, taskRoleStatements, type Synthesized, synthesizeForFile } from './support.ts';

const dev = synthesizeForFile('dev');
const prod = synthesizeForFile('prod');
const topology = loadTopology();

const onlyOne = (json: Synthesized['json'], type: string) => resourcesOfType(json, type)[0]![1];
const operationsAlarms = (json: Synthesized['json']) =>
  new Map(resourcesOfType(json, 'AWS::CloudWatch::Alarm').filter(([, r]) => String(r.Properties.AlarmName).startsWith('paymesh-')).map(([, r]) => [r.Properties.AlarmName as string, r.Properties]));

test('prod keeps its data when the stack goes; dev cleans up after itself', () => {
  const database = (json: Synthesized['json']) => resourcesOfType(json, 'AWS::RDS::DBInstance')[0]![1];
  assert.equal(database(prod.json).DeletionPolicy, 'Snapshot');
  assert.equal(database(prod.json).Properties.DeletionProtection, true);
  assert.equal(database(dev.json).DeletionPolicy, 'Delete');
  assert.equal(database(dev.json).Properties.DeletionProtection, false);
  for (const [, queue] of resourcesOfType(prod.json, 'AWS::SQS::Queue')) assert.equal(queue.DeletionPolicy, 'Retain');
  for (const [, queue] of resourcesOfType(dev.json, 'AWS::SQS::Queue')) assert.equal(queue.DeletionPolicy, 'Delete');
  assert.equal(prod.stack.terminationProtection, true);
  assert.equal(dev.stack.terminationProtection, false);
});

test('prod is sized and kept for production: multi-AZ database, bigger tasks, more replicas, longer retention', () => {
  const db = (json: Synthesized['json']) => onlyOne(json, 'AWS::RDS::DBInstance').Properties;
  assert.equal(db(prod.json).MultiAZ, true);
  assert.equal(db(dev.json).MultiAZ, false);
  assert.equal(db(prod.json).DBInstanceClass, `db.${ENVIRONMENTS.prod.database.instanceType}`);
  assert.equal(db(prod.json).BackupRetentionPeriod, 14);
  const task = (json: Synthesized['json']) => taskDefinitionOf(json, 'payment')[1].Properties;
  assert.deepEqual([task(dev.json).Cpu, task(dev.json).Memory], ['256', '512']);
  assert.deepEqual([task(prod.json).Cpu, task(prod.json).Memory], ['512', '1024']);
  const desired = (json: Synthesized['json']) => resourcesOfType(json, 'AWS::ECS::Service').map(([, r]) => r.Properties.DesiredCount);
  assert.ok(desired(prod.json).every((n) => n === 2));
  assert.ok(desired(dev.json).every((n) => n === 1));
  const retention = (json: Synthesized['json'], name: string) => resourcesOfType(json, 'AWS::Logs::LogGroup').find(([, r]) => r.Properties.LogGroupName === name)![1].Properties.RetentionInDays;
  assert.equal(retention(prod.json, '/paymesh/prod/payment'), 365);
  assert.equal(retention(dev.json, '/paymesh/dev/payment'), 14);
  assert.equal(onlyOne(prod.json, 'AWS::Events::Archive').Properties.RetentionDays, 90);
});

test('prod serves the public API over HTTPS with a certificate given at deploy time; dev over HTTP', () => {
  const listeners = (json: Synthesized['json']) => resourcesOfType(json, 'AWS::ElasticLoadBalancingV2::Listener').map(([, r]) => r.Properties);
  const https = listeners(prod.json).find((l) => l.Protocol === 'HTTPS')!;
  assert.equal(https.Port, 443);
  assert.deepEqual(https.Certificates, [{ CertificateArn: { Ref: 'GatewayCertificateArn' } }]);
  assert.ok(prod.json.Parameters?.GatewayCertificateArn, 'the certificate is a stack parameter');
  const redirect = listeners(prod.json).find((l) => l.Port === 80)!;
  assert.equal(redirect.DefaultActions[0].Type, 'redirect');
  assert.deepEqual(listeners(dev.json).map((l) => [l.Port, l.Protocol]), [[80, 'HTTP']]);
  assert.equal(dev.json.Parameters?.GatewayCertificateArn, undefined);
});

test('every dead-letter queue has a depth alarm, stricter in prod', () => {
  const dlqs = [...topology.queues.map((q) => q.deadLetter.name), topology.eventTargets.deadLetterQueue];
  for (const [env, synthesized] of [['dev', dev], ['prod', prod]] as const) {
    const alarms = operationsAlarms(synthesized.json);
    const queueIds = new Map(resourcesOfType(synthesized.json, 'AWS::SQS::Queue').map(([id, r]) => [r.Properties.QueueName as string, id]));
    for (const dlq of dlqs) {
      const alarm = alarms.get(`paymesh-${env}-dlq-${dlq}`);
      assert.ok(alarm, `${env} alarms on ${dlq}`);
      assert.equal(alarm.MetricName, 'ApproximateNumberOfMessagesVisible');
      assert.equal(alarm.Threshold, ENVIRONMENTS[env].alarms.dlqDepth);
      assert.deepEqual(alarm.Dimensions.map((d: { Name: string; Value: unknown }) => [d.Name, refId(d.Value)]), [['QueueName', queueIds.get(dlq)]]);
    }
  }
  assert.ok(ENVIRONMENTS.prod.alarms.dlqDepth < ENVIRONMENTS.dev.alarms.dlqDepth);
});

test('breaker, saga and outbox alarms watch the metrics the services publish, treat a silent collector as breaching, and notify the alarm topic', () => {
  const alarms = operationsAlarms(prod.json);
  const thresholds = ENVIRONMENTS.prod.alarms;
  // The last column: what no data means. Breaker state, stuck sagas and outbox lag are reported all the time, so
  // their absence is a collector (or service) gone quiet. A failed-saga series exists only once a saga has failed.
  const expectations: Array<[string, string, Record<string, string>, number, string]> = [
    ['paymesh-prod-breaker-open-gateway', METRICS.breakerState, { service: 'gateway' }, 1, 'breaching'],
    ['paymesh-prod-breaker-open-payment', METRICS.breakerState, { service: 'payment' }, 1, 'breaching'],
    ['paymesh-prod-saga-failures-payment', METRICS.sagaOutcomes, { service: 'payment', outcome: 'failed' }, thresholds.sagaFailuresPer5Minutes, 'notBreaching'],
    ['paymesh-prod-sagas-stuck-payment', METRICS.stuckSagas, { service: 'payment' }, thresholds.stuckSagas, 'breaching'],
    ['paymesh-prod-outbox-lag-payment', METRICS.outboxLag, { service: 'payment' }, thresholds.outboxLagSeconds, 'breaching'],
    ['paymesh-prod-outbox-lag-user', METRICS.outboxLag, { service: 'user' }, thresholds.outboxLagSeconds, 'breaching'],
  ];
  for (const [name, metric, dimensions, threshold, missing] of expectations) {
    const alarm = alarms.get(name);
    assert.ok(alarm, name);
    assert.equal(alarm.Namespace, METRICS_NAMESPACE);
    assert.equal(alarm.MetricName, metric);
    assert.deepEqual(Object.fromEntries((alarm.Dimensions as Array<{ Name: string; Value: string }>).map((d) => [d.Name, d.Value])), dimensions);
    assert.equal(alarm.Threshold, threshold);
    assert.equal(alarm.TreatMissingData, missing, `${name}: missing data`);
  }
  const collectorAlarms = [...alarms.values()].filter((a) => a.Namespace === METRICS_NAMESPACE);
  assert.equal(collectorAlarms.length, expectations.length, 'these are all the alarms on the collector\'s output');
  const topicId = resourcesOfType(prod.json, 'AWS::SNS::Topic')[0]![0];
  for (const alarm of alarms.values()) assert.deepEqual(alarm.AlarmActions.map(refId), [topicId]);
});

test('the alarmed metric names are the ones the code registers', () => {
  const sources = ['resilience/service-policy.ts', 'services/payment/saga/transitions.ts', 'services/payment/saga/stuck-sagas.ts', 'messaging/outbox-relay.ts', 'messaging/dlq-handler.ts']
    .map((f) => readFileSync(path.join(REPO_ROOT, f), 'utf8'))
    .join('\n');
  for (const metric of Object.values(METRICS)) assert.match(sources, new RegExp(`(counter|gauge|histogram)\\('${metric}'`), metric);
});

test('a metrics collector beside each HTTP service sends those metrics to CloudWatch', () => {
  for (const spec of SERVICES) {
    const containers = taskDefinitionOf(dev.json, spec.name)[1].Properties.ContainerDefinitions as Array<Record<string, any>>;
    const collector = containers.find((c) => c.Name === 'metrics-collector');
    const httpListener = spec.listeners.find((l) => l.protocol === 'http');
    assert.equal(Boolean(collector), Boolean(httpListener), spec.name);
    if (!collector) continue;
    assert.equal(collector.Essential, false, 'losing metrics must not stop the service');
    const config = JSON.stringify(collector.Environment.find((e: { Name: string }) => e.Name === 'AOT_CONFIG_CONTENT').Value);
    assert.ok(config.includes(`127.0.0.1:${httpListener!.port}`), `${spec.name} scrapes its own /metrics`);
    for (const metric of [METRICS.breakerState, METRICS.sagaOutcomes, METRICS.outboxLag]) assert.ok(config.includes(metric));
  }
});

test("each service's spans go to the collector beside it, on the task's loopback, and on to X-Ray", () => {
  for (const spec of SERVICES) {
    const containers = taskDefinitionOf(dev.json, spec.name)[1].Properties.ContainerDefinitions as Array<Record<string, any>>;
    const collector = containers.find((c) => c.Name === 'metrics-collector');
    const app = containers.find((c) => c.Name === spec.name)!;
    const setting = (container: Record<string, any>, name: string) => container.Environment.find((e: { Name: string }) => e.Name === name)?.Value;
    assert.equal(setting(app, 'OTEL_EXPORTER_OTLP_ENDPOINT'), collector ? COLLECTOR_OTLP_ENDPOINT : undefined, spec.name);
    if (!collector) continue;
    assert.match(COLLECTOR_OTLP_ENDPOINT, /^http:\/\/127\.0\.0\.1:/, 'the receiver listens on loopback only');
    // The configuration names the metrics log group, so CloudFormation joins it: read its literal parts.
    const raw = setting(collector, 'AOT_CONFIG_CONTENT') as string | { 'Fn::Join': [string, unknown[]] };
    const config = typeof raw === 'string' ? raw : raw['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '<token>')).join(raw['Fn::Join'][0]);
    assert.match(config, /receivers:[\s\S]*  otlp:\n    protocols:\n      http:\n        endpoint: 127\.0\.0\.1:4318\n/, `${spec.name}: an OTLP/HTTP receiver on loopback`);
    assert.match(config, /    traces:\n      receivers: \[otlp\]\n      processors: \[batch\/traces\]\n      exporters: \[awsxray\]\n/, `${spec.name}: a traces pipeline to X-Ray`);
    const xray = taskRoleStatements(dev.json, spec.name).filter((s) => actionsOf(s).some((a) => a.startsWith('xray:')));
    assert.deepEqual(xray.flatMap(actionsOf).filter((a) => a.startsWith('xray:')).sort(), [...XRAY_ACTIONS].sort(), `${spec.name} may write traces and nothing else in X-Ray`);
    assert.deepEqual(xray.flatMap(resourcesOf), ['*'], 'X-Ray has no resource-level permissions');
  }
  // The gateway's in-memory store would hold only part of each trace per replica: off on AWS.
  const gateway = taskDefinitionOf(dev.json, 'gateway')[1].Properties.ContainerDefinitions.find((c: { Name: string }) => c.Name === 'gateway');
  assert.equal(gateway.Environment.find((e: { Name: string }) => e.Name === 'GATEWAY_TRACE_STORE_TRACES')?.Value, '0');
});
