/**
 * What each task role, and the operator role, may do with the messaging: one
 * test per service, derived from infra/catalog.ts (which catalog.test.ts keeps
 * true to the code) and contracts/topology.json, evaluated against the IAM
 * policies in the synthesized template. A request is allowed when an Allow
 * statement matches its action, resource and condition keys and no Deny does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SOURCES, TRANSACTION_EVENTS, USER_EVENTS } from '../../contracts/events.ts';
import { loadTopology } from '../../contracts/topology.ts';
import { SERVICES, type ServiceSpec } from '../catalog.ts';
import { allows, refId, resourcesOfType, roleStatements, taskDefinitionOf, type IamRequest, type PolicyStatement, synthesizeForFile } from './support.ts';

const dev = synthesizeForFile('dev');
const topology = loadTopology();

const queueIds = new Map(resourcesOfType(dev.json, 'AWS::SQS::Queue').map(([id, r]) => [r.Properties.QueueName as string, id]));
const busId = resourcesOfType(dev.json, 'AWS::Events::EventBus')[0]![0];
const archiveId = resourcesOfType(dev.json, 'AWS::Events::Archive')[0]![0];
const workQueues = topology.queues.map((q) => q.name);
const deadLetterQueues = [...topology.queues.map((q) => q.deadLetter.name), topology.eventTargets.deadLetterQueue];
const allQueues = [...queueIds.keys()].sort();
const dlqOf = (queue: string) => topology.queues.find((q) => q.name === queue)?.deadLetter.name;

/** Every source and detail-type PayMesh knows, and one nobody publishes: the universe PutEvents is asked about. */
const SOURCES_ASKED = [...Object.values(SOURCES), 'paypal-clone.forged'];
const DETAIL_TYPES_ASKED = [...Object.values(TRANSACTION_EVENTS), ...Object.values(USER_EVENTS), 'Operator action', 'Operations alert', 'Anything else'];

const taskRole = (service: string) => roleStatements(dev.json, refId(taskDefinitionOf(dev.json, service)[1].Properties.TaskRoleArn)!);
const operatorRoleId = resourcesOfType(dev.json, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === 'paymesh-dev-operator')![0];
const operatorRole = roleStatements(dev.json, operatorRoleId);

const onQueue = (action: string, queue: string): IamRequest => ({ action, resource: { id: queueIds.get(queue)! } });
const putEvents = (source: string, detailType: string): IamRequest => ({ action: 'events:PutEvents', resource: { id: busId }, context: { 'events:source': source, 'events:detail-type': detailType } });
/** The queues on which `action` is allowed. */
const queuesAllowed = (statements: PolicyStatement[], action: string) => allQueues.filter((q) => allows(statements, onQueue(action, q)));
/** The source / detail-type pairs PutEvents is allowed for. */
const eventsAllowed = (statements: PolicyStatement[]) =>
  SOURCES_ASKED.flatMap((source) => DETAIL_TYPES_ASKED.filter((d) => allows(statements, putEvents(source, d))).map((d) => `${source} / ${d}`)).sort();
const published = (spec: ServiceSpec) => spec.publishes.flatMap((g) => g.detailTypes.map((d) => `${g.source} / ${d}`)).sort();
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** What the catalog says a service's role may do with each queue and the bus. */
function expected(spec: ServiceSpec) {
  const observed = spec.consumes.map(dlqOf).filter((q): q is string => Boolean(q));
  return {
    receive: sorted(spec.consumes),
    send: sorted(spec.sends),
    attributes: spec.inspectsMessaging ? allQueues : sorted([...spec.consumes, ...spec.sends, ...observed]),
    events: published(spec),
  };
}

const describe = (names: string[]) => (names.length ? names.join(', ') : 'nothing');
const describeEvents = (spec: ServiceSpec) =>
  spec.publishes.length
    ? spec.publishes.map((g) => `${g.detailTypes.length > 2 ? `${g.detailTypes.length} detail-types` : g.detailTypes.join(', ')} as ${g.source}`).join(' and ')
    : 'no events';

