/**
 * Egress: the tasks reach AWS through VPC endpoints, and their security groups
 * let them reach only those endpoints, S3 (ECR's image layers) through the
 * gateway endpoint, the database, the services they call and (the gateway)
 * VPC Lattice. VPC flow logs record the rest.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listenerFor, SERVICES } from '../catalog.ts';
import { ENVIRONMENTS } from '../lib/environments.ts';
import { PUBLIC_ECR_CACHE_PREFIX } from '../lib/paymesh-stack.ts';
import { INTERFACE_ENDPOINTS } from '../lib/private-endpoints.ts';
import { refId, resourcesOfType, roleStatements, taskDefinitionOf, type Synthesized, synthesizeForFile } from './support.ts';

const dev = synthesizeForFile('dev');
const prod = synthesizeForFile('prod');

const groupOf = (json: Synthesized['json'], service: string) =>
  refId(resourcesOfType(json, 'AWS::ECS::Service').find(([, r]) => r.Properties.ServiceName === service)![1].Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups[0])!;
const endpointsGroup = (json: Synthesized['json']) => resourcesOfType(json, 'AWS::EC2::SecurityGroup').find(([, r]) => String(r.Properties.GroupDescription).startsWith('PayMesh VPC interface endpoints'))![0];
const databaseGroup = (json: Synthesized['json']) => resourcesOfType(json, 'AWS::EC2::SecurityGroup').find(([, r]) => String(r.Properties.GroupDescription).startsWith('PayMesh PostgreSQL'))![0];
const endpointName = (r: { Properties: Record<string, any> }) => (r.Properties.ServiceName['Fn::Join'][1] as unknown[]).at(-1) as string;

/** A group's egress rules (inline and separate), each as `destination:port`. */
function egressOf(json: Synthesized['json'], groupId: string): string[] {
  const names = new Map<string, string>([[endpointsGroup(json), 'endpoints'], [databaseGroup(json), 'database']]);
  for (const spec of SERVICES) names.set(groupOf(json, spec.name), spec.name);
  const separate = resourcesOfType(json, 'AWS::EC2::SecurityGroupEgress').map(([, r]) => r.Properties).filter((r) => refId(r.GroupId) === groupId);
  const inline = (json.Resources[groupId]!.Properties.SecurityGroupEgress ?? []) as Array<Record<string, any>>;
  return [...separate, ...inline]
    .filter((r) => r.Description !== 'Disallow all traffic')
    .map((r) => {
      const to = r.CidrIp ?? r.CidrIpv6 ?? (r.DestinationPrefixListId ? `prefix-list ${refId(r.DestinationPrefixListId)}` : names.get(refId(r.DestinationSecurityGroupId)!) ?? refId(r.DestinationSecurityGroupId));
      const port = typeof r.FromPort === 'number' ? r.FromPort : 'postgres';
      return `${to}:${port}`;
    })
    .sort();
}

test('every AWS API the tasks call has an interface endpoint with private DNS in the services\' subnets, and nothing calls STS', () => {
  for (const { json } of [dev, prod]) {
    const interfaces = resourcesOfType(json, 'AWS::EC2::VPCEndpoint').filter(([, r]) => r.Properties.VpcEndpointType === 'Interface');
    assert.deepEqual(interfaces.map(([, r]) => endpointName(r).replace(/^\./, '')).sort(), Object.keys(INTERFACE_ENDPOINTS).sort());
    assert.deepEqual(Object.keys(INTERFACE_ENDPOINTS).sort(), ['ecr.api', 'ecr.dkr', 'events', 'logs', 'secretsmanager', 'sqs', 'xray']);
    for (const [, endpoint] of interfaces) {
      assert.equal(endpoint.Properties.PrivateDnsEnabled, true);
      assert.deepEqual(endpoint.Properties.SecurityGroupIds.map(refId), [endpointsGroup(json)]);
      assert.ok(endpoint.Properties.SubnetIds.every((s: unknown) => String(refId(s)).startsWith('Vpcservices')), 'in the services\' subnets');
    }
  }
});

const provisioningGroup = (json: Synthesized['json']) =>
  resourcesOfType(json, 'AWS::EC2::SecurityGroup').find(([, r]) => String(r.Properties.GroupDescription).startsWith('PayMesh database provisioning'))![0];

test('the endpoints admit HTTPS from PayMesh services (and the database provisioning task) only', () => {
  const group = endpointsGroup(dev.json);
  const ingress = resourcesOfType(dev.json, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties).filter((r) => refId(r.GroupId) === group);
  const serviceByGroup = new Map(SERVICES.map((s) => [groupOf(dev.json, s.name), s.name]));
  serviceByGroup.set(provisioningGroup(dev.json), 'db-provision');
  assert.deepEqual(
    ingress.map((r) => `${serviceByGroup.get(refId(r.SourceSecurityGroupId)!)}:${r.FromPort}-${r.ToPort}`).sort(),
    [...SERVICES.map((s) => `${s.name}:443-443`), 'db-provision:443-443'].sort(),
  );
  assert.equal(dev.json.Resources[group]!.Properties.SecurityGroupIngress, undefined, 'no CIDR-wide rule');
});

