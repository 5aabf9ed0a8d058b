import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { DISCOVERY_NAMESPACE, listenerFor, SERVICES } from '../catalog.ts';
import { actionsOf, queueNamesById, refId, resourcesOf, resourcesOfType, taskDefinitionOf, taskRoleStatements, type Statement, synthesizeForFile } from './support.ts';

const dev = synthesizeForFile('dev');
const templateText = JSON.stringify(dev.json);
const namesById = queueNamesById(dev.json);

const name = (short: string) => `${short}.${DISCOVERY_NAMESPACE}.`;

type Env = Array<{ Name: string; Value: unknown }>;
const mainContainer = (service: string) =>
  (taskDefinitionOf(dev.json, service)[1].Properties.ContainerDefinitions as Array<Record<string, any>>).find((c) => c.Name === service)!;
const envOf = (service: string) => new Map((mainContainer(service).Environment as Env).map((e) => [e.Name, e.Value]));

/** Queue names a statement with `action` reaches; '*' for anything that is not one of our queues. */
function queuesReached(statements: Statement[], action: string): string[] {
  return statements
    .filter((s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a === action || a === 'sqs:*' || a === '*'))
    .flatMap(resourcesOf)
    .map((r) => namesById.get(refId(r) ?? '') ?? '*')
    .sort();
}

test('every PayMesh service runs as its own ECS Fargate service, both payment versions included', () => {
  const services = resourcesOfType(dev.json, 'AWS::ECS::Service').map(([, r]) => r.Properties);
  assert.deepEqual(services.map((s) => s.ServiceName).sort(), SERVICES.map((s) => s.name).sort());
  for (const service of services) {
    assert.equal(service.LaunchType, 'FARGATE');
    assert.equal(service.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, 'DISABLED');
    assert.deepEqual(service.DeploymentConfiguration.DeploymentCircuitBreaker, { Enable: true, Rollback: true });
  }
  assert.equal(envOf('payment').get('PAYMENT_SERVICE_VERSION'), 'v1');
  assert.equal(envOf('payment-v2').get('PAYMENT_SERVICE_VERSION'), 'v2');
});

