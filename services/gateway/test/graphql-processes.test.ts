import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { startPlatform } from '../../../scripts/platform.ts';
import { eventually } from '../../../test/e2e/gateway-support.ts';

/*
 * GraphQL over the whole platform as separate processes (broker, every
 * service, the gateway): money moved through the public REST API, with the
 * payment saga and the events it publishes, is then read through /graphql.
 */

const SEED_USER_QUERY = `
  query ($id: ID!) {
    user(id: $id) {
      id email firstName lastName
      wallets { id currency balance transactions(limit: 10) { id amount currency status createdAt } }
    }
  }`;

test('money moved through REST reads back through GraphQL, each user seeing only their own', async (t) => {
  const platform = await startPlatform();
  t.after(() => platform.stop());
  const gateway = platform.url('gateway');

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await fetch(`${gateway}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': randomUUID() }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const graphql = (token: string, query: string, variables: Record<string, unknown>) => call('POST', '/graphql', token, { query, variables });
  const signUp = async (first: string) => {
    const email = `${first.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com`;
    const password = 'correct horse battery staple';
    const created = await call('POST', '/v1/users', undefined, { email, password, first_name: first, last_name: 'Doe', default_currency: 'USD' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const session = await call('POST', '/v1/sessions', undefined, { email, password });
    assert.equal(session.status, 200, JSON.stringify(session.body));
    const token = session.body.access_token as string;
    // The first wallet comes from the `User registered` event.
    const walletId = await eventually('the new wallet', async () => (await call('GET', '/v1/wallets', token)).body.wallets?.[0]?.id as string | undefined);
    return { id: created.body.id as string, email, token, walletId };
  };

  const alice = await signUp('Alice');
  const bob = await signUp('Bob');
  const card = await call('POST', '/v1/payment-methods', alice.token, { number: '4242424242424242', exp_month: 12, exp_year: new Date().getFullYear() + 3 });
  assert.equal(card.status, 201, JSON.stringify(card.body));
  const topUp = await call('POST', `/v1/wallets/${alice.walletId}/top-ups`, alice.token, { amount: '100.00', currency: 'USD', payment_method_id: card.body.id });
  assert.equal(topUp.status, 201, JSON.stringify(topUp.body));
  const sent = await call('POST', '/v1/payments', alice.token, { receiver_id: bob.id, amount: '25.50', currency: 'USD' });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const paymentId = sent.body.id as string;

  // The transaction service records the payment from the saga's events, asynchronously.
  const aliceView = await eventually('the completed payment in GraphQL', async () => {
    const { body } = await graphql(alice.token, SEED_USER_QUERY, { id: alice.id });
    const payment = body.data?.user?.wallets?.[0]?.transactions?.find((x: { id: string; status: string }) => x.id === paymentId && x.status === 'completed');
    return payment ? body : undefined;
  });
  assert.equal(aliceView.errors, undefined);
  const user = aliceView.data.user;
  assert.deepEqual({ id: user.id, email: user.email, firstName: user.firstName, lastName: user.lastName }, { id: alice.id, email: alice.email, firstName: 'Alice', lastName: 'Doe' });
  assert.deepEqual(user.wallets.map((w: any) => ({ id: w.id, currency: w.currency, balance: w.balance })), [{ id: alice.walletId, currency: 'USD', balance: 74.5 }]);
  const [payment] = user.wallets[0].transactions;
  assert.deepEqual({ id: payment.id, amount: payment.amount, currency: payment.currency, status: payment.status }, { id: paymentId, amount: 25.5, currency: 'USD', status: 'completed' });

  const bobsView = await graphql(bob.token, `query ($id: ID!) { transaction(id: $id) { id amount amountMinor direction status } me { wallets { balanceDecimal } } }`, { id: paymentId });
  assert.equal(bobsView.body.errors, undefined);
  assert.deepEqual(bobsView.body.data, { transaction: { id: paymentId, amount: 25.5, amountMinor: '2550', direction: 'RECEIVED', status: 'completed' }, me: { wallets: [{ balanceDecimal: '25.50' }] } });

  const snooping = await graphql(bob.token, SEED_USER_QUERY, { id: alice.id });
  assert.equal(snooping.body.data.user, null);
  assert.equal(snooping.body.errors[0].extensions.code, 'NOT_FOUND');
  assert.doesNotMatch(JSON.stringify(snooping.body), new RegExp(`${alice.email}|${alice.walletId}`));
});
