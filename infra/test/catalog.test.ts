/**
 * infra/catalog.ts is a declaration; these checks keep it true to the code it
 * describes. When one fails after a service changed, the message says which
 * entry of the catalog to update (and so which IAM grant or port changes).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SOURCES, TRANSACTION_EVENTS, USER_EVENTS } from '../../contracts/events.ts';
import { loadTopology, QUEUES } from '../../contracts/topology.ts';
import { CATALOG } from '../../discovery/catalog.ts';
import { ServiceResolver } from '../../discovery/resolver.ts';
import { availableServices } from '../../scripts/services.ts';
import { DISCOVERY_NAMESPACE, NOT_ON_AWS, SERVICES, type ServiceSpec } from '../catalog.ts';
import { REPO_ROOT } from '../lib/paymesh-stack.ts';

const topology = loadTopology();
const queueNames = new Set(topology.queues.flatMap((q) => [q.name, q.deadLetter.name]));
const QUEUE_CONSTANTS = QUEUES as Record<string, string>;
/** Shared modules whose settings a service reads too. */
const SHARED = ['storage/database.ts', 'messaging/aws.ts', 'discovery/resolver.ts', 'observability/logger.ts', 'core/config.ts'];

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.split(path.sep).includes('test'))
    .map((f) => path.join(dir, f));
}

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

const CONSTANTS: Record<string, Record<string, string>> = { SOURCES, TRANSACTION_EVENTS, USER_EVENTS };
/** A source or detail-type as the code writes it: a contracts/events.ts constant, a string, or a local const holding one. */
function resolve(expression: string, text: string): string | undefined {
  const constant = /^(SOURCES|TRANSACTION_EVENTS|USER_EVENTS)\.(\w+)$/.exec(expression);
  if (constant) return CONSTANTS[constant[1]!]![constant[2]!];
  const literal = /^'([^']+)'$/.exec(expression);
  if (literal) return literal[1];
  const local = new RegExp(`const ${expression} = '([^']+)'`).exec(text);
  return local?.[1];
}

/** The source the event helper in `file` sets (`source: SOURCES.x`). */
function helperSource(file: string): string | undefined {
  const text = read(file);
  const m = /source: (SOURCES\.\w+)/.exec(text);
  return m ? resolve(m[1]!, text) : undefined;
}

/**
 * The events a body of code publishes: every `{ source: …, detailType: … }` it builds, the payment saga's
 * sagaEvent(…, TRANSACTION_EVENTS.x) and the user service's userEvent(USER_EVENTS.x) (with the source their
 * helper sets), and messaging/dlq-handler.ts's alerts when the code raises them through eventBridgeAlert.
 */
