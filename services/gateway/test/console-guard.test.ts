import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import Fastify from 'fastify';
import { installProblemHandler } from '../../../core/http-problem.ts';
import { TokenIssuer } from '../auth.ts';
import { CONSOLE_COOKIE, consoleSessionRoutes, consoleVisitor } from '../routes/admin-console.ts';
import { operatorsOnly } from '../routes/admin-scope.ts';
import { registerWebApp } from '../static.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const tokens = new TokenIssuer('console-guard-test-secret-of-at-least-32-bytes', 900);
const BUILD = { 'index.html': '<title>app</title>', 'console.html': '<title>console</title>', 'assets/console-abc.js': 'console.log(1)' };

/** The gateway's web serving and console cookie routes over a build in a temp dir. */
async function gateway(t: TestContext) {
  const root = mkdtempSync(path.join(tmpdir(), 'paymesh-console-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(BUILD)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), content);
  }
  const app = Fastify();
  installProblemHandler(app);
  await operatorsOnly(app, tokens, (scoped) => consoleSessionRoutes(scoped, tokens));
  await registerWebApp(app, { root, allow: consoleVisitor(tokens) });
  t.after(() => app.close());
  return app;
}

const bearer = async (role: 'user' | 'operator') => ({ authorization: `Bearer ${await tokens.issue({ userId: `${role}-1`, role })}` });

test('without an operator session cookie /console is the API 404 at every route and by file name; only its sign-in page loads', async (t) => {
  const app = await gateway(t);
  for (const url of ['/console', '/console/', '/console/queues', '/console/sagas/abc', '/console.html']) {
    const response = await app.inject({ url, headers: HTML });
    assert.equal(response.statusCode, 404, url);
    assert.equal(response.headers['content-type']?.toString().split(';')[0], 'application/problem+json', url);
    assert.ok(!response.body.includes('console'.concat('</title>')), url);
  }
  const signIn = await app.inject({ url: '/console/sign-in', headers: HTML });
  assert.equal(signIn.statusCode, 200);
  assert.equal(signIn.body, BUILD['console.html']);
  assert.equal((await app.inject({ url: '/', headers: HTML })).body, BUILD['index.html'], 'the user app is not affected');
});

test('a user who asks for the console cookie gets a 404 and no cookie; a user token in the cookie opens nothing', async (t) => {
  const app = await gateway(t);
  const refused = await app.inject({ method: 'POST', url: '/admin/console/session', headers: await bearer('user') });
  assert.equal(refused.statusCode, 404);
  assert.equal(refused.headers['set-cookie'], undefined);
  const anonymous = await app.inject({ method: 'POST', url: '/admin/console/session' });
  assert.equal(anonymous.statusCode, 404);

  const userToken = (await bearer('user')).authorization.slice('Bearer '.length);
  for (const cookie of [`${CONSOLE_COOKIE}=${userToken}`, `${CONSOLE_COOKIE}=not-a-token`, `${CONSOLE_COOKIE}=${userToken.slice(0, -2)}xx`]) {
    assert.equal((await app.inject({ url: '/console', headers: { ...HTML, cookie: cookie } })).statusCode, 404, cookie.slice(0, 40));
  }
});

test("an operator's console sign-in sets an HttpOnly, SameSite=Strict cookie for /console that opens it until sign-out", async (t) => {
  const app = await gateway(t);
  const operator = await bearer('operator');
  const signedIn = await app.inject({ method: 'POST', url: '/admin/console/session', headers: operator });
  assert.equal(signedIn.statusCode, 204);
  const cookie = String(signedIn.headers['set-cookie']);
  assert.match(cookie, new RegExp(`^${CONSOLE_COOKIE}=[^;]+; Path=/console; Max-Age=(\\d+); HttpOnly; SameSite=Strict$`));
  const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)![1]);
  assert.ok(maxAge > 800 && maxAge <= 900, `expires with the token (${maxAge} s)`);
  assert.ok(!cookie.includes('Secure'), 'plain http on loopback');

  const pair = cookie.split(';')[0]!;
  for (const url of ['/console', '/console/queues', '/console.html']) {
    const page = await app.inject({ url, headers: { ...HTML, cookie: `theme=dark; ${pair}` } });
    assert.equal(page.statusCode, 200, url);
    assert.equal(page.body, BUILD['console.html']);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  }

  const behindTls = await app.inject({ method: 'POST', url: '/admin/console/session', headers: { ...operator, 'x-forwarded-proto': 'https' } });
  assert.match(String(behindTls.headers['set-cookie']), /; Secure$/);

  const signedOut = await app.inject({ method: 'DELETE', url: '/admin/console/session', headers: operator });
  assert.equal(signedOut.statusCode, 204);
  assert.match(String(signedOut.headers['set-cookie']), new RegExp(`^${CONSOLE_COOKIE}=; Path=/console; Max-Age=0;`));
});

test('admin routes behind operatorsOnly answer 404 to non-operators before looking at the body', async (t) => {
  const app = await gateway(t);
  for (const headers of [{}, await bearer('user')]) {
    const response = await app.inject({ method: 'POST', url: '/admin/console/session', headers: { ...headers, 'content-type': 'text/plain' }, payload: 'x'.repeat(10) });
    assert.equal(response.statusCode, 404);
  }
});
