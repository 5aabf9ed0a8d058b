import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { startGraphQLPlatform, type GraphQLPlatform } from '../support/graphql-platform.ts';

const SEED_USER_QUERY = `
  query ($id: ID!) {
    user(id: $id) {
      id email firstName lastName
      wallets { id currency balance transactions(limit: 10) { id amount currency status createdAt } }
    }
  }`;

const SEED_TRANSACTION_QUERY = `
  query ($id: ID!) {
    transaction(id: $id) { id amount currency status createdAt }
  }`;

/** Alice pays Bob 10.25 USD from a 100.00 USD wallet; Carol pays Dave, whom Alice and Bob never see. */
async function paymentsBetweenFriends(platform: GraphQLPlatform) {
  const alice = await platform.person('Alice', ['USD', 'EUR']);
  const bob = await platform.person('Bob');
  const carol = await platform.person('Carol');
  const dave = await platform.person('Dave');
  await platform.fund(alice.wallets.USD!, 10_000n);
  await platform.fund(carol.wallets.USD!, 500n);
  const paid = await platform.pay({ id: alice.profile.id, walletId: alice.wallets.USD! }, { id: bob.profile.id, walletId: bob.wallets.USD! }, 1025n, 'USD');
  const others = await platform.pay({ id: carol.profile.id, walletId: carol.wallets.USD! }, { id: dave.profile.id, walletId: dave.wallets.USD! }, 300n, 'USD');
  return { alice, bob, carol, dave, paid, others };
}

