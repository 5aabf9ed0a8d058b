import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { callerHeaders } from '../../../federation/caller.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { signUpBody, startTestApp } from './support.ts';

/*
 * The user subgraph as the gateway asks it: POST /graphql on the user
 * service's own app (a real loopback socket), with the caller in the internal
 * headers, over users signed up through the service's REST API.
 */

type Body = { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

for (const target of await testDatabases()) {
  test(`the user subgraph (${target.name})`, { skip: target.skip }, async (t) => {
    const database = await target.create();
    const service = await startTestApp(database.config);
    // After hooks run first-registered first: the app closes before its database goes.
    t.after(async () => {
      await service.close();
      await database.cleanup();
    });
    const address = await service.app.listen({ host: '127.0.0.1', port: 0 });

    const signUp = async (first: string) => {
      const response = await fetch(`${address}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signUpBody({ first_name: first, last_name: 'Doe' })) });
      assert.equal(response.status, 201);
      return (await response.json()) as { id: string; email: string };
    };
    const ask = async (query: string, variables: Record<string, unknown>, callerId?: string): Promise<Body> => {
      const response = await fetch(`${address}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(callerId ? callerHeaders({ userId: callerId, role: 'user' }) : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as Body;
    };
    const jane = await signUp('Jane');
    const john = await signUp('John');

    await t.test('user(id) and me answer the caller with their profile', async () => {
      const profile = { id: jane.id, email: jane.email, firstName: 'Jane', lastName: 'Doe', defaultCurrency: 'EUR' };
      const byId = await ask(`query ($id: ID!) { user(id: $id) { id email firstName lastName defaultCurrency createdAt } }`, { id: jane.id }, jane.id);
      assert.equal(byId.errors, undefined);
      assert.deepEqual({ ...byId.data.user, createdAt: undefined }, { ...profile, createdAt: undefined });
      assert.ok(!Number.isNaN(Date.parse(byId.data.user.createdAt)));
      const me = await ask(`{ me { id email firstName lastName defaultCurrency } }`, {}, jane.id);
      assert.deepEqual(me.data.me, profile);
    });

    await t.test("another user's id is null with NOT_FOUND, exactly like an unknown id", async () => {
      for (const id of [john.id, randomUUID(), 'not-an-id']) {
        const body = await ask(`query ($id: ID!) { user(id: $id) { id email } }`, { id }, jane.id);
        assert.equal(body.data.user, null);
        assert.deepEqual(body.errors?.map((e) => e.extensions), [{ code: 'NOT_FOUND', paymeshCode: 'USER_NOT_FOUND' }]);
        assert.doesNotMatch(JSON.stringify(body), new RegExp(john.email));
      }
    });

    await t.test('as an entity, only the caller resolves; anyone else is null', async () => {
      const body = await ask(
        `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { id email } } }`,
        { reps: [{ __typename: 'User', id: john.id }, { __typename: 'User', id: jane.id }] },
        jane.id,
      );
      assert.equal(body.errors, undefined);
      assert.deepEqual(body.data._entities, [null, { id: jane.id, email: jane.email }]);
    });

    await t.test('a request that names no caller is UNAUTHENTICATED', async () => {
      for (const query of [`{ me { id } }`, `query { user(id: "${jane.id}") { email } }`]) {
        const body = await ask(query, {});
        assert.equal(body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
        assert.doesNotMatch(JSON.stringify(body), new RegExp(jane.email));
      }
    });

    await t.test('nothing secret is in the graph: no password hash, no role', async () => {
      const { data } = await ask('{ _service { sdl } }', {});
      assert.doesNotMatch(data._service.sdl, /password|role/i);
      const asked = await ask(`{ me { id passwordHash } }`, {}, jane.id);
      assert.equal(asked.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    });
  });
}
