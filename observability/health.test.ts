import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import Fastify from 'fastify';
import { httpHealthCheck, readinessRoute, type ReadinessCheck } from './health.ts';

const ok = (name: string, required = true): ReadinessCheck => ({ name, required, check: async () => {} });
const failing = (name: string, required: boolean, message = 'down'): ReadinessCheck => ({ name, required, check: async () => Promise.reject(new Error(message)) });

async function readyz(checks: ReadinessCheck[] | (() => ReadinessCheck[]), timeoutMs?: number) {
  const app = Fastify();
  readinessRoute(app, checks, { timeoutMs });
  const response = await app.inject({ method: 'GET', url: '/readyz' });
  await app.close();
  return { status: response.statusCode, body: response.json() };
}

test('/readyz is 200 when every required check answers, and reports a failing check that is not required without failing', async () => {
  const { status, body } = await readyz([ok('database'), failing('user-service breaker', false, 'open')]);
  assert.equal(status, 200);
  assert.deepEqual(body, { status: 'ready', checks: { database: { status: 'ok', required: true }, 'user-service breaker': { status: 'failing', required: false, detail: 'open' } } });
});

test('/readyz is 503 naming each required check that fails, and why', async () => {
  const { status, body } = await readyz(() => [ok('database'), failing('wallet-service', true, 'connection refused'), failing('audit', true)]);
  assert.equal(status, 503);
  assert.equal(body.status, 'not_ready');
  assert.equal(body.detail, 'wallet-service connection refused; audit down');
});

test('a check that does not answer in time is aborted and reported as failing', async () => {
  let aborted = false;
  const hanging: ReadinessCheck = {
    name: 'slow',
    required: true,
    check: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => ((aborted = true), reject(signal.reason)))),
  };
  const { status, body } = await readyz([hanging], 50);
  assert.equal(status, 503);
  assert.equal(body.checks.slow.detail, 'no answer within 50 ms');
  assert.ok(aborted, 'the check was told to stop');
});

test("a dependency's health check passes on its /healthz 200 and says it is unreachable otherwise", async (t) => {
  const server = createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await httpHealthCheck('up', url, true).check(AbortSignal.timeout(2000));
  await assert.rejects(httpHealthCheck('gone', 'http://127.0.0.1:1', true).check(AbortSignal.timeout(2000)), /^Error: unreachable: /);
});
