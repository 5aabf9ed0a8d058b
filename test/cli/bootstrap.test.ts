import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { freePort } from '../../scripts/platform.ts';

/*
 * `npm start`'s first operator: made on the first start of an installation,
 * its password printed in the endpoint table that once, never again.
 */

const root = path.resolve(import.meta.dirname, '../..');

/** `npm start -- user` until its table is printed; returns what it printed, stopped with Ctrl-C. */
async function startOnce(t: TestContext, env: Record<string, string>): Promise<string[]> {
  const child = spawn(process.execPath, [path.join(root, 'scripts/start.ts'), 'user'], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  });
  const lines: string[] = [];
  let tableAt = -1;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no endpoint table in 90 s:\n${lines.slice(-30).join('\n')}`)), 90_000);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (line === 'PayMesh is up:') tableAt = lines.length - 1;
        if (tableAt >= 0 && line === 'Press Ctrl-C to stop.') {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
  await done;
  child.kill('SIGINT');
  await once(child, 'exit');
  return lines.slice(tableAt);
}

test('the first npm start makes one operator and prints its password once; later starts print none and make none', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'paymesh-bootstrap-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 }));
  const port = await freePort();
  const env = { DATA_DIR: dataDir, USER_PORT: String(port), USER_SCRYPT_LOG2N: '14' };

  const first = await startOnce(t, env);
  const email = first.find((l) => /^ {4}email {5}/.test(l))?.trim().split(/\s+/)[1];
  const password = first.find((l) => /^ {4}password {2}/.test(l))?.trim().split(/\s+/)[1];
  assert.equal(email, 'operator@paymesh.local', first.join('\n'));
  assert.match(password ?? '', /^[A-Za-z0-9_-]{24}$/, 'a random password');
  assert.ok(first.some((l) => l.includes('shown this once')));

  const second = await startOnce(t, env);
  assert.ok(!second.some((l) => /password/i.test(l)), `nothing about a password the second time:\n${second.join('\n')}`);
  assert.ok(!second.join('\n').includes(password!), 'the password is never printed again');

  // What was printed is the operator's password (checked against the hash the user service kept).
  const child = spawn(process.execPath, [path.join(root, 'services/user/main.ts')], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const userUrl = `http://127.0.0.1:${port}`;
  for (let ready = false; !ready; ) {
    ready = await fetch(`${userUrl}/readyz`).then((r) => r.ok, () => false);
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const verified = await fetch(`${userUrl}/sessions/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  assert.equal(verified.status, 200);
  assert.equal(((await verified.json()) as { role: string }).role, 'operator');
  const operators = (await (await fetch(`${userUrl}/admin/operators`)).json()) as { operators: unknown[] };
  assert.equal(operators.operators.length, 1, 'one operator, made once');
});