test('the GraphQL federation through the gateway', async (t) => {
  const platform = await startGraphQLPlatform(t);
  const { alice, bob, paid, others } = await paymentsBetweenFriends(platform);

  await t.test("the seed's user query returns the caller's profile, wallets, balances and transactions", async () => {
    const { status, body } = await platform.query(alice.token, SEED_USER_QUERY, { id: alice.profile.id });
    assert.equal(status, 200);
    assert.equal(body.errors, undefined);
    const user = body.data!.user;
    assert.deepEqual(
      { id: user.id, email: user.email, firstName: user.firstName, lastName: user.lastName },
      { id: alice.profile.id, email: alice.profile.email, firstName: 'Alice', lastName: 'Tester' },
    );
    assert.deepEqual(
      user.wallets.map((w: any) => ({ id: w.id, currency: w.currency, balance: w.balance })),
      [
        { id: alice.wallets.EUR, currency: 'EUR', balance: 0 },
        { id: alice.wallets.USD, currency: 'USD', balance: 89.75 },
      ],
    );
    const usd = user.wallets.find((w: any) => w.currency === 'USD');
    assert.equal(usd.transactions.length, 1);
    const [payment] = usd.transactions;
    assert.deepEqual({ ...payment, createdAt: undefined }, { id: paid, amount: 10.25, currency: 'USD', status: 'completed', createdAt: undefined });
    assert.ok(!Number.isNaN(Date.parse(payment.createdAt)), 'createdAt is an ISO 8601 time');
    assert.deepEqual(user.wallets.find((w: any) => w.currency === 'EUR').transactions, []);
  });

  await t.test('the precise money fields sit beside the seed floats', async () => {
    const { body } = await platform.query(
      alice.token,
      `{ me { wallets { currency balanceMinor balanceDecimal available availableMinor frozen frozenMinor
           transactions { amountMinor amountDecimal direction senderId receiverId senderWalletId receiverWalletId } } } }`,
    );
    assert.equal(body.errors, undefined);
    const usd = body.data!.me.wallets.find((w: any) => w.currency === 'USD');
    assert.deepEqual(
      { ...usd, transactions: undefined },
      { currency: 'USD', balanceMinor: '8975', balanceDecimal: '89.75', available: '89.75', availableMinor: '8975', frozen: '0.00', frozenMinor: '0', transactions: undefined },
    );
    assert.deepEqual(usd.transactions, [
      { amountMinor: '1025', amountDecimal: '10.25', direction: 'SENT', senderId: alice.profile.id, receiverId: bob.profile.id, senderWalletId: alice.wallets.USD, receiverWalletId: bob.wallets.USD },
    ]);
  });

  await t.test("the seed's transaction query answers the payment's sender and its receiver", async () => {
    for (const person of [alice, bob]) {
      const { status, body } = await platform.query(person.token, SEED_TRANSACTION_QUERY, { id: paid });
      assert.equal(status, 200);
      assert.equal(body.errors, undefined);
      assert.equal(body.data!.transaction.id, paid);
      assert.equal(body.data!.transaction.amount, 10.25);
      assert.equal(body.data!.transaction.status, 'completed');
    }
    const received = await platform.query(bob.token, `query ($id: ID!) { transaction(id: $id) { direction } }`, { id: paid });
    assert.equal(received.body.data!.transaction.direction, 'RECEIVED');
  });

  await t.test("another user's id reads as null with a NOT_FOUND error, and none of their data", async () => {
    const { status, body } = await platform.query(alice.token, SEED_USER_QUERY, { id: bob.profile.id });
    assert.equal(status, 200);
    assert.equal(body.data!.user, null);
    assert.equal(body.errors?.length, 1);
    assert.deepEqual(body.errors![0]!.path, ['user']);
    assert.equal(body.errors![0]!.extensions?.code, 'NOT_FOUND');
    assert.equal(body.errors![0]!.extensions?.paymeshCode, 'USER_NOT_FOUND');
    assert.doesNotMatch(JSON.stringify(body), new RegExp(`${bob.profile.email}|${bob.wallets.USD}`));

    const unknown = await platform.query(alice.token, SEED_USER_QUERY, { id: randomUUID() });
    assert.deepEqual({ user: unknown.body.data!.user, code: unknown.body.errors![0]!.extensions?.code }, { user: null, code: 'NOT_FOUND' }, 'an unknown id reads the same');
  });

  await t.test("someone else's transaction is null, exactly like an unknown one", async () => {
    for (const id of [others, randomUUID()]) {
      const { body } = await platform.query(alice.token, SEED_TRANSACTION_QUERY, { id });
      assert.equal(body.data!.transaction, null);
      assert.equal(body.errors![0]!.extensions?.code, 'NOT_FOUND');
      assert.equal(body.errors![0]!.extensions?.paymeshCode, 'TRANSACTION_NOT_FOUND');
    }
  });

  await t.test("a counterparty's wallet behind a payment stays hidden", async () => {
    const { body } = await platform.query(bob.token, `query ($id: ID!) { transaction(id: $id) { senderWallet { id balance } receiverWallet { id balance } } }`, { id: paid });
    assert.equal(body.errors, undefined);
    assert.deepEqual(body.data!.transaction, { senderWallet: null, receiverWallet: { id: bob.wallets.USD, balance: 10.25 } });
  });

  await t.test('without a valid access token every query is UNAUTHENTICATED (401)', async () => {
    for (const token of [undefined, 'not-a-jwt', await platform.tokens.issue({ userId: alice.profile.id, role: 'user' }) + 'x']) {
      const { status, body } = await platform.query(token, SEED_USER_QUERY, { id: alice.profile.id });
      assert.equal(status, 401);
      assert.equal(body.data, undefined);
      assert.equal(body.errors![0]!.extensions?.code, 'UNAUTHENTICATED');
      assert.equal(body.errors![0]!.extensions?.paymeshCode, 'INVALID_TOKEN');
    }
  });

  await t.test('caller headers a client sends are never passed on', async () => {
    const forged = { 'x-paymesh-user-id': bob.profile.id, 'x-paymesh-role': 'operator' };
    const asAlice = await platform.query(alice.token, `{ me { id wallets { id } } }`, undefined, forged);
    assert.equal(asAlice.body.data!.me.id, alice.profile.id);
    const bobsData = await platform.query(alice.token, SEED_USER_QUERY, { id: bob.profile.id }, forged);
    assert.equal(bobsData.body.data!.user, null);
    const anonymous = await platform.query(undefined, `{ me { id } }`, undefined, forged);
    assert.equal(anonymous.status, 401);
  });

  await t.test('a bad page size is a BAD_USER_INPUT error naming the field', async () => {
    const { body } = await platform.query(alice.token, `{ me { wallets { transactions(limit: 0) { id } } } }`);
    const error = body.errors?.find((e) => e.extensions?.paymeshCode === 'INVALID_LIMIT');
    assert.ok(error, JSON.stringify(body));
    assert.deepEqual({ code: error.extensions?.code, field: error.extensions?.field }, { code: 'BAD_USER_INPUT', field: 'limit' });
  });

  await t.test('a subgraph that is down costs only its fields, with an error that shows no internals', async () => {
    await platform.stopTransactionService();
    const { status, body } = await platform.query(alice.token, SEED_USER_QUERY, { id: alice.profile.id });
    assert.equal(status, 200);
    assert.equal(body.data!.user.email, alice.profile.email, 'the user and wallet subgraphs still answer');
    assert.ok(body.errors && body.errors.length > 0);
    for (const error of body.errors) {
      assert.deepEqual({ code: error.extensions?.code, message: error.message }, { code: 'SERVICE_UNAVAILABLE', message: 'the transaction service is unavailable' });
      assert.doesNotMatch(error.message, /127\.0\.0\.1|ECONNREFUSED|fetch failed/);
    }
  });
});

