import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WalletClient } from '../../clients/wallet-client.ts';
import { startPlatform, type Platform } from '../../scripts/platform.ts';
import { ApiClient } from '../support/api.ts';
import { eventually } from '../support/eventually.ts';

/*
 * The whole platform as separate processes on loopback (the broker, every
 * service, the gateway), driven only through the public API the way an app
 * would, except where a test reaches a service directly to cause a fault.
 */
describe('payments end to end over the running platform', () => {
  let platform: Platform;
  let gateway: string;

  before(async () => {
    platform = await startPlatform({
      serviceEnv: {
        payment: { PAYMENT_SAGA_STEP_TIMEOUT_SECONDS: '20', PAYMENT_SAGA_SWEEP_INTERVAL_MS: '500' },
        'payment-v2': { PAYMENT_SAGA_STEP_TIMEOUT_SECONDS: '20', PAYMENT_SAGA_SWEEP_INTERVAL_MS: '500' },
      },
    });
    gateway = platform.url('gateway');
  });

  after(async () => {
    await platform?.stop();
  });

  test('a payment completes and both users are told over their WebSockets', async () => {
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('100.00');
    const aliceSocket = await alice.client.openSocket();
    const bobSocket = await bob.client.openSocket();
    try {
      const sent = await alice.client.post('/v1/payments', { receiver_email: bob.email, amount: '25.50', currency: 'USD', note: 'lunch' });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      assert.equal(sent.body.amount, '25.50');

      const settled = await alice.client.settled(sent.body.id);
      assert.equal(settled.status, 'completed');
      assert.deepEqual(
        settled.history.map((h: { status: string }) => h.status),
        ['pending', 'reservation_requested', 'funds_reserved', 'processing', 'completed'],
      );
      const toBob = await bobSocket.next((m) => m.notification?.kind === 'payment_received');
      assert.equal(toBob.notification.payment_id, sent.body.id);
      assert.match(toBob.notification.body, /25\.50/);
      await aliceSocket.next((m) => m.notification?.kind === 'payment_sent' && m.notification.payment_id === sent.body.id);

      assert.deepEqual(pick(await alice.client.wallet()), { balance: '74.50', available: '74.50', frozen: '0.00' });
      assert.deepEqual(pick(await bob.client.wallet()), { balance: '25.50', available: '25.50', frozen: '0.00' });
      // The receiver sees it too, as a payment and as a transaction.
      assert.equal((await bob.client.get(`/v1/payments/${sent.body.id}`)).body.status, 'completed');
      const bobsHistory = await eventually('the completed payment in the receiver\'s history', async () => {
        const list = await bob.client.get('/v1/transactions');
        return list.body.transactions?.find((t: { id: string; status: string }) => t.id === sent.body.id && t.status === 'completed');
      }, 20_000);
      assert.equal(bobsHistory.direction, 'received');
    } finally {
      aliceSocket.close();
      bobSocket.close();
    }
  });

  test('the same Idempotency-Key sent twice creates one payment; the same key with another body is refused', async () => {
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('50.00');
    const key = randomUUID();
    const body = { receiver_id: bob.user.id, amount: '10.00', currency: 'USD' };
    const [first, second] = await Promise.all([alice.client.post('/v1/payments', body, key), alice.client.post('/v1/payments', body, key)]);
    const accepted = [first, second].filter((r) => r.status === 202);
    assert.ok(accepted.length >= 1, `at least one was accepted: ${first.status} ${second.status}`);
    for (const r of [first, second]) assert.ok([202, 409].includes(r.status), `202, or 409 while the twin is in flight: got ${r.status}`);
    const replay = await alice.client.post('/v1/payments', body, key);
    assert.equal(replay.status, 202);
    assert.equal(replay.body.id, accepted[0]!.body.id);
    const reused = await alice.client.post('/v1/payments', { ...body, amount: '11.00' }, key);
    assert.equal(reused.status, 422);
    assert.equal(reused.body.code, 'IDEMPOTENCY_KEY_REUSED');

    await alice.client.settled(replay.body.id);
    assert.equal((await alice.client.wallet()).balance, '40.00', 'the money moved once');
    assert.equal((await bob.client.wallet()).balance, '10.00');
  });

  test('a payment beyond the available balance fails before anything is reserved', async () => {
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('5.00');
    const socket = await alice.client.openSocket();
    try {
      const sent = await alice.client.post('/v1/payments', { receiver_id: bob.user.id, amount: '5.01', currency: 'USD' });
      assert.equal(sent.status, 202);
      const settled = await alice.client.settled(sent.body.id);
      assert.equal(settled.status, 'failed');
      assert.match(settled.failure_reason, /INSUFFICIENT_FUNDS/);
      assert.ok(!settled.history.some((h: { status: string }) => h.status === 'funds_reserved'), 'nothing was reserved');
      const told = await socket.next((m) => m.notification?.kind === 'payment_failed');
      assert.match(told.notification.body, /INSUFFICIENT_FUNDS|insufficient/i);
      assert.deepEqual(pick(await alice.client.wallet()), { balance: '5.00', available: '5.00', frozen: '0.00' });
    } finally {
      socket.close();
    }
  });

  test('a payment whose receiver cannot be credited after the reservation is compensated: the sender is made whole', async () => {
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('30.00');
    const wallets = new WalletClient(platform.url('wallet'));
    try {
      // Bob's wallet is suspended (a compliance review): reserving Alice's funds works, crediting Bob does not.
      await wallets.setWalletStatus(await bob.client.walletId(), 'suspended', 'compliance review', randomUUID());
      const sent = await alice.client.post('/v1/payments', { receiver_id: bob.user.id, amount: '12.00', currency: 'USD' });
      const settled = await alice.client.settled(sent.body.id);
      assert.equal(settled.status, 'failed');
      assert.match(settled.failure_reason, /WALLET_SUSPENDED/);
      const statuses = settled.history.map((h: { status: string }) => h.status);
      assert.ok(statuses.includes('funds_reserved') && statuses.includes('compensating'), `reserved, then compensated: ${statuses}`);
      assert.deepEqual(pick(await alice.client.wallet()), { balance: '30.00', available: '30.00', frozen: '0.00' });
      assert.equal((await bob.client.wallet()).balance, '0.00');
    } finally {
      wallets.close();
    }
  });

  test('bad payment requests get a 4xx naming the problem and move nothing', async () => {
    const alice = await ApiClient.signUp(gateway);
    const bob = await ApiClient.signUp(gateway);
    await alice.client.fund('20.00');
    const cases: Array<[unknown, number, string]> = [
      [{ receiver_id: bob.user.id, amount: 10, currency: 'USD' }, 400, 'amount'],
      [{ receiver_id: bob.user.id, amount: '10.001', currency: 'USD' }, 400, 'amount'],
      [{ receiver_id: bob.user.id, amount: '0.00', currency: 'USD' }, 400, 'amount'],
      [{ receiver_id: bob.user.id, amount: '-1.00', currency: 'USD' }, 400, 'amount'],
      [{ receiver_id: bob.user.id, amount: '1.00', currency: 'XYZ' }, 400, 'currency'],
      [{ receiver_id: bob.user.id, amount: '1.00', currency: 'EUR' }, 422, 'NO_WALLET_IN_CURRENCY'],
      [{ receiver_id: alice.user.id, amount: '1.00', currency: 'USD' }, 400, 'SELF_PAYMENT'],
      [{ receiver_id: randomUUID(), amount: '1.00', currency: 'USD' }, 404, 'RECEIVER_NOT_FOUND'],
      [{ receiver_email: 'nobody-here@example.com', amount: '1.00', currency: 'USD' }, 404, 'RECEIVER_NOT_FOUND'],
      [{ amount: '1.00', currency: 'USD' }, 400, 'receiver'],
      [{ receiver_id: bob.user.id, amount: '1.00', currency: 'USD', extra: true }, 400, 'extra'],
    ];
    for (const [body, status, mentions] of cases) {
      const response = await alice.client.post('/v1/payments', body);
      assert.equal(response.status, status, `${JSON.stringify(body)} → ${JSON.stringify(response.body)}`);
      assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json');
      assert.match(JSON.stringify(response.body), new RegExp(mentions, 'i'), `the error for ${JSON.stringify(body)} names ${mentions}`);
    }
    const missingKey = await alice.client.post('/v1/payments', { receiver_id: bob.user.id, amount: '1.00', currency: 'USD' }, null);
    assert.equal(missingKey.status, 400);
    assert.equal(missingKey.body.code, 'IDEMPOTENCY_KEY_REQUIRED');
    const notJson = await alice.client.request('POST', '/v1/payments', '{"amount":', { 'content-type': 'application/json', 'idempotency-key': randomUUID() });
    assert.equal(notJson.status, 400);
    assert.deepEqual(pick(await alice.client.wallet()), { balance: '20.00', available: '20.00', frozen: '0.00' });
    assert.equal((await bob.client.wallet()).balance, '0.00');
  });
});

function pick(wallet: { balance: string; available: string; frozen: string }) {
  return { balance: wallet.balance, available: wallet.available, frozen: wallet.frozen };
}