function publishedEvents(text: string): Set<string> {
  const found = new Set<string>();
  const add = (source: string | undefined, detailType: string | undefined) => {
    if (source && detailType) found.add(`${source} / ${detailType}`);
  };
  for (const m of text.matchAll(/source: (SOURCES\.\w+|'[^']+'), detailType: ([A-Z_]+(?:\.\w+)?|'[^']+')/g)) add(resolve(m[1]!, text), resolve(m[2]!, text));
  for (const m of text.matchAll(/sagaEvent\(\w+, (TRANSACTION_EVENTS\.\w+)/g)) add(helperSource('services/payment/saga/transitions.ts'), resolve(m[1]!, text));
  for (const m of text.matchAll(/userEvent\((USER_EVENTS\.\w+)/g)) add(helperSource('services/user/events.ts'), resolve(m[1]!, text));
  const alerts = read('messaging/dlq-handler.ts');
  if (text !== alerts && text.includes('eventBridgeAlert(')) for (const event of publishedEvents(alerts)) found.add(event);
  return found;
}

/** What a service's code says about its messaging and its calls. */
function codeFacts(spec: ServiceSpec) {
  const files = sourceFiles(spec.folder).map((f) => ({ file: f, text: read(f) }));
  const queueRefs = (text: string) => [
    ...[...text.matchAll(/QUEUES\.(\w+)/g)].map((m) => QUEUE_CONSTANTS[m[1]!]!),
    ...[...text.matchAll(/'([a-z0-9-]+)'/g)].map((m) => m[1]!).filter((name) => queueNames.has(name)),
  ];
  // Only files that use the messaging layer: elsewhere a word like 'notifications' is a table or a tag.
  const messagingFiles = files.filter((f) => /from '(\.\.\/)+messaging\//.test(f.text));
  return {
    queues: sorted(messagingFiles.flatMap((f) => queueRefs(f.text))),
    consumed: sorted(files.flatMap((f) => [...f.text.matchAll(/consumeWhenReady\(\{[\s\S]*?queue:\s*(QUEUES\.\w+|'[^']+')/g)].flatMap((m) => queueRefs(m[1]!)))),
    putsEvents: files.some((f) => /createEventBridgeClient\(|new EventPublisher\(|new OutboxRelay\(/.test(f.text)),
    outbox: files.some((f) => /new OutboxRelay\(/.test(f.text)),
    calls: sorted(files.flatMap((f) => [...f.text.matchAll(/'([a-z0-9-]+\.paypal\.local)'/g)].map((m) => m[1]!))),
    published: sorted(files.flatMap((f) => [...publishedEvents(f.text)])),
    text: files.map((f) => f.text).join('\n'),
  };
}

test('the catalog lists every service npm start runs, except the ones that do not run on AWS', () => {
  const local = availableServices().map((s) => s.name).filter((name) => !(name in NOT_ON_AWS));
  const built = SERVICES.filter((s) => existsSync(path.join(REPO_ROOT, s.folder, 'main.ts'))).map((s) => s.name);
  assert.deepEqual(sorted(built), sorted(local), 'infra/catalog.ts SERVICES must match scripts/services.ts');
});

for (const spec of SERVICES) {
  test(`the catalog entry for ${spec.name} matches its code`, (t) => {
    if (!existsSync(path.join(REPO_ROOT, spec.folder, 'main.ts'))) {
      t.skip(`${spec.folder} is not built yet`);
      return;
    }
    const facts = codeFacts(spec);
    const where = `infra/catalog.ts, ${spec.name}`;
    assert.deepEqual(sorted([...spec.consumes, ...spec.sends]), facts.queues, `${where}: consumes + sends must be the queues its code names`);
    for (const queue of facts.consumed) assert.ok(spec.consumes.includes(queue), `${where}: it consumes ${queue}`);
    assert.equal(spec.publishes.length > 0, facts.putsEvents, `${where}: publishes, since its code puts events on the bus`);
    // Its task role may put exactly these (events:source and events:detail-type conditions): none more, none missing.
    const declared = sorted(spec.publishes.flatMap((g) => g.detailTypes.map((d) => `${g.source} / ${d}`)));
    assert.deepEqual(declared, facts.published, `${where}: publishes must be the source / detail-type pairs its code publishes`);
    assert.equal(spec.outbox, facts.outbox, `${where}: outbox`);
    // Its database role and secret (storage/provision.ts) are named after the database its code opens.
    const opened = sorted([...facts.text.matchAll(/databaseConfigFromEnv\('([a-z0-9-]+)'/g)].map((m) => m[1]!));
    assert.deepEqual(opened, spec.database ? [spec.database] : [], `${where}: database must be the one its code opens`);
    assert.deepEqual(sorted(spec.calls), facts.calls, `${where}: calls must be the paypal.local names its code resolves`);
    const shared = SHARED.map(read).join('\n');
    const settings = [...spec.listeners.flatMap((l) => [l.hostSetting, l.portSetting]), ...Object.keys(spec.settings), ...Object.keys(spec.secretSettings ?? {})];
    for (const setting of settings) {
      assert.ok(facts.text.includes(`'${setting}'`) || shared.includes(`'${setting}'`), `${where}: the service never reads ${setting}`);
    }
  });
}

test('each listener answers on the port discovery/resolver.ts gives its names in production', () => {
  const resolver = new ServiceResolver({ SERVICE_DISCOVERY: 'dns' });
  for (const spec of SERVICES) {
    for (const listener of spec.listeners) {
      for (const name of listener.discoveryNames) {
        const fqdn = `${name}.${DISCOVERY_NAMESPACE}`;
        // payment-service-v1 exists only on AWS (payment-service.paypal.local is the Lattice service there).
        if (name === 'payment-service-v1') continue;
        const address = resolver.resolve(fqdn).address;
        const expected = listener.protocol === 'http' ? `http://${fqdn}:${listener.port}` : `${fqdn}:${listener.port}`;
        assert.equal(address, expected, `${spec.name} ${listener.name}`);
      }
    }
  }
});

test('every name discovery/resolver.ts knows is answered on AWS', () => {
  // The names discovery/resolver.ts resolves: those of discovery/catalog.ts with an address setting.
  const known = CATALOG.flatMap((s) => s.listeners.flatMap((l) => l.names.flatMap((n) => (n.name && n.addressSetting && l.awsPort !== undefined ? [`${n.name}.${DISCOVERY_NAMESPACE}`] : []))));
  assert.ok(known.length > 0);
  const answered = new Set([
    ...SERVICES.flatMap((s) => s.listeners.flatMap((l) => l.discoveryNames.map((n) => `${n}.${DISCOVERY_NAMESPACE}`))),
    // The Lattice service (canary.test.ts).
    'payment-service.paypal.local',
  ]);
  for (const name of known) assert.ok(answered.has(name), `${name} has no service in infra/catalog.ts`);
});
