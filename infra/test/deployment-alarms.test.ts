/**
 * A canary that is a canary, on AWS: each payment version has its own alarms
 * (5xx and latency from its VPC Lattice target group, saga failure rate from
 * its `version`-labelled metrics), and they are its ECS service's deployment
 * alarms, so a deployment that sets one off is rolled back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadWeightedRoute } from '../../contracts/routing.ts';
import { SERVICES } from '../catalog.ts';
import { LATTICE_REQUEST_TIME } from '../lib/alarms.ts';
import { ENVIRONMENTS } from '../lib/environments.ts';
import { collectorConfig, METRICS } from '../lib/metrics-collector.ts';
import { refId, resourcesOfType, type Synthesized, synthesizeForFile } from './support.ts';

const prod = synthesizeForFile('prod');
const dev = synthesizeForFile('dev');

const alarmsById = (json: Synthesized['json']) => new Map(resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([id, r]) => [id, r.Properties]));
const alarmIdByName = (json: Synthesized['json']) => new Map([...alarmsById(json)].map(([id, p]) => [p.AlarmName as string, id]));
const ecsService = (json: Synthesized['json'], name: string) => resourcesOfType(json, 'AWS::ECS::Service').find(([, r]) => r.Properties.ServiceName === name)![1].Properties;

test('every payment version reports its version label, set from one setting', () => {
  for (const spec of SERVICES.filter((s) => s.routingNode)) {
    assert.match(spec.metricsVersion ?? '', /^v\d+$/, spec.name);
    assert.equal(spec.settings?.PAYMENT_SERVICE_VERSION, spec.metricsVersion, `${spec.name}: PAYMENT_SERVICE_VERSION is its version label`);
  }
  assert.match(collectorConfig({ port: 8000, logGroupName: 'x' }), /dimensions: \[\[service, outcome\], \[service, version, outcome\]\]/, 'saga outcomes reach CloudWatch per version');
});

test('each payment version has its own 5xx, latency and saga failure rate alarms', () => {
  for (const [env, { json }] of [['prod', prod], ['dev', dev]] as const) {
    const thresholds = ENVIRONMENTS[env].alarms;
    const alarms = alarmsById(json);
    const ids = alarmIdByName(json);
    for (const target of loadWeightedRoute().targets) {
      const version = SERVICES.find((s) => s.routingNode === target.node)!.metricsVersion!;
      for (const kind of ['5xx', 'latency', 'saga-failure-rate']) assert.ok(ids.get(`paymesh-${env}-${kind}-${target.node}`), `${env} ${kind} ${target.node}`);

      const latency = alarms.get(ids.get(`paymesh-${env}-latency-${target.node}`)!)!;
      assert.equal(latency.Namespace, LATTICE_REQUEST_TIME.namespace);
      assert.equal(latency.MetricName, LATTICE_REQUEST_TIME.metricName);
      assert.equal(latency.ExtendedStatistic, 'p99');
      assert.equal(latency.Threshold, thresholds.versionLatencyP99Ms);

      const rate = alarms.get(ids.get(`paymesh-${env}-saga-failure-rate-${target.node}`)!)!;
      assert.equal(rate.Threshold, thresholds.versionSagaFailurePercent);
      const metrics = (rate.Metrics as Array<{ Id: string; MetricStat?: { Metric: { MetricName: string; Dimensions: Array<{ Name: string; Value: string }> } } }>).filter((m) => m.MetricStat);
      assert.deepEqual(metrics.map((m) => m.Id).sort(), ['completed', 'failed']);
      for (const m of metrics) {
        assert.equal(m.MetricStat!.Metric.MetricName, METRICS.sagaOutcomes);
        assert.deepEqual(Object.fromEntries(m.MetricStat!.Metric.Dimensions.map((d) => [d.Name, d.Value])), { service: 'payment', version, outcome: m.Id });
      }
    }
  }
});

test("each payment version's own alarms are its ECS deployment alarms, with rollback", () => {
  for (const { json } of [prod, dev]) {
    const ids = alarmIdByName(json);
    const names = new Map([...ids].map(([name, id]) => [id, name]));
    for (const spec of SERVICES.filter((s) => s.routingNode)) {
      const config = ecsService(json, spec.name).DeploymentConfiguration;
      assert.equal(config.Alarms.Enable, true, spec.name);
      assert.equal(config.Alarms.Rollback, true, spec.name);
      const watched = (config.Alarms.AlarmNames as unknown[]).map((n) => names.get(refId(n)!) ?? n);
      assert.deepEqual(
        [...watched].sort(),
        ['5xx', 'latency', 'saga-failure-rate'].map((kind) => `paymesh-${json === prod.json ? 'prod' : 'dev'}-${kind}-${spec.routingNode}`).sort(),
        `${spec.name} watches exactly its own version's alarms`,
      );
      assert.deepEqual(config.DeploymentCircuitBreaker, { Enable: true, Rollback: true }, 'the circuit breaker stays');
    }
    for (const spec of SERVICES.filter((s) => !s.routingNode)) {
      assert.equal(ecsService(json, spec.name).DeploymentConfiguration?.Alarms, undefined, `${spec.name} has no canary alarms`);
    }
  }
});