test('S3 is reached through a gateway endpoint on the services\' route tables, for ECR\'s image layers only', () => {
  const [, gateway] = resourcesOfType(dev.json, 'AWS::EC2::VPCEndpoint').find(([, r]) => r.Properties.VpcEndpointType === 'Gateway')!;
  assert.equal(endpointName(gateway), '.s3');
  assert.ok(gateway.Properties.RouteTableIds.every((t: unknown) => String(refId(t)).startsWith('Vpcservices')));
  const [statement] = gateway.Properties.PolicyDocument.Statement;
  assert.equal(gateway.Properties.PolicyDocument.Statement.length, 1);
  assert.equal(statement.Action, 's3:GetObject');
  assert.match(JSON.stringify(statement.Resource), /-starport-layer-bucket\/\*/);
  assert.match((dev.json.Parameters?.S3PrefixListId as { AllowedPattern: string }).AllowedPattern, /pl-/);
});

test('no service may send anywhere on the internet: egress only to the endpoints, S3, the database, the services it calls, and (the gateway) VPC Lattice', () => {
  for (const { json } of [dev, prod]) {
    for (const spec of SERVICES) {
      const calls = spec.calls.flatMap((name) => {
        const found = listenerFor(name);
        return found ? [`${found.service.name}:${found.listener.port}`] : [`169.254.171.0/24:${8000}`];
      });
      const want = ['endpoints:443', 'prefix-list S3PrefixListId:443', ...(spec.database ? ['database:postgres'] : []), ...calls].sort();
      const egress = egressOf(json, groupOf(json, spec.name));
      assert.deepEqual([...new Set(egress)], [...new Set(want)], spec.name);
      assert.ok(!egress.some((e) => e.startsWith('0.0.0.0/0') || e.startsWith('::/0')), `${spec.name}: no egress to the internet`);
    }
  }
});

test('the database provisioning task may reach only the endpoints, S3 (image layers) and the database', () => {
  for (const { json } of [dev, prod]) {
    assert.deepEqual([...new Set(egressOf(json, provisioningGroup(json)))], ['database:postgres', 'endpoints:443', 'prefix-list S3PrefixListId:443']);
  }
});

test('VPC flow logs record all traffic, kept for the environment\'s retention', () => {
  for (const [env, { json }] of [['dev', dev], ['prod', prod]] as const) {
    const [, flowLog] = resourcesOfType(json, 'AWS::EC2::FlowLog')[0]!;
    assert.equal(flowLog.Properties.ResourceType, 'VPC');
    assert.equal(flowLog.Properties.TrafficType, 'ALL');
    assert.equal(flowLog.Properties.LogDestinationType, 'cloud-watch-logs');
    const group = json.Resources[refId(flowLog.Properties.LogGroupName)!]!;
    assert.equal(group.Properties.LogGroupName, `/paymesh/${env}/vpc-flow-logs`);
    assert.equal(group.Properties.RetentionInDays, ENVIRONMENTS[env].logRetentionDays);
  }
});

test('the collector image comes through an ECR pull-through cache of ECR Public, inside the VPC', () => {
  const [, rule] = resourcesOfType(dev.json, 'AWS::ECR::PullThroughCacheRule')[0]!;
  assert.deepEqual(rule.Properties, { EcrRepositoryPrefix: PUBLIC_ECR_CACHE_PREFIX, UpstreamRegistry: 'ecr-public', UpstreamRegistryUrl: 'public.ecr.aws' });
  for (const spec of SERVICES.filter((s) => s.listeners.some((l) => l.protocol === 'http'))) {
    const [, task] = taskDefinitionOf(dev.json, spec.name);
    const collector = (task.Properties.ContainerDefinitions as Array<Record<string, any>>).find((c) => c.Name === 'metrics-collector')!;
    const image = JSON.stringify(collector.Image);
    assert.match(image, new RegExp(`dkr\\.ecr\\..*${PUBLIC_ECR_CACHE_PREFIX}/aws-observability/aws-otel-collector:v`), spec.name);
    assert.doesNotMatch(image, /public\.ecr\.aws/, `${spec.name} does not pull from the internet`);
    const execution = roleStatements(dev.json, refId(task.Properties.ExecutionRoleArn)!);
    // Importing from upstream (the first pull of a tag) is allowed into the collector's cache repository only.
    const imports = execution.filter((s) => [s.Action].flat().includes('ecr:BatchImportUpstreamImage'));
    assert.equal(imports.length, 1, spec.name);
    assert.match(JSON.stringify(imports[0]!.Resource), new RegExp(`:repository/${PUBLIC_ECR_CACHE_PREFIX}/aws-observability/aws-otel-collector"\\]\\]\\}$`));
  }
});