for (const spec of SERVICES) {
  const want = expected(spec);
  test(
    `${spec.name}'s task role receives and deletes from ${describe(want.receive)}; sends to ${describe(want.send)}; ` +
      `puts ${describeEvents(spec)}; and nothing else with queues, events or replays`,
    () => {
      const role = taskRole(spec.name);
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) assert.deepEqual(queuesAllowed(role, action), want.receive, `${spec.name}: ${action}`);
      assert.deepEqual(queuesAllowed(role, 'sqs:SendMessage'), want.send, `${spec.name}: sqs:SendMessage`);
      assert.deepEqual(queuesAllowed(role, 'sqs:GetQueueAttributes'), want.attributes, `${spec.name}: sqs:GetQueueAttributes`);
      for (const action of ['sqs:PurgeQueue', 'sqs:SetQueueAttributes', 'sqs:StartMessageMoveTask', 'sqs:DeleteQueue']) assert.deepEqual(queuesAllowed(role, action), [], `${spec.name}: ${action}`);
      // Exactly its own sources and detail-types; a PutEvents entry without them is refused too.
      assert.deepEqual(eventsAllowed(role), want.events, `${spec.name}: events:PutEvents`);
      assert.equal(allows(role, { action: 'events:PutEvents', resource: { id: busId } }), false, `${spec.name}: PutEvents without source and detail-type`);
      for (const action of ['events:StartReplay', 'events:CancelReplay']) {
        assert.equal(allows(role, { action, resource: { id: archiveId } }), false, `${spec.name}: ${action} on the archive`);
        assert.equal(allows(role, { action, resource: { tail: 'replay/any' } }), false, `${spec.name}: ${action}`);
      }
      for (const action of ['events:PutRule', 'events:PutTargets', 'events:DeleteRule', 'events:PutPermission']) assert.equal(allows(role, { action, resource: { id: busId } }), false, `${spec.name}: ${action}`);
      // Every PutEvents grant is conditioned on the event's source and detail-type.
      for (const s of role.filter((s) => [s.Action].flat().includes('events:PutEvents'))) {
        assert.ok(s.Condition?.StringEquals?.['events:source'] && s.Condition.StringEquals['events:detail-type'], `${spec.name}: conditioned PutEvents`);
      }
    },
  );
}

test('the public gateway cannot touch work queues, delete or redrive a dead letter (audit-logs-dlq included), replay, or put a Transaction event', () => {
  const gateway = taskRole('gateway');
  for (const queue of ['payment-saga', 'payment-processing', ...workQueues]) assert.equal(allows(gateway, onQueue('sqs:SendMessage', queue)), false, `send to ${queue}`);
  for (const dlq of deadLetterQueues) {
    for (const action of ['sqs:DeleteMessage', 'sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:StartMessageMoveTask']) assert.equal(allows(gateway, onQueue(action, dlq)), false, `${action} on ${dlq}`);
  }
  assert.equal(allows(gateway, { action: 'events:StartReplay', resource: { id: archiveId } }), false);
  for (const detailType of Object.values(TRANSACTION_EVENTS)) assert.equal(allows(gateway, putEvents(SOURCES.transaction, detailType)), false, detailType);
  // What it keeps: recording operator actions, and looking (queue depths, rules, archive, replays).
  assert.equal(allows(gateway, putEvents(SOURCES.operations, 'Operator action')), true);
  assert.equal(allows(gateway, putEvents(SOURCES.operations, 'Operations alert')), false, 'it raises no operations alerts');
  assert.equal(allows(gateway, { action: 'events:DescribeReplay', resource: { tail: 'replay/paymesh-fix' } }), true);
  assert.equal(allows(gateway, { action: 'events:DescribeArchive', resource: { id: archiveId } }), true);
});