test('limits against abusive queries', async (t) => {
  const platform = await startGraphQLPlatform(t, { maxDepth: 8, maxCost: 5000 });
  const alice = await platform.person('Alice');

  await t.test('a query nested deeper than the limit is refused, with no data', async () => {
    const deep = `{ me { wallets { transactions { senderWallet { transactions { senderWallet { transactions { senderWallet { transactions { senderWallet { id } } } } } } } } } } }`;
    const { status, body } = await platform.query(alice.token, deep);
    assert.equal(status, 400);
    assert.equal(body.data, undefined);
    assert.equal(body.errors![0]!.extensions?.code, 'QUERY_TOO_DEEP');
    assert.match(body.errors![0]!.message, /nested too deeply \(at most 8 levels\)/);
  });

  await t.test('a query that asks for too much (large pages, many aliases) is refused with its cost', async () => {
    const page = `wallets { transactions(limit: 100) { id amount currency status createdAt senderWallet { id currency balance } receiverWallet { id currency balance } } }`;
    const aliased = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: me { ${page} }`).join(' ')} }`;
    for (const query of [aliased, `{ me { ${page} } }`]) {
      const { status, body } = await platform.query(alice.token, query);
      assert.equal(status, 400);
      assert.equal(body.errors![0]!.extensions?.code, 'QUERY_TOO_COMPLEX');
      assert.equal(body.errors![0]!.extensions?.maxCost, 5000);
      assert.ok(body.errors![0]!.extensions?.cost > 5000);
    }
  });

  await t.test('many cheap aliases add up too', async () => {
    const query = `{ ${Array.from({ length: 1100 }, (_, i) => `a${i}: me { id email firstName lastName }`).join(' ')} }`;
    const { status, body } = await platform.query(alice.token, query);
    assert.equal(status, 400);
    assert.equal(body.errors![0]!.extensions?.code, 'QUERY_TOO_COMPLEX');
  });

  await t.test('a document of more than 10,000 tokens is refused before it is parsed', async () => {
    const query = `{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const { status, body } = await platform.query(alice.token, query);
    assert.equal(status, 400);
    assert.equal(body.errors![0]!.extensions?.code, 'GRAPHQL_PARSE_FAILED');
    assert.match(body.errors![0]!.message, /10000 tokens/);
  });

  await t.test('the cost counts variables: a large limit passed as a variable is refused too', async () => {
    const query = `query ($n: Int) { me { wallets { transactions(limit: $n) { id amount currency status createdAt senderWallet { id currency balance } receiverWallet { id currency balance } } } } }`;
    const large = await platform.query(alice.token, query, { n: 100 });
    assert.equal(large.body.errors![0]!.extensions?.code, 'QUERY_TOO_COMPLEX');
    const small = await platform.query(alice.token, query, { n: 10 });
    assert.equal(small.body.errors, undefined);
  });

  await t.test("the seed's query is well within the limits", async () => {
    const { body } = await platform.query(alice.token, SEED_USER_QUERY, { id: alice.profile.id });
    assert.equal(body.errors, undefined);
  });

  await t.test('batched operations are refused', async () => {
    const response = await fetch(`${platform.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
      body: JSON.stringify([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]),
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /batching/i);
  });

  await t.test('an operation the document or the graph does not have (an unknown operationName, a mutation) is the client’s mistake: a 400, not a 500 (found by the fuzzer)', async () => {
    const cases: Array<[string, string | undefined]> = [
      ['query Q { me { id } }', 'Missing'],
      ['query Q { me { id } }', ''],
      ['query Q { me { id } }', '__proto__'],
      ['query A { me { id } } query B { me { email } }', undefined],
      // The graph has queries only.
      ['mutation { me { id } }', undefined],
      ['subscription S { me { id } }', 'S'],
    ];
    for (const [query, operationName] of cases) {
      const response = await fetch(`${platform.gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
        body: JSON.stringify({ query, ...(operationName === undefined ? {} : { operationName }) }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
      assert.equal(response.status, 400, `${query} with operationName ${JSON.stringify(operationName)}`);
      assert.equal(body.data, undefined);
      assert.equal(body.errors![0]!.extensions?.code, 'OPERATION_RESOLUTION_FAILURE');
    }
  });

  await t.test('introspection is off unless configured', async () => {
    const { body } = await platform.query(alice.token, `{ __schema { types { name } } }`);
    assert.equal(body.data, undefined);
    assert.match(body.errors![0]!.message, /introspection/i);
    assert.equal(body.errors![0]!.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
  });
});

test('introspection can be turned on for development', async (t) => {
  const platform = await startGraphQLPlatform(t, { introspection: true });
  const alice = await platform.person('Alice');
  const { body } = await platform.query(alice.token, `{ __type(name: "Wallet") { fields { name } } }`);
  assert.equal(body.errors, undefined);
  const fields = body.data!.__type.fields.map((f: { name: string }) => f.name);
  for (const name of ['id', 'currency', 'balance', 'balanceMinor', 'transactions']) assert.ok(fields.includes(name), name);
});
