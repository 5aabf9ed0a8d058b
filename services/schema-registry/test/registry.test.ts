import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import pino from 'pino';
import { AVRO_SUBJECTS, readAvroSchema } from '../../../contracts/avro.ts';
import type { DatabaseConfig } from '../../../storage/database.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { buildSchemaRegistry } from '../app.ts';
import { openRegistryDatabase } from '../database.ts';

/*
 * The registry over a real loopback port, spoken to as a Confluent Schema
 * Registry client would: its paths, its content type, its error codes.
 */

const SUBJECT = AVRO_SUBJECTS.transactionEvent.subject;
const V1 = readAvroSchema('transaction-event.v1.avsc');
const V2 = readAvroSchema('transaction-event.v2.avsc');
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const log = pino({ level: 'silent' });

/** V2 plus one more field, with or without a default. */
function v3(withDefault: boolean): string {
  const schema = JSON.parse(V2);
  schema.fields.push(withDefault ? { name: 'fee_minor', type: 'long', default: 0 } : { name: 'fee_minor', type: 'long' });
  return JSON.stringify(schema);
}

interface Client {
  url: string;
  get(path: string): Promise<{ status: number; type: string; body: any }>;
  post(path: string, body: unknown): Promise<{ status: number; type: string; body: any }>;
  put(path: string, body: unknown): Promise<{ status: number; type: string; body: any }>;
}

function client(url: string): Client {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { accept: CONTENT_TYPE, ...(body === undefined ? {} : { 'content-type': CONTENT_TYPE }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.json() };
  };
  return { url, get: (p) => call('GET', p), post: (p, b) => call('POST', p, b), put: (p, b) => call('PUT', p, b) };
}

/** The registry as main.ts runs it, on loopback: the Confluent clients below speak HTTP to it. */
async function startSchemaRegistry(config: DatabaseConfig): Promise<{ address: string; stop(): Promise<void> }> {
  const database = await openRegistryDatabase(config);
  const { app } = await buildSchemaRegistry({ database, log });
  return {
    address: await app.listen({ host: '127.0.0.1', port: 0 }),
    async stop() {
      await app.close();
      await database.close();
    },
  };
}

async function startOn(t: TestContext, database: DatabaseConfig): Promise<{ api: Client }> {
  const registry = await startSchemaRegistry(database);
  t.after(() => registry.stop());
  return { api: client(registry.address) };
}

