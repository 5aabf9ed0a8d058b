import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadWeightedRoute, PAYMENT_ROUTING_PATH } from '../../contracts/routing.ts';
import { GATEWAY_AWS_ROUTING_FILE, serviceSpec } from '../catalog.ts';
import { REPO_ROOT } from '../lib/paymesh-stack.ts';
import { refId, resourcesOfType, synthesize, taskDefinitionOf, type Synthesized, synthesizeForFile } from './support.ts';

const route = loadWeightedRoute();
const dev = synthesizeForFile('dev');

const one = (json: Synthesized['json'], type: string) => {
  const found = resourcesOfType(json, type);
  assert.equal(found.length, 1, `one ${type}`);
  return found[0]!;
};

/** The synthesized weights by target group name, read from the Lattice rule. */
function latticeWeights(json: Synthesized['json']): Record<string, number> {
  const groups = new Map(resourcesOfType(json, 'AWS::VpcLattice::TargetGroup').map(([id, r]) => [id, r.Properties.Name as string]));
  const [, rule] = one(json, 'AWS::VpcLattice::Rule');
  return Object.fromEntries(
    (rule.Properties.Action.Forward.TargetGroups as Array<{ TargetGroupIdentifier: unknown; Weight: number }>).map((t) => [groups.get(refId(t.TargetGroupIdentifier)!), t.Weight]),
  );
}

test('the seed\'s virtual service is a VPC Lattice service under the same name, listening on the router\'s port', () => {
  const [serviceId, service] = one(dev.json, 'AWS::VpcLattice::Service');
  assert.equal(service.Properties.Name, 'payment-service');
  assert.equal(service.Properties.CustomDomainName, route.virtualService);
  const [, listener] = one(dev.json, 'AWS::VpcLattice::Listener');
  assert.equal(refId(listener.Properties.ServiceIdentifier), serviceId);
  assert.equal(listener.Properties.Port, route.port);
  assert.equal(listener.Properties.Protocol, 'HTTP');
  const [, record] = resourcesOfType(dev.json, 'AWS::Route53::RecordSet').find(([, r]) => r.Properties.Name === `${route.virtualService}.`)!;
  assert.equal(record.Properties.Type, 'CNAME');
  assert.deepEqual(record.Properties.ResourceRecords, [{ 'Fn::GetAtt': [serviceId, 'DnsEntry.DomainName'] }]);
});

test('the route forwards its prefix to one target group per virtual node, with the routing file\'s weights', () => {
  const [, rule] = one(dev.json, 'AWS::VpcLattice::Rule');
  assert.equal(rule.Properties.Name, route.routeName);
  assert.deepEqual(rule.Properties.Match.HttpMatch.PathMatch.Match, { Prefix: route.prefix });
  assert.deepEqual(latticeWeights(dev.json), Object.fromEntries(route.targets.map((t) => [t.node, t.weight])));
  assert.deepEqual(latticeWeights(dev.json), { 'payment-service-v1': 90, 'payment-service-v2': 10 });
});

test('ECS registers each payment version\'s tasks in its virtual node\'s target group, health-checked on /healthz', () => {
  const groups = new Map(resourcesOfType(dev.json, 'AWS::VpcLattice::TargetGroup').map(([id, r]) => [r.Properties.Name as string, { id, props: r.Properties }]));
  for (const target of route.targets) {
    const group = groups.get(target.node)!;
    assert.equal(group.props.Type, 'IP');
    assert.equal(group.props.Config.Port, 8000);
    assert.equal(group.props.Config.HealthCheck.Path, '/healthz');
    const service = resourcesOfType(dev.json, 'AWS::ECS::Service').find(([, r]) => r.Properties.ServiceName === (target.node === 'payment-service-v1' ? 'payment' : 'payment-v2'))!;
    const [lattice] = service[1].Properties.VpcLatticeConfigurations as Array<{ TargetGroupArn: unknown; PortName: string }>;
    assert.equal(refId(lattice!.TargetGroupArn), group.id, target.node);
    assert.equal(lattice!.PortName, 'http');
  }
});

test('only the gateway may reach the Lattice service network', () => {
  const [, association] = one(dev.json, 'AWS::VpcLattice::ServiceNetworkVpcAssociation');
  const group = dev.json.Resources[refId(association.Properties.SecurityGroupIds[0])!]!;
  const gatewayGroup = refId(resourcesOfType(dev.json, 'AWS::ECS::Service').find(([, r]) => r.Properties.ServiceName === 'gateway')![1].Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups[0]);
  const ingress = resourcesOfType(dev.json, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties).filter((r) => refId(r.GroupId) === refId(association.Properties.SecurityGroupIds[0]));
  assert.deepEqual(ingress.map((r) => [refId(r.SourceSecurityGroupId), r.FromPort]), [[gatewayGroup, route.port]]);
  assert.equal(group.Properties.SecurityGroupIngress, undefined);
});

test('changing the weights in the routing file changes the synthesized weights', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-routing-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const doc = JSON.parse(readFileSync(PAYMENT_ROUTING_PATH, 'utf8'));
  doc.Route.Properties.Spec.HttpRoute.Action.WeightedTargets = [
    { VirtualNode: 'payment-service-v1', Weight: 25 },
    { VirtualNode: 'payment-service-v2', Weight: 75 },
  ];
  const file = path.join(dir, 'payment-service.json');
  writeFileSync(file, JSON.stringify(doc));
  const moved = synthesize('dev', { routingFile: file });
  t.after(() => moved.cleanup());
  assert.deepEqual(latticeWeights(moved.json), { 'payment-service-v1': 25, 'payment-service-v2': 75 });
});

test('on AWS the gateway sends every payment call to the Lattice name and leaves the split to Lattice', () => {
  const awsRoute = loadWeightedRoute(path.join(REPO_ROOT, GATEWAY_AWS_ROUTING_FILE));
  assert.equal(awsRoute.virtualService, route.virtualService);
  assert.equal(awsRoute.port, route.port);
  assert.deepEqual(awsRoute.targets.map((t) => [t.hostname, t.weight]), [[route.virtualService, 100]]);
  const env = (taskDefinitionOf(dev.json, 'gateway')[1].Properties.ContainerDefinitions[0].Environment as Array<{ Name: string; Value: string }>);
  assert.equal(env.find((e) => e.Name === 'GATEWAY_ROUTING_FILE')?.Value, `/app/${GATEWAY_AWS_ROUTING_FILE}`);
  assert.ok(serviceSpec('gateway').calls.includes(route.virtualService));
});