test('each service gets the production settings: its listeners on every interface, DNS discovery, real AWS, PostgreSQL', () => {
  for (const spec of SERVICES) {
    const env = envOf(spec.name);
    assert.equal(env.get('SERVICE'), spec.name);
    assert.equal(env.get('SERVICE_DISCOVERY'), 'dns');
    // messaging/aws.ts talks to AWS itself when AWS_REGION is set and no endpoint override is.
    assert.deepEqual(env.get('AWS_REGION'), { Ref: 'AWS::Region' });
    assert.ok(!env.has('PAYMESH_BROKER_URL') && !env.has('AWS_ENDPOINT_URL'), `${spec.name} has no broker endpoint`);
    for (const listener of spec.listeners) {
      assert.equal(env.get(listener.hostSetting), '0.0.0.0', `${spec.name} ${listener.hostSetting}`);
      assert.equal(env.get(listener.portSetting), String(listener.port), `${spec.name} ${listener.portSetting}`);
    }
    if (spec.database) {
      const url = JSON.stringify(env.get('DATABASE_URL'));
      assert.match(url, /postgres:\/\//);
      assert.match(url, /sslmode=verify-full/);
    }
    const secrets = ((mainContainer(spec.name).Secrets ?? []) as Array<{ Name: string }>).map((s) => s.Name).sort();
    assert.deepEqual(secrets, [...(spec.database ? ['PGPASSWORD', 'PGUSER'] : []), ...Object.keys(spec.secretSettings ?? {})].sort());
    const ports = (mainContainer(spec.name).PortMappings as Array<{ ContainerPort: number }>).map((p) => p.ContainerPort);
    assert.deepEqual(ports, spec.listeners.map((l) => l.port));
  }
});

test('containers run read-only with an init process and the image\'s health check', () => {
  for (const spec of SERVICES) {
    const container = mainContainer(spec.name);
    assert.equal(container.ReadonlyRootFilesystem, true);
    assert.equal(container.LinuxParameters.InitProcessEnabled, true);
    assert.deepEqual(container.HealthCheck.Command, ['CMD', 'node', '/app/infra/container/healthcheck.ts']);
  }
});

test('services are found under the seed\'s names in paypal.local', () => {
  const namespaces = resourcesOfType(dev.json, 'AWS::ServiceDiscovery::PrivateDnsNamespace');
  assert.deepEqual(namespaces.map(([, r]) => r.Properties.Name), [DISCOVERY_NAMESPACE]);
  const registered = resourcesOfType(dev.json, 'AWS::ServiceDiscovery::Service').map(([, r]) => r.Properties.Name).sort();
  assert.deepEqual(registered, SERVICES.filter((s) => s.listeners[0]!.discoveryNames.length > 0).map((s) => s.listeners[0]!.discoveryNames[0]).sort());
  const cnames = new Map(resourcesOfType(dev.json, 'AWS::Route53::RecordSet').map(([, r]) => [r.Properties.Name as string, r.Properties]));
  for (const alias of ['account-service', 'wallet-graphql']) {
    const record = cnames.get(name(alias));
    assert.ok(record, `${alias} has a record`);
    assert.equal(record.Type, 'CNAME');
  }
  assert.deepEqual(cnames.get(name('account-service'))?.ResourceRecords, [`user-service.${DISCOVERY_NAMESPACE}`]);
  assert.deepEqual(cnames.get(name('wallet-graphql'))?.ResourceRecords, [`wallet-service.${DISCOVERY_NAMESPACE}`]);
  // The seed's payment-service name is the VPC Lattice service (canary.test.ts).
  assert.ok(cnames.has(name('payment-service')));
  // Every name a service calls is answered.
  for (const spec of SERVICES) {
    for (const callee of spec.calls) {
      assert.ok(listenerFor(callee) || cnames.has(`${callee}.`), `${spec.name} calls ${callee}, which nothing answers`);
    }
  }
});

// Every service's messaging rights, one test per service, and the operator role's: iam.test.ts.
test('a service cannot send to another service\'s queue', () => {
  const notification = taskRoleStatements(dev.json, 'notification');
  assert.deepEqual(queuesReached(notification, 'sqs:SendMessage'), []);
  const payment = taskRoleStatements(dev.json, 'payment');
  for (const foreign of ['notifications', 'audit-logs', 'transaction-events', 'wallet-events']) {
    assert.ok(!queuesReached(payment, 'sqs:SendMessage').includes(foreign), `payment cannot send to ${foreign}`);
    assert.ok(!queuesReached(payment, 'sqs:ReceiveMessage').includes(foreign), `payment cannot read ${foreign}`);
  }
  // The public gateway neither reads messages nor sends any: dead letters and redrives need the operator role.
  const gateway = taskRoleStatements(dev.json, 'gateway');
  assert.deepEqual(queuesReached(gateway, 'sqs:ReceiveMessage'), []);
  assert.deepEqual(queuesReached(gateway, 'sqs:SendMessage'), []);
});

test('a listener accepts connections only from the services that call it', () => {
  const groupOf = (service: string) => refId(resourcesOfType(dev.json, 'AWS::ECS::Service').find(([, r]) => r.Properties.ServiceName === service)![1].Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups[0])!;
  const serviceByGroup = new Map(resourcesOfType(dev.json, 'AWS::ECS::Service').map(([, r]) => [refId(r.Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups[0]), r.Properties.ServiceName as string]));
  const callersOf = (service: string, port: number) => {
    const group = groupOf(service);
    const separate = resourcesOfType(dev.json, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties).filter((r) => refId(r.GroupId) === group);
    const inline = (dev.json.Resources[group]!.Properties.SecurityGroupIngress ?? []) as Array<Record<string, any>>;
    return [...separate, ...inline]
      .filter((r) => r.FromPort === port)
      .map((r) => r.CidrIp ?? serviceByGroup.get(refId(r.SourceSecurityGroupId)) ?? refId(r.SourceSecurityGroupId))
      .sort();
  };
  assert.deepEqual(callersOf('wallet', 50051), ['gateway', 'payment', 'payment-v2']);
  assert.deepEqual(callersOf('wallet', 8007), ['gateway']);
  assert.deepEqual(callersOf('user', 8000), ['gateway', 'payment', 'payment-v2']);
  assert.deepEqual(callersOf('audit', 8000), ['gateway']);
  assert.deepEqual(callersOf('payment', 8000), ['169.254.171.0/24']);
  const [albGroup] = resourcesOfType(dev.json, 'AWS::ElasticLoadBalancingV2::LoadBalancer').map(([, r]) => refId(r.Properties.SecurityGroups[0]));
  assert.deepEqual(callersOf('gateway', 8080), [albGroup]);
});

test('the public gateway is the only service behind an internet-facing load balancer, health-checked on /healthz', () => {
  const balancers = resourcesOfType(dev.json, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
  assert.equal(balancers.length, 1);
  assert.equal(balancers[0]![1].Properties.Scheme, 'internet-facing');
  const targetGroups = resourcesOfType(dev.json, 'AWS::ElasticLoadBalancingV2::TargetGroup').map(([, r]) => r.Properties);
  assert.deepEqual(targetGroups.map((g) => [g.Port, g.HealthCheckPath, g.TargetType]), [[8080, '/healthz', 'ip']]);
  const attached = resourcesOfType(dev.json, 'AWS::ECS::Service').filter(([, r]) => r.Properties.LoadBalancers?.length);
  assert.deepEqual(attached.map(([, r]) => r.Properties.ServiceName), ['gateway']);
});

test('the database is private, encrypted, TLS-only, and its password exists only in Secrets Manager', () => {
  const instance = resourcesOfType(dev.json, 'AWS::RDS::DBInstance')[0]![1];
  assert.equal(instance.Properties.Engine, 'postgres');
  assert.equal(instance.Properties.StorageEncrypted, true);
  assert.equal(instance.Properties.PubliclyAccessible, false);
  assert.match(JSON.stringify(instance.Properties.MasterUserPassword), /\{\{resolve:secretsmanager:/);
  const params = resourcesOfType(dev.json, 'AWS::RDS::DBParameterGroup')[0]![1];
  assert.equal(params.Properties.Parameters['rds.force_ssl'], '1');
  for (const [, secret] of resourcesOfType(dev.json, 'AWS::SecretsManager::Secret')) {
    assert.equal(secret.Properties.SecretString, undefined, 'no secret value in the template');
    assert.ok(secret.Properties.GenerateSecretString, 'secrets are generated by Secrets Manager');
  }
});

test("the first operator's password is generated in Secrets Manager and given only to the user service", () => {
  const [secretId, secret] = resourcesOfType(dev.json, 'AWS::SecretsManager::Secret').find(([, r]) => r.Properties.Name === 'paymesh/dev/first-operator')!;
  assert.ok(secret.Properties.GenerateSecretString.PasswordLength >= 24);
  const user = mainContainer('user');
  assert.equal(new Map((user.Environment as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, e.Value])).get('USER_FIRST_OPERATOR_EMAIL'), 'operator@paymesh.local');
  const password = (user.Secrets as Array<{ Name: string; ValueFrom: unknown }>).find((s) => s.Name === 'USER_FIRST_OPERATOR_PASSWORD');
  assert.equal(refId(password?.ValueFrom), secretId);
  for (const spec of SERVICES.filter((s) => s.name !== 'user')) {
    assert.ok(!JSON.stringify(mainContainer(spec.name).Secrets ?? []).includes(secretId), `${spec.name} does not get it`);
  }
});

test('the template holds no secret values and no account ids', () => {
  for (const spec of SERVICES) {
    for (const [setting, value] of envOf(spec.name)) {
      assert.ok(!/SECRET|PASSWORD|TOKEN|KEY/.test(setting) || typeof value !== 'string', `${spec.name} ${setting} must come from Secrets Manager`);
    }
  }
  // The one map of account ids is AWS's: Elastic Load Balancing's log-delivery account per region (public-edge.ts).
  const { Mappings, ...ours } = dev.json as typeof dev.json & { Mappings?: Record<string, Record<string, Record<string, string>>> };
  assert.doesNotMatch(JSON.stringify(ours), /(?<![0-9a-f])\d{12}(?![0-9a-f])/, 'no 12-digit account ids');
  const elbAccounts = Object.fromEntries(RegionInfo.regions.filter((r) => r.elbv2Account).map((r) => [r.name, { account: r.elbv2Account }]));
  assert.deepEqual(Mappings, { ElbLogDeliveryAccounts: elbAccounts });
  assert.doesNotMatch(templateText, /"(Password|MasterUserPassword|SecretString)":"[^{]/);
});