for (const target of await testDatabases()) {
  describe(`schema registry on ${target.name}`, { skip: target.skip }, () => {
    async function fresh(t: TestContext) {
      const { config, cleanup } = await target.create();
      t.after(cleanup);
      return { config, ...(await startOn(t, config)) };
    }

    test('schemas get global ids and subjects get versions, over Confluent paths and content type', async (t) => {
      const { api } = await fresh(t);
      const first = await api.post(`/subjects/${SUBJECT}/versions`, { schema: V1 });
      assert.equal(first.status, 200);
      assert.match(first.type, /^application\/vnd\.schemaregistry\.v1\+json/);
      const second = await api.post(`/subjects/${SUBJECT}/versions`, { schema: V2, schemaType: 'AVRO' });
      assert.deepEqual([first.body, second.body], [{ id: 1 }, { id: 2 }]);

      const respaced = JSON.stringify(JSON.parse(V2), null, 4);
      assert.deepEqual((await api.post(`/subjects/${SUBJECT}/versions`, { schema: respaced })).body, { id: 2 }, 're-registering a schema, however spaced, returns its id and adds no version');
      assert.deepEqual((await api.post('/subjects/audit-copy/versions', { schema: V1 })).body, { id: 1 }, 'ids are global: the same schema under another subject keeps its id');

      assert.deepEqual((await api.get('/subjects')).body, ['TransactionEvent', 'audit-copy']);
      assert.deepEqual((await api.get(`/subjects/${SUBJECT}/versions`)).body, [1, 2]);
      const latest = await api.get(`/subjects/${SUBJECT}/versions/latest`);
      assert.deepEqual({ ...latest.body, schema: undefined }, { subject: SUBJECT, id: 2, version: 2, schema: undefined });
      assert.equal(JSON.parse(latest.body.schema).fields.at(-1).name, 'amount_minor');
      assert.equal((await api.get(`/subjects/${SUBJECT}/versions/-1`)).body.version, 2);
      assert.equal((await api.get(`/subjects/${SUBJECT}/versions/1`)).body.id, 1);
      assert.equal((await api.get(`/subjects/${SUBJECT}/versions/1/schema`)).body.name, 'TransactionEvent');

      const byId = await api.get('/schemas/ids/1');
      assert.equal(byId.status, 200);
      assert.deepEqual(JSON.parse(byId.body.schema).fields.map((f: { name: string }) => f.name), JSON.parse(V1).fields.map((f: { name: string }) => f.name));
      assert.deepEqual((await api.get('/schemas/ids/1/versions')).body, [{ subject: 'TransactionEvent', version: 1 }, { subject: 'audit-copy', version: 1 }]);
      assert.deepEqual((await api.get('/schemas/types')).body, ['AVRO']);

      const lookup = await api.post(`/subjects/${SUBJECT}`, { schema: V1 });
      assert.deepEqual([lookup.status, lookup.body.id, lookup.body.version], [200, 1, 1]);
    });

    test('a new version that is not backward compatible is refused with 409, and nothing changes', async (t) => {
      const { api } = await fresh(t);
      await api.post(`/subjects/${SUBJECT}/versions`, { schema: V1 });
      await api.post(`/subjects/${SUBJECT}/versions`, { schema: V2 });

      assert.deepEqual((await api.post(`/compatibility/subjects/${SUBJECT}/versions/latest`, { schema: v3(false) })).body, { is_compatible: false });
      const refused = await api.post(`/subjects/${SUBJECT}/versions`, { schema: v3(false) });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error_code, 409);
      assert.match(refused.body.message, /incompatible/);
      assert.deepEqual((await api.get(`/subjects/${SUBJECT}/versions`)).body, [1, 2]);

      assert.deepEqual((await api.post(`/compatibility/subjects/${SUBJECT}/versions/latest`, { schema: v3(true) })).body, { is_compatible: true });
      assert.deepEqual((await api.post(`/compatibility/subjects/${SUBJECT}/versions/1`, { schema: v3(true) })).body, { is_compatible: true });
      assert.deepEqual((await api.post(`/subjects/${SUBJECT}/versions`, { schema: v3(true) })).body, { id: 3 }, 'an added field with a default is backward compatible');
    });

    test('compatibility levels follow Confluent: global and per subject, FORWARD and NONE', async (t) => {
      const { api } = await fresh(t);
      assert.deepEqual((await api.get('/config')).body, { compatibilityLevel: 'BACKWARD' });
      await api.post('/subjects/strict/versions', { schema: V2 });
      const unset = await api.get('/config/strict');
      assert.deepEqual([unset.status, unset.body.error_code], [404, 40408]);
      assert.deepEqual((await api.get('/config/strict?defaultToGlobal=true')).body, { compatibilityLevel: 'BACKWARD' });

      // Dropping a field with no default: new readers are fine (backward), old readers are not (forward).
      const dropped = JSON.parse(V2);
      dropped.fields = dropped.fields.filter((f: { name: string }) => f.name !== 'metadata');
      assert.deepEqual((await api.put('/config/strict', { compatibility: 'FORWARD' })).body, { compatibility: 'FORWARD' });
      assert.deepEqual((await api.get('/config/strict')).body, { compatibilityLevel: 'FORWARD' });
      assert.equal((await api.post('/subjects/strict/versions', { schema: JSON.stringify(dropped) })).status, 409);
      await api.put('/config/strict', { compatibility: 'NONE' });
      assert.equal((await api.post('/subjects/strict/versions', { schema: JSON.stringify(dropped) })).status, 200);

      assert.deepEqual((await api.put('/config', { compatibility: 'FULL' })).body, { compatibility: 'FULL' });
      assert.deepEqual((await api.get('/config')).body, { compatibilityLevel: 'FULL' });
      const bad = await api.put('/config', { compatibility: 'SOMETIMES' });
      assert.deepEqual([bad.status, bad.body.error_code], [422, 42203]);
    });

    test('bad requests get Confluent error codes', async (t) => {
      const { api } = await fresh(t);
      const cases: Array<[string, Promise<{ status: number; body: any }>, number, number]> = [
        ['unparsable schema', api.post(`/subjects/${SUBJECT}/versions`, { schema: '{"type": "nonsense"' }), 422, 42201],
        ['unknown Avro type', api.post(`/subjects/${SUBJECT}/versions`, { schema: '{"type": "decimal128"}' }), 422, 42201],
        ['not Avro', api.post(`/subjects/${SUBJECT}/versions`, { schema: V1, schemaType: 'PROTOBUF' }), 422, 422],
        ['unknown subject', api.get('/subjects/nobody/versions'), 404, 40401],
        ['unknown schema id', api.get('/schemas/ids/999'), 404, 40403],
        ['lookup in unknown subject', api.post('/subjects/nobody', { schema: V1 }), 404, 40401],
        ['compatibility against a missing version', api.post('/compatibility/subjects/nobody/versions/3', { schema: V1 }), 404, 40401],
      ];
      for (const [name, pending, status, errorCode] of cases) {
        const { status: got, body } = await pending;
        assert.deepEqual([got, body.error_code], [status, errorCode], name);
      }
      await api.post(`/subjects/${SUBJECT}/versions`, { schema: V1 });
      const missingVersion = await api.get(`/subjects/${SUBJECT}/versions/7`);
      assert.deepEqual([missingVersion.status, missingVersion.body.error_code], [404, 40402]);
      const badVersion = await api.get(`/subjects/${SUBJECT}/versions/first`);
      assert.deepEqual([badVersion.status, badVersion.body.error_code], [422, 42202]);
      const notRegistered = await api.post(`/subjects/${SUBJECT}`, { schema: V2 });
      assert.deepEqual([notRegistered.status, notRegistered.body.error_code], [404, 40403]);
      assert.deepEqual((await api.post('/compatibility/subjects/nobody/versions/latest', { schema: V1 })).body, { is_compatible: true }, 'anything is compatible with an empty subject');
    });

    test('concurrent registrations of new schemas get distinct ids and versions', async (t) => {
      const { api } = await fresh(t);
      // Each schema is backward compatible with every other (one optional field each), so all must be accepted in any order.
      const schemas = Array.from({ length: 8 }, (_, i) => JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }, { name: `x${i}`, type: 'string', default: '' }] }));
      const ids = await Promise.all(schemas.map((schema, i) => api.post(`/subjects/s${i % 2}/versions`, { schema })));
      assert.ok(ids.every((r) => r.status === 200), JSON.stringify(ids.map((r) => r.body)));
      assert.deepEqual(ids.map((r) => r.body.id).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.deepEqual((await api.get('/subjects/s0/versions')).body, [1, 2, 3, 4]);
      assert.deepEqual((await api.get('/subjects/s1/versions')).body, [1, 2, 3, 4]);
    });

    test('ids, versions and levels survive a restart on the same database', async (t) => {
      const { config, cleanup } = await target.create();
      t.after(cleanup);
      const before = await startSchemaRegistry(config);
      const api = client(before.address);
      try {
        await api.post(`/subjects/${SUBJECT}/versions`, { schema: V1 });
        await api.post(`/subjects/${SUBJECT}/versions`, { schema: V2 });
        await api.put(`/config/${SUBJECT}`, { compatibility: 'FULL' });
      } finally {
        await before.stop();
      }
      const { api: after } = await startOn(t, config);
      assert.deepEqual((await after.get(`/subjects/${SUBJECT}/versions`)).body, [1, 2]);
      assert.equal(JSON.parse((await after.get('/schemas/ids/2')).body.schema).name, 'TransactionEvent');
      assert.deepEqual((await after.get(`/config/${SUBJECT}`)).body, { compatibilityLevel: 'FULL' });
      assert.deepEqual((await after.post(`/subjects/${SUBJECT}/versions`, { schema: V2 })).body, { id: 2 });
      assert.deepEqual((await after.post(`/subjects/${SUBJECT}/versions`, { schema: v3(true) })).body, { id: 3 }, 'the next id follows the persisted ones');
    });
  });
}
