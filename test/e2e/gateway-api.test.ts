import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import pino from 'pino';
import WebSocket from 'ws';
import { WalletClient } from '../../clients/wallet-client.ts';
import { PAYMENT_ROUTING_PATH } from '../../contracts/routing.ts';
import { startPlatform, type Platform } from '../../scripts/platform.ts';
import { WeightedRouter } from '../../services/gateway/weighted-router.ts';
import { ApiClient } from '../support/api.ts';
import { assertProblem, eventually, GateProxy, makeOperator, platformTokens, seedGetBalance } from './gateway-support.ts';

/*
 * The public API of issue 4 over the running platform (every service its own
 * process): the end-to-end scenario, authorization on every endpoint, bad
 * input, idempotency, the OpenAPI document and probes, and weighted routing.
 * The gateway reaches the user service and both payment versions through
 * transparent proxies, so a test can hold a request "still running".
 */
describe('the public API over the running platform', () => {
  let platform: Platform;
  let gateway: string;
  let routingFile: string;
  const proxies: Record<'user' | 'payment' | 'payment-v2', GateProxy> = {} as never;
  const routingDir = mkdtempSync(path.join(tmpdir(), 'paymesh-routing-'));

  before(async () => {
    routingFile = path.join(routingDir, 'payment-service.json');
    copyFileSync(PAYMENT_ROUTING_PATH, routingFile);
    for (const name of ['user', 'payment', 'payment-v2'] as const) proxies[name] = await GateProxy.start();
    platform = await startPlatform({
      serviceEnv: {
        gateway: {
          GATEWAY_ROUTING_FILE: routingFile,
          USER_SERVICE_URL: proxies.user.url,
          PAYMENT_SERVICE_URL: proxies.payment.url,
          PAYMENT_SERVICE_V2_URL: proxies['payment-v2'].url,
          // Many sign-ups and logins from one address: this file is not about rate limits.
          GATEWAY_RATE_LIMIT_SIGNUPS_PER_MINUTE: '1000',
          GATEWAY_RATE_LIMIT_LOGINS_PER_MINUTE: '1000', GATEWAY_RATE_LIMIT_LOGINS_PER_ACCOUNT_PER_MINUTE: '1000',
          GATEWAY_RATE_LIMIT_PER_IP_PER_MINUTE: '1000',
        },
      },
    });
    for (const name of ['user', 'payment', 'payment-v2'] as const) proxies[name].forwardTo(() => platform.url(name));
    gateway = platform.url('gateway');
  });

  after(async () => {
    await platform?.stop();
    for (const proxy of Object.values(proxies)) await proxy.close();
    rmSync(routingDir, { recursive: true, force: true });
  });

  test("issue 4's scenario: two users sign up, top up, send money, and read the same balances over REST, gRPC and GraphQL", async () => {
    const alice = await ApiClient.signUp(gateway, { first_name: 'Alice' });
    const bob = await ApiClient.signUp(gateway, { first_name: 'Bob' });
    const { walletId: aliceWallet } = await alice.client.fund('100.00');
    const bobWallet = await bob.client.walletId();

    const sent = await alice.client.post('/v1/payments', { receiver_email: bob.email, amount: '25.50', currency: 'USD', note: 'concert tickets' });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    assert.equal((await alice.client.settled(sent.body.id)).status, 'completed');

    // REST
    const rest = async (client: ApiClient) => {
      const wallet = await client.wallet();
      return { balance: wallet.balance, available: wallet.available, frozen: wallet.frozen };
    };
    assert.deepEqual(await rest(alice.client), { balance: '74.50', available: '74.50', frozen: '0.00' });
    assert.deepEqual(await rest(bob.client), { balance: '25.50', available: '25.50', frozen: '0.00' });

    // gRPC, with a client generated from the seed's own proto
    assert.deepEqual({ ...(await seedGetBalance(platform.url('wallet'), aliceWallet, 'USD')) }, { balance: 74.5, available_balance: 74.5, frozen_balance: 0 });
    assert.deepEqual({ ...(await seedGetBalance(platform.url('wallet'), bobWallet, 'USD')) }, { balance: 25.5, available_balance: 25.5, frozen_balance: 0 });

    // GraphQL, the seed's query; the payment reaches the transaction service through events
    const seedQuery = `query ($id: ID!) { user(id: $id) { id firstName wallets { id currency balance transactions(limit: 10) { id amount currency status } } } }`;
    for (const [person, walletId, balance] of [[alice, aliceWallet, 74.5], [bob, bobWallet, 25.5]] as const) {
      const view = await eventually(`${person.email} sees the payment in GraphQL`, async () => {
        const response = await person.client.request('POST', '/graphql', { query: seedQuery, variables: { id: person.user.id } });
        const wallet = response.body.data?.user?.wallets?.[0];
        return wallet?.transactions?.some((t: { id: string; status: string }) => t.id === sent.body.id && t.status === 'completed') ? response.body : undefined;
      });
      assert.equal(view.errors, undefined);
      assert.deepEqual({ id: view.data.user.wallets[0].id, balance: view.data.user.wallets[0].balance }, { id: walletId, balance });
      assert.deepEqual(view.data.user.wallets[0].transactions.find((t: { id: string }) => t.id === sent.body.id), { id: sent.body.id, amount: 25.5, currency: 'USD', status: 'completed' });
    }
  });

  describe('authentication', () => {
    test('expired, foreign-signed, wrong-audience, unsigned (alg: none) and malformed tokens are all 401', async () => {
      const { user } = await ApiClient.signUp(gateway);
      const key = new TextEncoder().encode(platform.env.GATEWAY_JWT_SECRET);
      const now = Math.floor(Date.now() / 1000);
      const claims = () => new SignJWT({ role: 'user' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(user.id).setIssuer('paymesh').setAudience('paymesh-api');
      const tokens: Record<string, string> = {
        expired: await claims().setIssuedAt(now - 3600).setExpirationTime(now - 60).sign(key),
        'signed with another key': await claims().setExpirationTime('5m').sign(new TextEncoder().encode('another-secret-of-at-least-thirty-two-bytes')),
        'for another audience': await claims().setAudience('another-api').setExpirationTime('5m').sign(key),
        'from another issuer': await claims().setIssuer('someone-else').setExpirationTime('5m').sign(key),
        'alg: none': new UnsecuredJWT({ role: 'operator' }).setSubject(user.id).setIssuer('paymesh').setAudience('paymesh-api').setExpirationTime('5m').encode(),
        malformed: 'not.a.token',
      };
      const good = await claims().setExpirationTime('5m').sign(key);
      assert.equal((await new ApiClient(gateway, good).get('/v1/me')).status, 200, 'the same claims, properly signed, are accepted');
      for (const [what, token] of Object.entries(tokens)) {
        for (const path of ['/v1/me', '/v1/wallets', '/v1/transactions']) {
          assertProblem(await new ApiClient(gateway, token).get(path), 401, { code: 'INVALID_TOKEN' }, `${what} token on ${path}`);
        }
        assert.equal(await socketRefusal(`${wsUrl(gateway)}/ws`, { authorization: `Bearer ${token}` }), 401, `${what} token on /ws`);
      }
      assertProblem(await new ApiClient(gateway).get('/v1/wallets'), 401, { code: 'INVALID_TOKEN' }, 'no token');
      assertProblem(await new ApiClient(gateway).request('GET', '/v1/wallets', undefined, { authorization: 'Basic dXNlcjpwYXNz' }), 401, { code: 'INVALID_TOKEN' }, 'basic auth');
    });

    test('the token is checked before the input: without one, a malformed or key-less money move is 401, not a 400 about its fields', async () => {
      const anonymous = new ApiClient(gateway);
      assertProblem(await anonymous.request('POST', '/v1/payments', { amount: 12 }), 401, { code: 'INVALID_TOKEN' }, 'payment without a key or a valid body');
      assertProblem(await anonymous.post('/v1/payments', { amount: '1.00', currency: 'USD', receiver_id: 'x' }), 401, { code: 'INVALID_TOKEN' }, 'payment with a key');
      assertProblem(await anonymous.request('POST', '/v1/wallets', { currency: 'EUR' }), 401, { code: 'INVALID_TOKEN' }, 'wallet without a key');
      assertProblem(await anonymous.get('/v1/transactions?limit=nonsense'), 401, { code: 'INVALID_TOKEN' }, 'a bad query');
      // Sign-up and login are the public operations, and the OpenAPI document says so.
      assertProblem(await anonymous.request('POST', '/v1/users', { email: 'nope' }), 400, { code: 'VALIDATION_FAILED' }, 'sign-up validates without a token');
      const document = (await anonymous.get('/openapi.json')).body;
      assert.deepEqual(document.paths['/v1/users'].post.security, []);
      assert.deepEqual(document.paths['/v1/sessions'].post.security, []);
      assert.equal(document.paths['/v1/payments'].post.security, undefined, 'the rest inherit the bearer requirement');
    });
  });

  describe('authorization: another user’s data and money are unreachable', () => {
    test('through every REST endpoint another user’s ids answer 404 and nothing of theirs shows or moves', async () => {
      const alice = await ApiClient.signUp(gateway);
      const bob = await ApiClient.signUp(gateway);
      const carol = await ApiClient.signUp(gateway);
      const { methodId: aliceCard } = await alice.client.fund('10.00');
      const { walletId: bobWallet, methodId: bobCard } = await bob.client.fund('50.00');
      const between = await bob.client.post('/v1/payments', { receiver_id: carol.user.id, amount: '5.00', currency: 'USD', note: 'private note' });
      assert.equal((await bob.client.settled(between.body.id)).status, 'completed');
      const bobsNotifications = await eventually('bob is notified', async () => {
        const list = (await bob.client.get('/v1/notifications')).body.notifications as Array<{ id: string; payment_id: string }>;
        return list.some((n) => n.payment_id === between.body.id) ? list : undefined;
      });
      assert.equal((await bob.client.wallet()).balance, '45.00');
      const secrets = [bobWallet, bobCard, between.body.id, 'private note', bob.email, '45.00'];
      const leaks = (response: { body: unknown }) => secrets.filter((s) => JSON.stringify(response.body).includes(s));

      // Another user's wallet reads exactly like a wallet that does not exist.
      const foreign = await alice.client.get(`/v1/wallets/${bobWallet}`);
      const unknownId = randomUUID();
      const unknown = await alice.client.get(`/v1/wallets/${unknownId}`);
      assertProblem(foreign, 404, { code: 'WALLET_NOT_FOUND' });
      assert.deepEqual({ ...foreign.body, detail: foreign.body.detail.replace(bobWallet, 'ID') }, { ...unknown.body, detail: unknown.body.detail.replace(unknownId, 'ID') });

      const attempts: Array<[string, string, string, unknown]> = [
        ['top up their wallet with my card', 'POST', `/v1/wallets/${bobWallet}/top-ups`, { amount: '1.00', currency: 'USD', payment_method_id: aliceCard }],
        ['top up their wallet with their card', 'POST', `/v1/wallets/${bobWallet}/top-ups`, { amount: '1.00', currency: 'USD', payment_method_id: bobCard }],
        ['withdraw from their wallet', 'POST', `/v1/wallets/${bobWallet}/withdrawals`, { amount: '1.00', currency: 'USD', payment_method_id: aliceCard }],
        ['withdraw from their wallet to their card', 'POST', `/v1/wallets/${bobWallet}/withdrawals`, { amount: '1.00', currency: 'USD', payment_method_id: bobCard }],
        ['read their payment', 'GET', `/v1/payments/${between.body.id}`, undefined],
      ];
      for (const [what, method, path, body] of attempts) {
        const response = await alice.client.request(method, path, body, body ? { 'idempotency-key': randomUUID() } : {});
        assertProblem(response, 404, {}, what);
        // The id the caller sent may be echoed back; nothing else of theirs may show.
        assert.deepEqual(leaks(response).filter((s) => !path.includes(s)), [], `${what} shows nothing of theirs`);
      }
      // Their card is not mine to use, even on my own wallet.
      assertProblem(await alice.client.post(`/v1/wallets/${await alice.client.walletId()}/top-ups`, { amount: '1.00', currency: 'USD', payment_method_id: bobCard }), 422, { code: 'PAYMENT_METHOD_INVALID' });
      assertProblem(await alice.client.post(`/v1/wallets/${await alice.client.walletId()}/withdrawals`, { amount: '1.00', currency: 'USD', payment_method_id: bobCard }), 422, { code: 'PAYMENT_METHOD_INVALID' });
      // No parameter names another user: the caller is always the token's user.
      for (const [method, path, body] of [
        ['GET', `/v1/transactions?user_id=${bob.user.id}`, undefined],
        ['GET', `/v1/notifications?user_id=${bob.user.id}`, undefined],
        ['POST', '/v1/payments', { sender_id: bob.user.id, receiver_id: alice.user.id, amount: '1.00', currency: 'USD' }],
      ] as const) {
        const response = await alice.client.request(method, path, body, body ? { 'idempotency-key': randomUUID() } : {});
        assertProblem(response, 400, { code: 'VALIDATION_FAILED' }, `${method} ${path}`);
        assert.match(response.body.field, /user_id|sender_id/);
      }
      // Lists hold only my own things.
      const listings = await Promise.all(['/v1/wallets', '/v1/transactions', '/v1/notifications', '/v1/payment-methods', '/v1/me'].map((p) => alice.client.get(p)));
      for (const response of listings) {
        assert.equal(response.status, 200);
        assert.deepEqual(leaks(response), [], JSON.stringify(response.body));
      }
      assert.equal(listings[4]!.body.id, alice.user.id);
      // Marking their notifications read marks nothing.
      const marked = await alice.client.request('POST', '/v1/notifications/read', { ids: bobsNotifications.map((n) => n.id) });
      assert.deepEqual(marked.body, { marked: 0 });
      const bobsNow = (await bob.client.get('/v1/notifications')).body.notifications as Array<{ id: string; read: boolean }>;
      assert.deepEqual(bobsNotifications.map((n) => bobsNow.find((m) => m.id === n.id)?.read), bobsNotifications.map(() => false), 'his are still unread');

      const bobAfter = await bob.client.wallet();
      assert.deepEqual({ balance: bobAfter.balance, available: bobAfter.available }, { balance: '45.00', available: '45.00' });
      assert.equal((await alice.client.wallet()).balance, '10.00');
    });

    test('a WebSocket gets only its own user’s notifications, and no token gets no socket', async () => {
      const alice = await ApiClient.signUp(gateway);
      const bob = await ApiClient.signUp(gateway);
      const carol = await ApiClient.signUp(gateway);
      await bob.client.fund('20.00');
      const [aliceSocket, bobSocket, carolSocket] = await Promise.all([alice.client.openSocket(), bob.client.openSocket(), carol.client.openSocket()]);
      try {
        const toCarol = await bob.client.post('/v1/payments', { receiver_id: carol.user.id, amount: '3.00', currency: 'USD' });
        await carolSocket.next((m) => m.notification?.payment_id === toCarol.body.id);
        await bobSocket.next((m) => m.notification?.payment_id === toCarol.body.id);
        // The stream is ordered: once Alice hears of a later payment to her, she would already have heard of Carol's.
        const toAlice = await bob.client.post('/v1/payments', { receiver_id: alice.user.id, amount: '2.00', currency: 'USD' });
        await aliceSocket.next((m) => m.notification?.payment_id === toAlice.body.id && m.notification.kind === 'payment_received');
        assert.deepEqual(aliceSocket.messages.filter((m) => m.type === 'hello'), [{ type: 'hello', user_id: alice.user.id }]);
        const aliceHeard = aliceSocket.messages.filter((m) => m.type === 'notification').map((m) => m.notification);
        // Her own welcome may come through too (it races the socket); of payments, only the one to her.
        assert.deepEqual([...new Set(aliceHeard.filter((n) => n.payment_id).map((n) => n.payment_id))], [toAlice.body.id]);
        assert.ok(aliceHeard.every((n) => ['welcome', 'payment_received'].includes(n.kind)), JSON.stringify(aliceHeard));
        assert.ok(!carolSocket.messages.some((m) => m.notification?.payment_id === toAlice.body.id));
      } finally {
        for (const socket of [aliceSocket, bobSocket, carolSocket]) socket.close();
      }
      assert.equal(await socketRefusal(`${wsUrl(gateway)}/ws`), 401, 'no token');
      assert.equal(await socketRefusal(`${wsUrl(gateway)}/ws?access_token=nonsense`), 401, 'a bad token in the query');
      assert.equal(await socketRefusal(`${wsUrl(gateway)}/ws?access_token=${alice.client.token}x`), 401, 'a tampered token');
    });
  });

  test('bad input on every endpoint is a 4xx problem naming the field, and changes nothing', async () => {
    const dora = await ApiClient.signUp(gateway);
    const erin = await ApiClient.signUp(gateway);
    const { walletId, methodId } = await dora.client.fund('30.00');
    const walletPath = `/v1/wallets/${walletId}`;
    const move = (extra: Record<string, unknown> = {}) => ({ amount: '1.00', currency: 'USD', payment_method_id: methodId, ...extra });
    const pay = (extra: Record<string, unknown> = {}) => ({ receiver_id: erin.user.id, amount: '1.00', currency: 'USD', ...extra });
    const signUp = (extra: Record<string, unknown> = {}) => ({ email: `new-${randomUUID().slice(0, 8)}@example.com`, password: 'long enough password', first_name: 'N', last_name: 'U', default_currency: 'USD', ...extra });
    // Their welcome notifications arrive on their own time; wait for them, so "nothing changed" compares like with like.
    for (const client of [dora.client, erin.client]) {
      await eventually('the welcome notification', async () => (await client.get('/v1/notifications')).body.notifications.some((n: { kind: string }) => n.kind === 'welcome'));
    }
    const before = await snapshot(dora.client, erin.client);

    type Case = [what: string, method: string, path: string, body: unknown, status: number, expected: { code?: string; field?: string }, headers?: Record<string, string | null>];
    const cases: Case[] = [
      ['sign-up without email', 'POST', '/v1/users', signUp({ email: undefined }), 400, { field: 'email' }],
      ['sign-up with a malformed email', 'POST', '/v1/users', signUp({ email: 'not-an-email' }), 400, { field: 'email' }],
      ['sign-up with a short password', 'POST', '/v1/users', signUp({ password: 'short' }), 400, { field: 'password' }],
      ['sign-up with an empty name', 'POST', '/v1/users', signUp({ first_name: '' }), 400, { field: 'first_name' }],
      ['sign-up in lower-case currency', 'POST', '/v1/users', signUp({ default_currency: 'usd' }), 400, { field: 'default_currency' }],
      ['sign-up in an unknown currency', 'POST', '/v1/users', signUp({ default_currency: 'XYZ' }), 400, { code: 'INVALID_CURRENCY', field: 'default_currency' }],
      ['sign-up asking to be an operator', 'POST', '/v1/users', signUp({ role: 'operator' }), 400, { field: 'role' }],
      ['sign-up with a list for a body', 'POST', '/v1/users', [signUp()], 400, { field: 'body' }],
      ['login without password', 'POST', '/v1/sessions', { email: dora.email }, 400, { field: 'password' }],
      ['login with a wrong password', 'POST', '/v1/sessions', { email: dora.email, password: 'wrong password!' }, 401, { code: 'INVALID_CREDENTIALS' }],
      ['card number of letters', 'POST', '/v1/payment-methods', { number: 'abcd efgh ijkl', exp_month: 12, exp_year: 2040 }, 400, { field: 'number' }],
      ['card number failing its check digit', 'POST', '/v1/payment-methods', { number: '4242424242424241', exp_month: 12, exp_year: 2040 }, 400, { code: 'INVALID_CARD_NUMBER', field: 'number' }],
      ['card expiry month 13', 'POST', '/v1/payment-methods', { number: '4242424242424242', exp_month: 13, exp_year: 2040 }, 400, { field: 'exp_month' }],
      ['card expiry year as text', 'POST', '/v1/payment-methods', { number: '4242424242424242', exp_month: 12, exp_year: '2040' }, 400, { field: 'exp_year' }],
      ['wallet in an unknown currency', 'POST', '/v1/wallets', { currency: 'XYZ' }, 400, { code: 'INVALID_CURRENCY', field: 'currency' }],
      ['wallet without its Idempotency-Key', 'POST', '/v1/wallets', { currency: 'EUR' }, 400, { code: 'IDEMPOTENCY_KEY_REQUIRED', field: 'Idempotency-Key' }, { 'idempotency-key': null }],
      ['wallet id that is not a UUID', 'GET', '/v1/wallets/12345', undefined, 400, { field: 'id' }],
      ['top-up to a path id that is not a UUID', 'POST', '/v1/wallets/not-a-uuid/top-ups', move(), 400, { field: 'id' }],
      ['top-up amount as a JSON number', 'POST', `${walletPath}/top-ups`, move({ amount: 10 }), 400, { field: 'amount' }],
      ['top-up amount negative', 'POST', `${walletPath}/top-ups`, move({ amount: '-1.00' }), 400, { field: 'amount' }],
      ['top-up amount NaN', 'POST', `${walletPath}/top-ups`, move({ amount: 'NaN' }), 400, { field: 'amount' }],
      ['top-up amount with an exponent', 'POST', `${walletPath}/top-ups`, move({ amount: '1e3' }), 400, { field: 'amount' }],
      ['top-up amount zero', 'POST', `${walletPath}/top-ups`, move({ amount: '0.00' }), 400, { code: 'INVALID_AMOUNT', field: 'amount' }],
      ['top-up amount more precise than cents', 'POST', `${walletPath}/top-ups`, move({ amount: '10.001' }), 400, { code: 'INVALID_AMOUNT', field: 'amount' }],
      ['top-up amount beyond any limit', 'POST', `${walletPath}/top-ups`, move({ amount: '9999999999999999' }), 400, { code: 'AMOUNT_TOO_LARGE', field: 'amount' }],
      ['top-up amount of 17 digits', 'POST', `${walletPath}/top-ups`, move({ amount: '12345678901234567' }), 400, { field: 'amount' }],
      ['top-up in an unknown currency', 'POST', `${walletPath}/top-ups`, move({ currency: 'XYZ' }), 400, { code: 'INVALID_CURRENCY', field: 'currency' }],
      ['top-up in another currency than the wallet', 'POST', `${walletPath}/top-ups`, move({ currency: 'EUR' }), 422, { code: 'CURRENCY_MISMATCH' }],
      ['top-up without a payment method', 'POST', `${walletPath}/top-ups`, move({ payment_method_id: undefined }), 400, { field: 'payment_method_id' }],
      ['top-up from an unknown payment method', 'POST', `${walletPath}/top-ups`, move({ payment_method_id: randomUUID() }), 422, { code: 'PAYMENT_METHOD_INVALID' }],
      ['top-up with an unknown property', 'POST', `${walletPath}/top-ups`, move({ bonus: '5.00' }), 400, { field: 'bonus' }],
      ['top-up without its Idempotency-Key', 'POST', `${walletPath}/top-ups`, move(), 400, { code: 'IDEMPOTENCY_KEY_REQUIRED', field: 'Idempotency-Key' }, { 'idempotency-key': null }],
      ['top-up with a too short Idempotency-Key', 'POST', `${walletPath}/top-ups`, move(), 400, { code: 'INVALID_IDEMPOTENCY_KEY', field: 'Idempotency-Key' }, { 'idempotency-key': 'short' }],
      ['withdrawal beyond the balance', 'POST', `${walletPath}/withdrawals`, move({ amount: '30.01' }), 422, { code: 'INSUFFICIENT_FUNDS' }],
      ['withdrawal amount as words', 'POST', `${walletPath}/withdrawals`, move({ amount: 'ten' }), 400, { field: 'amount' }],
      ['withdrawal without its Idempotency-Key', 'POST', `${walletPath}/withdrawals`, move(), 400, { code: 'IDEMPOTENCY_KEY_REQUIRED' }, { 'idempotency-key': null }],
      ['payment amount more precise than cents', 'POST', '/v1/payments', pay({ amount: '1.234' }), 400, { code: 'INVALID_AMOUNT', field: 'amount' }],
      ['payment amount NaN', 'POST', '/v1/payments', pay({ amount: 'NaN' }), 400, { field: 'amount' }],
      ['payment amount negative', 'POST', '/v1/payments', pay({ amount: '-5' }), 400, { field: 'amount' }],
      ['payment amount beyond any limit', 'POST', '/v1/payments', pay({ amount: '9999999999999999' }), 400, { code: 'AMOUNT_TOO_LARGE', field: 'amount' }],
      ['payment amount over the payment limit', 'POST', '/v1/payments', pay({ amount: '10000.01' }), 422, { code: 'AMOUNT_OVER_LIMIT' }],
      ['payment in an unknown currency', 'POST', '/v1/payments', pay({ currency: 'ABC' }), 400, { code: 'INVALID_CURRENCY', field: 'currency' }],
      ['payment to a malformed email', 'POST', '/v1/payments', pay({ receiver_id: undefined, receiver_email: 'erin at example' }), 400, { field: 'receiver_email' }],
      ['payment with a note too long', 'POST', '/v1/payments', pay({ note: 'x'.repeat(281) }), 400, { field: 'note' }],
      ['payment without its Idempotency-Key', 'POST', '/v1/payments', pay(), 400, { code: 'IDEMPOTENCY_KEY_REQUIRED' }, { 'idempotency-key': null }],
      ['payment id that is not a UUID', 'GET', '/v1/payments/1%20OR%201=1', undefined, 400, { field: 'id' }],
      ['transactions page of zero', 'GET', '/v1/transactions?limit=0', undefined, 400, { field: 'limit' }],
      ['transactions page in words', 'GET', '/v1/transactions?limit=ten', undefined, 400, { field: 'limit' }],
      ['transactions of an unknown status', 'GET', '/v1/transactions?status=stolen', undefined, 400, { field: 'status' }],
      ['transactions in lower-case currency', 'GET', '/v1/transactions?currency=usd', undefined, 400, { field: 'currency' }],
      ['notifications unread_only=maybe', 'GET', '/v1/notifications?unread_only=maybe', undefined, 400, { field: 'unread_only' }],
      ['notifications marked by a non-list', 'POST', '/v1/notifications/read', { ids: 'all' }, 400, { field: 'ids' }],
      ['a body over the size limit', 'POST', '/v1/payments', JSON.stringify(pay({ note: 'x'.repeat(70_000) })), 413, { code: 'BODY_TOO_LARGE' }],
      ['a body that is not JSON', 'POST', '/v1/payments', '{"amount": "1.00",', 400, { code: 'MALFORMED_JSON', field: 'body' }],
      ['an empty JSON body', 'POST', `${walletPath}/top-ups`, '', 400, { code: 'MALFORMED_JSON' }],
      ['a text/plain body', 'POST', '/v1/payments', JSON.stringify(pay()), 415, { code: 'UNSUPPORTED_MEDIA_TYPE', field: 'content-type' }, { 'content-type': 'text/plain' }],
      ['a form body', 'POST', `${walletPath}/top-ups`, 'amount=1.00&currency=USD', 415, { code: 'UNSUPPORTED_MEDIA_TYPE' }, { 'content-type': 'application/x-www-form-urlencoded' }],
    ];
    for (const [what, method, path, body, status, expected, headerOverrides = {}] of cases) {
      const headers: Record<string, string> = method === 'POST' ? { 'idempotency-key': randomUUID(), 'content-type': 'application/json' } : {};
      for (const [name, value] of Object.entries(headerOverrides)) {
        if (value === null) delete headers[name];
        else headers[name] = value;
      }
      const client = path === '/v1/users' || path === '/v1/sessions' ? new ApiClient(gateway) : dora.client;
      const response = await client.request(method, path, body, headers);
      assertProblem(response, status, expected, what);
      if (status === 400 && expected.field && !expected.code) {
        assert.match(response.body.detail, new RegExp(`^${expected.field.replace('.', '\\.')}: `), `${what}: the detail starts with the field`);
      }
    }
    // What the patterns mean is said in words, not as a regular expression.
    const explained = await dora.client.post(`${walletPath}/top-ups`, move({ amount: '-1.00' }));
    assert.match(explained.body.detail, /amount: must be a positive decimal string/);
    // Well-formed query parameters are accepted (they arrive as text and are typed).
    assert.equal((await dora.client.get('/v1/transactions?limit=5&currency=USD')).status, 200);
    assert.equal((await dora.client.get('/v1/notifications?unread_only=true')).status, 200);

    assert.deepEqual(await snapshot(dora.client, erin.client), before, 'nothing changed');
    // The refused sign-ups created no one.
    const refusedEmails = cases.filter(([, , p]) => p === '/v1/users').map(([, , , body]) => (body as { email?: unknown }).email).filter((e): e is string => typeof e === 'string' && e.includes('@'));
    assert.ok(refusedEmails.length >= 5);
    for (const email of refusedEmails) {
      assertProblem(await new ApiClient(gateway).request('POST', '/v1/sessions', { email, password: 'long enough password' }), 401, { code: 'INVALID_CREDENTIALS' }, `login as ${email}`);
    }
  });

  describe('Idempotency-Key on money-moving POSTs (the IETF draft)', () => {
    const flows = [
      {
        name: 'top-ups',
        gate: 'user' as const,
        held: (method: string, url: string) => method === 'POST' && url === '/payment-methods/validate',
        request: (ctx: Setup) => ({ path: `/v1/wallets/${ctx.walletId}/top-ups`, body: { amount: '7.00', currency: 'USD', payment_method_id: ctx.methodId }, other: { amount: '8.00', currency: 'USD', payment_method_id: ctx.methodId } }),
        created: 201,
        moved: { payer: '57.00' },
      },
      {
        name: 'withdrawals',
        gate: 'user' as const,
        held: (method: string, url: string) => method === 'POST' && url === '/payment-methods/validate',
        request: (ctx: Setup) => ({ path: `/v1/wallets/${ctx.walletId}/withdrawals`, body: { amount: '7.00', currency: 'USD', payment_method_id: ctx.methodId }, other: { amount: '7.01', currency: 'USD', payment_method_id: ctx.methodId } }),
        created: 201,
        moved: { payer: '43.00' },
      },
      {
        name: 'payments',
        gate: 'payments' as const,
        held: (method: string, url: string) => method === 'POST' && url === '/payments',
        request: (ctx: Setup) => ({ path: '/v1/payments', body: { receiver_id: ctx.receiverId, amount: '7.00', currency: 'USD' }, other: { receiver_id: ctx.receiverId, amount: '7.00', currency: 'USD', note: 'changed' } }),
        created: 202,
        moved: { payer: '43.00', receiver: '7.00' },
      },
    ];
    interface Setup {
      walletId: string;
      methodId: string;
      receiverId: string;
    }

    for (const flow of flows) {
      test(`${flow.name}: a replay answers the first response, another body is 422, a twin while the first runs is 409`, async () => {
        const payer = await ApiClient.signUp(gateway);
        const receiver = await ApiClient.signUp(gateway);
        const { walletId, methodId } = await payer.client.fund('50.00');
        const { path, body, other } = flow.request({ walletId, methodId, receiverId: receiver.user.id });
        const key = randomUUID();

        // The first request is held on its way to the service behind the gateway...
        const holds = flow.gate === 'user' ? [proxies.user.hold(flow.held)] : [proxies.payment.hold(flow.held), proxies['payment-v2'].hold(flow.held)];
        const first = payer.client.post(path, body, key);
        await Promise.race(holds.map((h) => h.reached));
        // ...so the same key now is still in progress.
        const twin = await payer.client.post(path, body, key);
        assertProblem(twin, 409, { code: 'IDEMPOTENCY_REQUEST_IN_PROGRESS' });
        for (const h of holds) h.release();
        const original = await first;
        assert.equal(original.status, flow.created, JSON.stringify(original.body));
        assert.equal(original.headers.get('idempotent-replayed'), null);

        const replay = await payer.client.post(path, body, key);
        assert.equal(replay.status, flow.created);
        assert.equal(replay.headers.get('idempotent-replayed'), 'true');
        assert.deepEqual(replay.body, original.body);

        assertProblem(await payer.client.post(path, other, key), 422, { code: 'IDEMPOTENCY_KEY_REUSED' }, 'another body');
        assertProblem(await payer.client.post('/v1/wallets', { currency: 'EUR' }, key), 422, { code: 'IDEMPOTENCY_KEY_REUSED' }, 'another endpoint');
        // Keys belong to their user: someone else's identical key is their own first request.
        assert.notEqual((await receiver.client.post('/v1/wallets', { currency: 'EUR' }, key)).status, 422);

        if (flow.name === 'payments') await payer.client.settled(original.body.id);
        assert.equal((await payer.client.wallet()).balance, flow.moved.payer, 'the money moved once');
        if (flow.moved.receiver) assert.equal((await receiver.client.wallet()).balance, flow.moved.receiver);
      });
    }
  });

  test('the OpenAPI document lists every /v1 path of issue 4 with its schemas; /healthz, /readyz and /metrics answer', async () => {
    const document = (await new ApiClient(gateway).get('/openapi.json')).body;
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(document.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    const expected: Array<[string, string, number, string[]]> = [
      ['post', '/v1/users', 201, ['email', 'password', 'first_name', 'last_name', 'default_currency']],
      ['post', '/v1/sessions', 200, ['email', 'password']],
      ['get', '/v1/me', 200, []],
      ['post', '/v1/payment-methods', 201, ['number', 'exp_month', 'exp_year']],
      ['get', '/v1/payment-methods', 200, []],
      ['get', '/v1/wallets', 200, []],
      ['post', '/v1/wallets/{id}/top-ups', 201, ['amount', 'currency', 'payment_method_id']],
      ['post', '/v1/wallets/{id}/withdrawals', 201, ['amount', 'currency', 'payment_method_id']],
      ['post', '/v1/payments', 202, ['amount', 'currency']],
      ['get', '/v1/payments/{id}', 200, []],
      ['get', '/v1/transactions', 200, []],
    ];
    for (const [method, route, success, required] of expected) {
      const operation = document.paths[route]?.[method];
      assert.ok(operation, `${method.toUpperCase()} ${route} is documented`);
      assert.ok(operation.responses[success]?.content?.['application/json']?.schema?.properties, `${method.toUpperCase()} ${route} documents its ${success} body`);
      for (const status of ['400', '401']) assert.ok(operation.responses[status], `${method.toUpperCase()} ${route} documents ${status}`);
      if (required.length > 0) {
        const schema = operation.requestBody.content['application/json'].schema;
        assert.deepEqual(schema.required, required, `${route} request body`);
      }
      if (route.includes('{id}')) assert.ok(operation.parameters.some((p: { in: string; name: string; schema: { format?: string } }) => p.in === 'path' && p.name === 'id' && p.schema.format === 'uuid'));
    }
    const topUp = document.paths['/v1/wallets/{id}/top-ups'].post;
    assert.equal(topUp.requestBody.content['application/json'].schema.properties.amount.type, 'string', 'amounts are decimal strings, never numbers');
    for (const [route, method] of [['/v1/wallets/{id}/top-ups', 'post'], ['/v1/wallets/{id}/withdrawals', 'post'], ['/v1/payments', 'post'], ['/v1/wallets', 'post']] as const) {
      const header = document.paths[route][method].parameters.find((p: { in: string; name: string }) => p.in === 'header' && p.name === 'idempotency-key');
      assert.equal(header?.required, true, `${route} requires an Idempotency-Key`);
      for (const status of ['409', '422']) assert.ok(document.paths[route][method].responses[status], `${route} documents ${status}`);
    }
    assert.ok(topUp.responses['400'].content['application/problem+json'].schema.properties.field, 'errors are problem+json naming the field');
    const wallet = document.paths['/v1/wallets'].get.responses[200].content['application/json'].schema.properties.wallets.items.properties;
    for (const field of ['id', 'currency', 'balance', 'available', 'frozen']) assert.ok(wallet[field], `a wallet has ${field}`);
    assert.deepEqual(Object.keys(document.paths).filter((p) => p.startsWith('/admin')), [], 'the admin surface is not advertised');

    const anonymous = new ApiClient(gateway);
    assert.deepEqual((await anonymous.get('/healthz')).body, { status: 'ok' });
    const ready = await anonymous.get('/readyz');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    const required = Object.entries(ready.body.checks as Record<string, { status: string; required: boolean }>).filter(([, c]) => c.required);
    assert.deepEqual(required.map(([name]) => name).sort(), ['database', 'notification-service', 'payment-service-v1', 'payment-service-v2', 'transaction-service', 'user-service', 'wallet-service']);
    assert.ok(required.every(([, c]) => c.status === 'ok'));
    const metrics = await anonymous.get('/metrics');
    assert.match(metrics.body, /^circuit_breaker_state\{target="user-service".*\} 0$/m);
    assert.match(metrics.body, /^circuit_breaker_state\{target="wallet-service".*\} 0$/m);
  });

  test('weighted routing: the 90/10 split holds per user, sticky, and a routing file edit moves it without a restart; a broken edit keeps the last good weights', async () => {
    const receiver = await ApiClient.signUp(gateway);
    const admin = (await makeOperator(platform)).client;
    const tokens = platformTokens(platform);
    const wallets = new WalletClient(platform.url('wallet'));
    // The gateway's own rule, read from the same file: the test predicts each user's version.
    const predict = new WeightedRouter(routingFile, pino({ level: 'silent' }), undefined, 0);
    try {
      // Many senders, cheaply: a wallet each (straight at the wallet service) and a token as the gateway would issue it.
      const senders = await inBatches(Array.from({ length: 100 }, () => randomUUID()), async (id) => {
        await wallets.openWallet(id, 'USD', `routing-test-${id}`);
        return { id, client: new ApiClient(gateway, await tokens.issue({ userId: id, role: 'user' })) };
      });
      // An unfunded payment is still accepted (it fails later in the saga): enough to see which version took it.
      const acceptedBy = async (sender: { client: ApiClient }) => {
        const sent = await sender.client.post('/v1/payments', { receiver_id: receiver.user.id, amount: '1.00', currency: 'USD' });
        assert.equal(sent.status, 202, JSON.stringify(sent.body));
        const record = await fetch(`${platform.url('payment')}/payments/${sent.body.id}`);
        return ((await record.json()) as { accepted_by: string }).accepted_by;
      };
      const version = (node: string) => node.replace('payment-service-', '');

      const first = await inBatches(senders, acceptedBy);
      senders.forEach((s, i) => assert.equal(first[i], version(predict.pick(s.id).node), `sender ${s.id} landed where the weights put them`));
      const shareV2 = first.filter((v) => v === 'v2').length / first.length;
      // 100 users at 10 %: a standard deviation of 3 points; more than 12 off would be a broken split. The tight
      // statistical check (20,000 users) is services/gateway/test/weighted-router.test.ts; here every user is checked exactly.
      assert.ok(Math.abs(shareV2 - 0.1) <= 0.12, `v2 took ${(shareV2 * 100).toFixed(1)} % of 100 users`);
      assert.ok(first.includes('v1') && first.includes('v2'), 'both versions take traffic');
      const again = await inBatches(senders.slice(0, 20), acceptedBy);
      assert.deepEqual(again, first.slice(0, 20), 'sticky: each user keeps their version');

      // All traffic to v2, by editing the file the running gateway reads.
      const onV1 = senders.filter((_, i) => first[i] === 'v1').slice(0, 10);
      writeRouting(routingFile, 0, 100);
      await eventually('the gateway reloads the routing file', async () => (await admin.get('/admin/routing')).body.route?.targets?.[1]?.weight === 100);
      assert.deepEqual(new Set(await inBatches(onV1, acceptedBy)), new Set(['v2']));

      // A broken edit is refused: the last good weights stay, and operators are told why.
      writeFileSync(routingFile, '{ "Route": { "Properties": ');
      const refused = await eventually('the broken edit is noticed', async () => {
        const status = (await admin.get('/admin/routing')).body;
        return status.rejected ? status : undefined;
      });
      assert.match(refused.rejected.error, /JSON|routing file/);
      assert.deepEqual(refused.route.targets.map((t: { weight: number }) => t.weight), [0, 100]);
      assert.deepEqual(new Set(await inBatches(onV1, acceptedBy)), new Set(['v2']));

      // Back to the contract's weights: the users return to their versions.
      copyFileSync(PAYMENT_ROUTING_PATH, routingFile);
      await eventually('the gateway reloads the contract weights', async () => (await admin.get('/admin/routing')).body.route?.targets?.[1]?.weight === 10);
      assert.deepEqual(await inBatches(onV1, acceptedBy), onV1.map(() => 'v1'));
    } finally {
      wallets.close();
    }
  });

  test('the admin endpoints are 404 to everyone but operators', async () => {
    const someone = await ApiClient.signUp(gateway);
    const operator = (await makeOperator(platform)).client;
    for (const path of ['/admin/breakers', '/admin/routing']) {
      for (const client of [new ApiClient(gateway), someone.client, new ApiClient(gateway, 'garbage')]) {
        const response = await client.get(path);
        assertProblem(response, 404, { code: 'NOT_FOUND' }, path);
        const unknown = await client.get('/admin/nothing-here');
        assert.deepEqual({ ...response.body, detail: response.body.detail.replace(path, 'PATH') }, { ...unknown.body, detail: unknown.body.detail.replace('/admin/nothing-here', 'PATH') }, 'exactly like a path that does not exist');
      }
      assert.equal((await operator.get(path)).status, 200);
    }
    const breakers = (await operator.get('/admin/breakers')).body.breakers;
    assert.deepEqual(breakers.find((b: { target: string }) => b.target === 'user-service'), {
      ...breakers.find((b: { target: string }) => b.target === 'user-service'),
      state: 'closed',
      failureThreshold: 3,
      halfOpenAfterMs: 30_000,
    });
  });
});

/** Wallet balances, payment methods, transactions and notifications of some users: "nothing changed" compares two of these. */
async function snapshot(...clients: ApiClient[]) {
  return Promise.all(
    clients.map(async (client) => ({
      wallets: (await client.get('/v1/wallets')).body.wallets.map((w: Record<string, string>) => `${w.id} ${w.currency} ${w.balance} ${w.available} ${w.frozen}`),
      methods: (await client.get('/v1/payment-methods')).body.payment_methods.length,
      transactions: (await client.get('/v1/transactions')).body.transactions.length,
      notifications: (await client.get('/v1/notifications')).body.notifications.length,
    })),
  );
}

function writeRouting(file: string, v1: number, v2: number): void {
  const doc = JSON.parse(readFileSync(PAYMENT_ROUTING_PATH, 'utf8'));
  doc.Route.Properties.Spec.HttpRoute.Action.WeightedTargets = [
    { VirtualNode: 'payment-service-v1', Weight: v1 },
    { VirtualNode: 'payment-service-v2', Weight: v2 },
  ];
  writeFileSync(file, JSON.stringify(doc, null, 2));
}

/** Runs `work` over the items, 20 at a time, keeping their order. */
async function inBatches<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += 20) results.push(...(await Promise.all(items.slice(i, i + 20).map(work))));
  return results;
}

const wsUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

/** The HTTP status a WebSocket upgrade is refused with (fails the test if the socket opens). */
function socketRefusal(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      socket.close();
      reject(new Error(`the socket to ${url} opened`));
    });
    socket.once('error', () => {});
  });
}