test('only the payment service puts the Transaction events that drive the saga: the user service cannot forge them, nor the payment service User events', () => {
  for (const spec of SERVICES) {
    const role = taskRole(spec.name);
    const mayForgeSaga = Object.values(TRANSACTION_EVENTS).some((d) => allows(role, putEvents(SOURCES.transaction, d)));
    assert.equal(mayForgeSaga, spec.name === 'payment' || spec.name === 'payment-v2', spec.name);
  }
  assert.equal(allows(taskRole('user'), putEvents(SOURCES.transaction, TRANSACTION_EVENTS.completed)), false);
  assert.equal(allows(taskRole('user'), putEvents(SOURCES.user, USER_EVENTS.registered)), true);
  assert.equal(allows(taskRole('payment'), putEvents(SOURCES.user, USER_EVENTS.registered)), false);
  assert.equal(allows(taskRole('payment'), putEvents(SOURCES.operations, 'Operator action')), false, 'payment cannot pass for an operator');
  // Mixing a permitted source with another publisher's detail-type does not pass either.
  assert.equal(allows(taskRole('payment'), putEvents(SOURCES.operations, TRANSACTION_EVENTS.completed)), false);
});

test('the operator role redrives and deletes dead letters and replays the archive, and only it: no task role may', () => {
  for (const dlq of deadLetterQueues) {
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks']) {
      assert.equal(allows(operatorRole, onQueue(action, dlq)), true, `${action} on ${dlq}`);
    }
  }
  assert.deepEqual(queuesAllowed(operatorRole, 'sqs:SendMessage'), sorted(workQueues), 'redrives go back to the work queues only');
  assert.deepEqual(queuesAllowed(operatorRole, 'sqs:DeleteMessage'), sorted(deadLetterQueues), 'it deletes dead letters, never work');
  assert.equal(allows(operatorRole, { action: 'events:StartReplay', resource: { id: archiveId } }), true);
  assert.equal(allows(operatorRole, { action: 'events:StartReplay', resource: { tail: 'replay/fix-2026-11-25' } }), true);
  assert.deepEqual(eventsAllowed(operatorRole), [], 'it puts no events: it cannot write to the audit trail');

  // Nobody else: among every role in the stack, only the operator role deletes from a DLQ it does not consume or starts a replay.
  const consumers = new Map(deadLetterQueues.map((dlq) => [dlq, SERVICES.filter((s) => s.consumes.includes(dlq))]));
  for (const [roleId] of resourcesOfType(dev.json, 'AWS::IAM::Role')) {
    if (roleId === operatorRoleId) continue;
    const statements = roleStatements(dev.json, roleId);
    assert.equal(allows(statements, { action: 'events:StartReplay', resource: { id: archiveId } }), false, `${roleId} starts replays`);
    for (const dlq of deadLetterQueues) {
      if (!allows(statements, onQueue('sqs:DeleteMessage', dlq))) continue;
      const own = consumers.get(dlq)!.some((s) => refId(taskDefinitionOf(dev.json, s.name)[1].Properties.TaskRoleArn) === roleId);
      assert.ok(own, `${roleId} deletes from ${dlq}, which it does not consume`);
    }
  }
});

test('the operator role is assumed only by the principal named at deploy time, for an hour at a time', () => {
  const role = dev.json.Resources[operatorRoleId]!;
  assert.deepEqual(role.Properties.AssumeRolePolicyDocument.Statement, [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: { Ref: 'OperatorPrincipalArn' } } }]);
  assert.equal(role.Properties.MaxSessionDuration, 3600);
  const parameter = dev.json.Parameters?.OperatorPrincipalArn as { AllowedPattern: string; Default?: string };
  assert.ok(parameter, 'a stack parameter, never a value in the repository');
  assert.equal(parameter.Default, undefined, 'no default: the deployer names the principal');
  for (const principal of ['arn:aws:iam::111122223333:role/oncall', 'arn:aws:iam::111122223333:root']) assert.match(principal, new RegExp(parameter.AllowedPattern));
  for (const principal of ['*', 'arn:aws:iam::*:root', 'ecs-tasks.amazonaws.com']) assert.doesNotMatch(principal, new RegExp(parameter.AllowedPattern));
  // No task role is trusted to assume it: its trust policy names only the parameter.
  assert.ok(!JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes('ecs-tasks'));
});

test('task roles carry no managed policies: what they may do is all in the statements above', () => {
  for (const spec of SERVICES) {
    const roleId = refId(taskDefinitionOf(dev.json, spec.name)[1].Properties.TaskRoleArn)!;
    assert.equal(dev.json.Resources[roleId]!.Properties.ManagedPolicyArns, undefined, spec.name);
  }
});
