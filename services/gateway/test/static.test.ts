import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import Fastify from 'fastify';
import { installProblemHandler } from '../../../core/http-problem.ts';
import { instrumentHttpServer } from '../../../observability/http.ts';
import { useTestTracing } from '../../../test/support/tracing.ts';
import { registerWebApp, type WebPage } from '../static.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const tracing = useTestTracing('gateway');

/** A gateway-like app: one API route, the problem-details 404, and the web app over a build in a temp dir. */
async function serving(t: TestContext, files: Record<string, string>, pages?: WebPage[], options: { traced?: boolean } = {}) {
  const root = mkdtempSync(path.join(tmpdir(), 'paymesh-web-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), content);
  }
  const app = Fastify();
  installProblemHandler(app);
  if (options.traced) instrumentHttpServer(app);
  app.get('/v1/wallets', async () => ({ wallets: [] }));
  await registerWebApp(app, { root, ...(pages ? { pages } : {}) });
  t.after(() => app.close());
  return app;
}

const BUILD = { 'index.html': '<!doctype html><title>app</title>', 'assets/app-abc123.js': 'console.log(1)', 'favicon.svg': '<svg/>' };

test('the app is served at / and at every client route, with a strict Content-Security-Policy and no caching', async (t) => {
  const app = await serving(t, BUILD);
  for (const url of ['/', '/wallets', '/payments/5f0e9f6e-8d5c-4c2a-9a55-3c3f6f1e2d10', '/history?status=failed']) {
    const response = await app.inject({ url, headers: HTML });
    assert.equal(response.statusCode, 200, url);
    assert.match(response.headers['content-type'] as string, /^text\/html/);
    assert.equal(response.body, BUILD['index.html']);
    assert.equal(response.headers['cache-control'], 'no-cache');
    assert.match(response.headers['content-security-policy'] as string, /script-src 'self'/);
    assert.equal(response.headers['x-frame-options'], 'DENY');
  }
});

test("the web app's pages and files are not traced (a page load would crowd the payments out of the recent traces); the API is", async (t) => {
  const app = await serving(t, BUILD, undefined, { traced: true });
  tracing.reset();
  for (const url of ['/', '/wallets', '/assets/app-abc123.js', '/favicon.svg']) assert.equal((await app.inject({ url, headers: HTML })).statusCode, 200, url);
  assert.deepEqual(tracing.spans().map((s) => s.name), []);
  await app.inject({ url: '/v1/wallets' });
  assert.deepEqual(tracing.spans().map((s) => s.name), ['GET /v1/wallets']);
});

test('hashed assets are cached for good; other files are revalidated; a missing file is a 404, not the app', async (t) => {
  const app = await serving(t, BUILD);
  const asset = await app.inject({ url: '/assets/app-abc123.js' });
  assert.equal(asset.statusCode, 200);
  assert.equal(asset.body, 'console.log(1)');
  assert.match(asset.headers['cache-control'] as string, /max-age=31536000.*immutable/);
  const icon = await app.inject({ url: '/favicon.svg' });
  assert.equal(icon.statusCode, 200);
  assert.equal(icon.headers['cache-control'], 'no-cache');
  const missing = await app.inject({ url: '/assets/app-gone.js', headers: HTML });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'NOT_FOUND');
});

test("the API's paths are never the app: an unknown one is the API's own 404 problem", async (t) => {
  const app = await serving(t, BUILD);
  assert.deepEqual((await app.inject({ url: '/v1/wallets', headers: HTML })).json(), { wallets: [] });
  for (const url of ['/v1', '/v1/nope', '/ws/x', '/graphql/x', '/openapi.json/x', '/metrics/x', '/healthz/x', '/readyz/x', '/admin', '/admin/queues']) {
    const response = await app.inject({ url, headers: HTML });
    assert.equal(response.statusCode, 404, url);
    assert.match(response.headers['content-type'] as string, /^application\/problem\+json/, url);
  }
});

test('a request that does not ask for HTML gets the 404 problem, not the page', async (t) => {
  const app = await serving(t, BUILD);
  const response = await app.inject({ url: '/wallets', headers: { accept: 'application/json' } });
  assert.equal(response.statusCode, 404);
  assert.equal(response.json().code, 'NOT_FOUND');
});

test('each app owns the routes under its mount; the longest mount wins', async (t) => {
  const app = await serving(t, { ...BUILD, 'console.html': '<!doctype html><title>console</title>' }, [
    { mount: '/', html: 'index.html' },
    { mount: '/console', html: 'console.html' },
  ]);
  assert.equal((await app.inject({ url: '/console', headers: HTML })).body, '<!doctype html><title>console</title>');
  assert.equal((await app.inject({ url: '/console/queues/payments-dlq', headers: HTML })).body, '<!doctype html><title>console</title>');
  assert.equal((await app.inject({ url: '/consoles', headers: HTML })).body, BUILD['index.html']);
});

test('before the app is built, a browser is told how to build it and the API is unaffected', async (t) => {
  const app = await serving(t, {});
  const page = await app.inject({ url: '/', headers: HTML });
  assert.equal(page.statusCode, 503);
  assert.match(page.body, /not built.*npm install/s);
  assert.equal((await app.inject({ url: '/v1/wallets' })).statusCode, 200);
});
