import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testDatabases } from '../../../test/support/databases.ts';
import { userConfigFromEnv, type UserConfig } from '../config.ts';
import { startUserService } from '../server.ts';
import { capturingLogger, TEST_SCRYPT } from './support.ts';

// Nothing listens on port 9 (discard): the relay's publishes fail and are retried, which these tests do not need.
const messaging = { region: 'us-east-1', endpoint: 'http://127.0.0.1:9', embedded: true };

const operators = async (address: string) => ((await (await fetch(`${address}/admin/operators`)).json()) as { operators: Array<{ id: string; email: string }> }).operators;
const signsIn = async (address: string, email: string, password: string) =>
  (await fetch(`${address}/sessions/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })).status === 200;

for (const target of await testDatabases()) {
  describe(`the first operator from the settings (on AWS: the password from Secrets Manager), on ${target.name}`, { skip: target.skip }, () => {
    test('the first start makes it; later starts, with any password, leave it as it is and make no other', async (t) => {
      const created = await target.create();
      t.after(() => created.cleanup());
      const config = (password: string): UserConfig => ({
        host: '127.0.0.1',
        port: 0,
        database: created.config,
        scrypt: TEST_SCRYPT,
        outboxPollIntervalMs: 1000,
        firstOperator: { email: 'Ops@Example.com', password },
      });

      const first = await startUserService(config('the generated secret'), capturingLogger().log, messaging);
      const made = await operators(first.address);
      assert.deepEqual(made.map((o) => o.email), ['ops@example.com']);
      assert.ok(await signsIn(first.address, 'ops@example.com', 'the generated secret'));
      await first.stop();

      // The secret was rotated, or another replica starts: the operator keeps the password they may have changed since.
      const again = await startUserService(config('a rotated secret'), capturingLogger().log, messaging);
      t.after(() => again.stop());
      assert.deepEqual((await operators(again.address)).map((o) => o.id), made.map((o) => o.id));
      assert.ok(await signsIn(again.address, 'ops@example.com', 'the generated secret'));
      assert.ok(!(await signsIn(again.address, 'ops@example.com', 'a rotated secret')));
    });
  });
}

test('the first operator takes an email and a password together, or neither', () => {
  assert.equal(userConfigFromEnv({}).firstOperator, undefined);
  assert.deepEqual(userConfigFromEnv({ USER_FIRST_OPERATOR_EMAIL: 'ops@example.com', USER_FIRST_OPERATOR_PASSWORD: 'long enough secret' }).firstOperator, {
    email: 'ops@example.com',
    password: 'long enough secret',
  });
  assert.throws(() => userConfigFromEnv({ USER_FIRST_OPERATOR_EMAIL: 'ops@example.com' }), /USER_FIRST_OPERATOR_EMAIL and USER_FIRST_OPERATOR_PASSWORD go together/);
  assert.throws(() => userConfigFromEnv({ USER_FIRST_OPERATOR_PASSWORD: 'long enough secret' }), /go together/);
});
