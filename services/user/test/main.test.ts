import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { spawnService } from '../../../test/support/processes.ts';

const MAIN = path.resolve(import.meta.dirname, '../main.ts');

test('main.ts starts without a broker, logs its address as JSON, serves, and stops cleanly on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'paymesh-user-main-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  // Port 9 (discard) on loopback: nothing listens there, so every publish fails and is retried.
  const service = await spawnService(MAIN, { DATA_DIR: dataDir, USER_PORT: '0', USER_SCRYPT_LOG2N: '14', PAYMESH_BROKER_URL: 'http://127.0.0.1:9' }, (line) =>
    typeof line.address === 'string' ? line.address : undefined,
  );
  t.after(() => service.kill('SIGKILL'));
  assert.match(service.ready, /^http:\/\/127\.0\.0\.1:\d+$/);
  const health = await fetch(`${service.ready}/readyz`);
  assert.equal(health.status, 200);
  const signUp = await fetch(`${service.ready}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'main@example.com', password: 'correct horse battery', first_name: 'Main', last_name: 'Test', default_currency: 'USD' }),
  });
  assert.equal(signUp.status, 201);
  await service.kill('SIGTERM');
  assert.equal(service.child.exitCode, 0);
});
