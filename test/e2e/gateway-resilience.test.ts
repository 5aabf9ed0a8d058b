import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startPlatform, type Platform } from '../../scripts/platform.ts';
import { ApiClient } from '../support/api.ts';
import { assertProblem, eventually, makeOperator } from './gateway-support.ts';

/*
 * The gateway when what it depends on fails, and when callers ask too much:
 * the circuit breaker around the user service (stopped and restarted as a
 * real process), readiness, and rate limits. Only the services these need run
 * (the broker, user, wallet, gateway); the others point at a closed port.
 */
const NOWHERE = 'http://127.0.0.1:9';
const PER_USER_LIMIT = 40;
const PER_IP_LIMIT = 6;

describe('the gateway under failure and load', () => {
  let platform: Platform;
  let gateway: string;
  let operator: ApiClient;

  before(async () => {
    platform = await startPlatform({
      only: ['user', 'wallet', 'gateway'],
      serviceEnv: {
        gateway: {
          // The seed's 3 failures, but a 4 s half-open delay instead of 30 s, so recovery fits in a test
          // (and still long enough that the fail-fast checks run while the breaker is open, even on a busy machine).
          USER_SERVICE_BREAKER_FAILURES: '3',
          USER_SERVICE_BREAKER_HALF_OPEN_MS: '4000',
          // A stopped service refuses at once whatever the timeout; a long one keeps a slow first call after the restart
          // (a cold process on a busy machine) from counting as a failure.
          USER_SERVICE_TIMEOUT_MS: '15000',
          GATEWAY_RATE_LIMIT_PER_MINUTE: String(PER_USER_LIMIT),
          GATEWAY_RATE_LIMIT_PER_IP_PER_MINUTE: String(PER_IP_LIMIT),
          GATEWAY_READINESS_TIMEOUT_MS: '1000',
          TRANSACTION_SERVICE_URL: NOWHERE,
          NOTIFICATION_SERVICE_URL: NOWHERE,
          PAYMENT_SERVICE_URL: NOWHERE,
          PAYMENT_SERVICE_V2_URL: NOWHERE,
        },
      },
    });
    gateway = platform.url('gateway');
    operator = (await makeOperator(platform)).client;
  });

  after(async () => {
    await platform?.stop();
  });

  const breaker = async (target: string) => ((await operator.get('/admin/breakers')).body.breakers as Array<{ target: string; state: string; lastChange: string; halfOpenAt?: string }>).find((b) => b.target === target);
  const gauge = async (target: string) => {
    const metrics = (await new ApiClient(gateway).get('/metrics')).body as string;
    const line = metrics.split('\n').find((l) => l.startsWith(`circuit_breaker_state{target="${target}"`));
    return line ? Number(line.split(' ').pop()) : undefined;
  };

  test('/readyz is 503 naming each service the gateway cannot reach, and ready checks pass for the rest', async () => {
    const ready = await new ApiClient(gateway).get('/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, 'not_ready');
    for (const name of ['database', 'user-service', 'wallet-service']) assert.deepEqual(ready.body.checks[name], { status: 'ok', required: true }, name);
    for (const name of ['transaction-service', 'notification-service', 'payment-service-v1', 'payment-service-v2']) {
      assert.equal(ready.body.checks[name].status, 'failing', name);
      assert.match(ready.body.checks[name].detail, /^unreachable/, name);
      assert.match(ready.body.detail, new RegExp(name));
    }
  });

  test('with the user service stopped the breaker opens after 3 failures, then fails fast with 503; it closes once the service is back', async () => {
    const alice = await ApiClient.signUp(gateway);
    const card = { number: '4242424242424242', exp_month: 12, exp_year: new Date().getFullYear() + 2 };
    assert.equal((await alice.client.get('/v1/me')).status, 200);
    assert.equal((await breaker('user-service'))?.state, 'closed');
    assert.equal(await gauge('user-service'), 0);

    await platform.kill('user');
    // Adding a card is not idempotent, so it is never retried: one request, one failure counted.
    for (let failure = 1; failure <= 3; failure++) {
      const refused = await alice.client.request('POST', '/v1/payment-methods', card);
      assertProblem(refused, 503, { code: 'SERVICE_UNAVAILABLE' }, `failure ${failure}`);
      assert.doesNotMatch(refused.body.detail, /ECONNREFUSED|127\.0\.0\.1|fetch failed/, 'no internals in the message');
      assert.equal((await breaker('user-service'))?.state, failure < 3 ? 'closed' : 'open', `after failure ${failure}`);
    }
    assert.equal(await gauge('user-service'), 1, 'the gauge shows it open (1)');
    const open = await breaker('user-service');
    assert.equal(Date.parse(open!.halfOpenAt!) - Date.parse(open!.lastChange), 4000, 'it says when it will let a trial call through');

    // Open: every call to the user service fails fast, with a message that says so (not a timeout).
    for (const [method, path, body] of [['GET', '/v1/me', undefined], ['POST', '/v1/payment-methods', card], ['GET', '/v1/payment-methods', undefined]] as const) {
      const fast = await alice.client.request(method, path, body);
      assertProblem(fast, 503, { code: 'SERVICE_UNAVAILABLE' }, `${method} ${path}`);
      assert.match(fast.body.detail, /user-service is unavailable \(circuit breaker open\); try again in [1-4] s/);
      const retryAfter = Number(fast.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 4, `Retry-After says when the breaker lets a trial call through (${fast.headers.get('retry-after')})`);
    }
    // Other dependencies have their own breakers: wallets still answer.
    assert.equal((await alice.client.get('/v1/wallets')).status, 200);
    assert.equal((await breaker('wallet-service'))?.state, 'closed');

    await platform.restart('user');
    // Nothing reaches the user service until the half-open delay has passed (the breaker says when; polling before
    // that would only spend Alice's rate limit); then one trial call goes through, succeeds and closes the breaker.
    const halfOpenAt = Date.parse(open!.halfOpenAt!);
    let last: unknown;
    const me = await eventually('a call succeeds again', async () => {
      if (Date.now() < halfOpenAt) return undefined;
      const response = await alice.client.get('/v1/me');
      last = response.body;
      return response.status === 200 ? response : undefined;
    }, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; last answer ${JSON.stringify(last)}; gateway log:\n${platform.logs('gateway').slice(-20).join('\n')}`);
    });
    assert.equal(me.body.id, alice.user.id);
    assert.equal((await breaker('user-service'))?.state, 'closed');
    assert.equal(await gauge('user-service'), 0);
    assert.equal((await alice.client.request('POST', '/v1/payment-methods', card)).status, 201);
    const transitions = ((await new ApiClient(gateway).get('/metrics')).body as string).split('\n').filter((l) => l.startsWith('circuit_breaker_transitions_total{target="user-service"'));
    for (const state of ['open', 'half_open', 'closed']) assert.ok(transitions.some((l) => l.includes(`state="${state}"`) && !l.endsWith(' 0')), `a transition to ${state} was counted`);
  });

  test('rate limits: per user wherever they call from, per IP for callers without a valid token; 429 problem with Retry-After', async () => {
    const carol = await ApiClient.signUp(gateway);
    const dave = await ApiClient.signUp(gateway);
    for (let i = 0; i < PER_USER_LIMIT; i++) assert.equal((await carol.client.get('/v1/wallets')).status, 200, `request ${i + 1}`);
    const limited = await carol.client.get('/v1/wallets');
    assertProblem(limited, 429, { code: 'RATE_LIMITED' });
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${limited.headers.get('retry-after')}`);
    assert.match(limited.body.detail, /retry in \d+ s/);
    // Another user from the same address is not affected.
    assert.equal((await dave.client.get('/v1/wallets')).status, 200);

    // Without a valid token the caller is its IP; a bad token is no way around it.
    const anonymous = new ApiClient(gateway);
    let allowed = 0;
    for (; allowed <= PER_IP_LIMIT; allowed++) if ((await anonymous.get('/openapi.json')).status === 429) break;
    assert.ok(allowed <= PER_IP_LIMIT, `limited within ${PER_IP_LIMIT} requests (allowed ${allowed})`);
    assertProblem(await anonymous.get('/openapi.json'), 429, { code: 'RATE_LIMITED' });
    assertProblem(await new ApiClient(gateway, 'forged.token.value').get('/v1/wallets'), 429, { code: 'RATE_LIMITED' });
    // Signed-in users on that address go on; probes are never limited.
    assert.equal((await dave.client.get('/v1/wallets')).status, 200);
    for (const probe of ['/healthz', '/metrics']) assert.equal((await anonymous.get(probe)).status, 200, probe);
  });
});
