import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { WalletClient } from '../../../clients/wallet-client.ts';
import { PayMeshError } from '../../../contracts/errors.ts';
import { TRANSACTION_EVENTS } from '../../../contracts/events.ts';
import type { DomainEvent } from '../../../messaging/event-publisher.ts';
import type { OutboxRow } from '../../../messaging/outbox-schema.ts';
import { openDatabase, type Database } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrate.ts';
import { spawnService } from '../../../test/support/processes.ts';
import { paymentMigrations } from '../migrations/index.ts';
import { PaymentSaga } from '../saga/payment-saga.ts';
import { StuckSagaMonitor } from '../saga/stuck-sagas.ts';
import { recordHistory, transitions, type Step } from '../saga/transitions.ts';
import type { PaymentRow, PaymentSchema } from '../schema.ts';

/*
 * The saga, driven in process, against a real wallet service (its own
 * process, real gRPC) and a real payment database. What it publishes is read
 * back from its outbox, in the order the relay sends it.
 */

const WALLET_MAIN = path.join(import.meta.dirname, '..', '..', 'wallet', 'main.ts');
const log = pino({ level: process.env.SAGA_TEST_LOG ?? 'silent' });

interface Harness {
  db: Database<PaymentSchema>;
  wallets: WalletClient;
  saga: PaymentSaga;
  /** Rows handed to the relay, in order. */
  handedOver: OutboxRow[];
  /** Another payment service process on the same database (the canary, or a replica). */
  otherProcess(options?: { wallets?: WalletClient }): PaymentSaga;
  /** Opens a wallet for a new user with this much money in it (minor units). */
  fundedWallet(currency: string, minor: bigint): Promise<{ userId: string; walletId: string }>;
  /** Records a payment as the payment service's POST does: `pending` (the saga is not started). */
  accept(from: { userId: string; walletId: string }, to: { userId: string; walletId: string }, minor: bigint, currency?: string): Promise<string>;
  /** The detail-types the saga published for this payment, in order. */
  published(id: string): Promise<string[]>;
  payment(id: string): Promise<PaymentRow>;
  balance(walletId: string): Promise<{ available: bigint; frozen: bigint }>;
}

async function harness(t: TestContext): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-saga-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const walletProcess = await spawnService(
    WALLET_MAIN,
    { DATA_DIR: dir, WALLET_GRPC_PORT: '0', WALLET_CONSUMERS: 'off', WALLET_HOLD_SWEEP_INTERVAL_MS: '100' },
    (line) => (typeof line.address === 'string' ? line.address : undefined),
  );
  t.after(() => walletProcess.kill());
  const wallets = new WalletClient(walletProcess.ready);
  t.after(() => wallets.close());
  const db = await openDatabase<PaymentSchema>({ kind: 'sqlite', file: path.join(dir, 'payment.db') });
  t.after(() => db.close());
  await migrateToLatest(db.db, paymentMigrations);
  const handedOver: OutboxRow[] = [];
  const sagaOf = (w: WalletClient) => {
    const saga = new PaymentSaga({ database: db, wallets: w, log, onOutboxWritten: (rows) => handedOver.push(...rows), holdTtlSeconds: 60, idleSeconds: 1, retryBaseMs: 20, retryMaxMs: 100 });
    t.after(() => saga.stop());
    return saga;
  };
  const saga = sagaOf(wallets);

  return {
    db,
    wallets,
    saga,
    handedOver,
    otherProcess: (options = {}) => sagaOf(options.wallets ?? wallets),
    async fundedWallet(currency, minor) {
      const userId = randomUUID();
      const wallet = await wallets.openWallet(userId, currency, `open-${userId}`);
      if (minor > 0n) await wallets.updateBalance({ walletId: wallet.id, amountMinor: minor, currency, idempotencyKey: `fund-${userId}` });
      return { userId, walletId: wallet.id };
    },
    async accept(from, to, minor, currency = 'USD') {
      const id = randomUUID();
      const now = new Date().toISOString();
      const row: PaymentRow = {
        id,
        sender_id: from.userId,
        receiver_id: to.userId,
        sender_wallet_id: from.walletId,
        receiver_wallet_id: to.walletId,
        amount: minor,
        currency,
        note: null,
        status: 'pending',
        failure_reason: null,
        hold_id: null,
        idempotency_key: `key-${id}`,
        accepted_by: 'v1',
        created_at: now,
        updated_at: now,
      };
      await db.db.transaction().execute(async (trx) => {
        await trx.insertInto('payments').values(row).execute();
        await recordHistory(trx, [{ payment: row, detail: 'accepted' }]);
      });
      return id;
    },
    async published(id) {
      const rows = await db.db.selectFrom('outbox').selectAll().where('kind', '=', 'event').orderBy('seq').execute();
      return rows.map((r) => JSON.parse(r.payload) as DomainEvent).filter((e) => e.detail.transaction_id === id).map((e) => e.detailType);
    },
    async payment(id) {
      return db.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    },
    async balance(walletId) {
      const b = await wallets.getBalance(walletId);
      return { available: BigInt(b.available_minor), frozen: BigInt(b.frozen_minor) };
    },
  };
}

/** What a process that died mid-saga left: the hold reserved, the payment recorded up to `left` (funds_reserved or processing). */
async function reservedAndLeft(h: Harness, id: string, walletId: string, amountMinor: bigint, left: 'funds_reserved' | 'processing'): Promise<string> {
  const hold = await h.wallets.reserve({ walletId, amountMinor, currency: 'USD', idempotencyKey: `reserve:${id}`, reference: id, ttlSeconds: 60 });
  await h.db.db.transaction().execute(async (trx) => {
    const pending = await trx.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const steps: Step[] = [{ to: 'reservation_requested' }, { to: 'funds_reserved', holdId: hold.hold_id }, ...(left === 'processing' ? [{ to: 'processing' as const }] : [])];
    await transitions(trx, pending, steps);
  });
  return hold.hold_id;
}

/** Waits until the saga (driven in the background) has reached `status`. */
async function settles(h: Harness, id: string, status: PaymentRow['status']): Promise<void> {
  for (const deadline = Date.now() + 10_000; (await h.payment(id)).status !== status; ) {
    assert.ok(Date.now() < deadline, `payment ${id} reaches ${status}: still ${(await h.payment(id)).status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Pushes a payment's updated_at back, as if it had been still that long. */
async function stillFor(h: Harness, id: string, ms: number): Promise<void> {
  await h.db.db.updateTable('payments').set({ updated_at: new Date(Date.now() - ms).toISOString() }).where('id', '=', id).execute();
}

test('a payment is driven in process from accepted to completed: reserve, capture, every step published in order, the receiver gets exactly the amount', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 10_000n);
  const bob = await h.fundedWallet('USD', 0n);
  const id = await h.accept(alice, bob, 2_550n);
  await h.saga.drive(id);

  assert.deepEqual(await h.published(id), [
    TRANSACTION_EVENTS.fundsReservationRequested,
    TRANSACTION_EVENTS.fundsReserved,
    TRANSACTION_EVENTS.paymentProcessingRequested,
    TRANSACTION_EVENTS.completed,
  ]);
  assert.equal((await h.payment(id)).status, 'completed');
  assert.deepEqual(await h.balance(alice.walletId), { available: 7_450n, frozen: 0n });
  assert.deepEqual(await h.balance(bob.walletId), { available: 2_550n, frozen: 0n });
  const history = await h.db.db.selectFrom('payment_history').select('status').where('payment_id', '=', id).orderBy('seq').execute();
  assert.deepEqual(history.map((r) => r.status), ['pending', 'reservation_requested', 'funds_reserved', 'processing', 'completed']);
  // Two commits after the accept: the reservation's reply with the capture request, then the capture's.
  assert.deepEqual(h.handedOver.map((r) => (JSON.parse(r.payload) as DomainEvent).detailType), await h.published(id), 'every event handed to the relay as its commit happened');
  const details = (await h.db.db.selectFrom('outbox').select('payload').execute()).map((r) => (JSON.parse(r.payload) as DomainEvent).detail);
  assert.ok(details.every((d) => d.step_taken_by === 'payment-service'), 'marked as steps taken in process: the payment-saga rule does not route them back');
});

test('insufficient funds fail the payment at reservation: nothing is held, nothing moves', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 1_000n);
  const bob = await h.fundedWallet('USD', 0n);
  const id = await h.accept(alice, bob, 1_001n);
  await h.saga.drive(id);

  assert.deepEqual(await h.published(id), [TRANSACTION_EVENTS.fundsReservationRequested, TRANSACTION_EVENTS.failed]);
  const payment = await h.payment(id);
  assert.equal(payment.status, 'failed');
  assert.match(payment.failure_reason ?? '', /INSUFFICIENT_FUNDS/);
  assert.equal(payment.hold_id, null);
  assert.deepEqual(await h.balance(alice.walletId), { available: 1_000n, frozen: 0n });
  assert.deepEqual(await h.balance(bob.walletId), { available: 0n, frozen: 0n });
});

test('a payment that fails after funds are reserved releases them: the sender is made whole', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 5_000n);
  // The receiving wallet is in another currency, so the capture is refused after the reservation.
  const bob = await h.fundedWallet('EUR', 0n);
  const id = await h.accept(alice, bob, 3_000n);
  await h.saga.drive(id);

  assert.deepEqual(await h.published(id), [
    TRANSACTION_EVENTS.fundsReservationRequested,
    TRANSACTION_EVENTS.fundsReserved,
    TRANSACTION_EVENTS.paymentProcessingRequested,
    TRANSACTION_EVENTS.fundsReleaseRequested,
    TRANSACTION_EVENTS.fundsReleased,
    TRANSACTION_EVENTS.failed,
  ]);
  const payment = await h.payment(id);
  assert.equal(payment.status, 'failed');
  assert.ok(payment.hold_id, 'the hold that was released is recorded');
  assert.equal((await h.wallets.getHold(payment.hold_id!)).status, 'released');
  assert.deepEqual(await h.balance(alice.walletId), { available: 5_000n, frozen: 0n });
  assert.deepEqual(await h.balance(bob.walletId), { available: 0n, frozen: 0n });
});

test('a payment to a receiver whose wallet is suspended is compensated after the reservation', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 5_000n);
  const bob = await h.fundedWallet('USD', 0n);
  await h.wallets.setWalletStatus(bob.walletId, 'suspended', 'compliance review', `suspend-${bob.walletId}`);
  const id = await h.accept(alice, bob, 1_200n);
  await h.saga.drive(id);

  const payment = await h.payment(id);
  assert.equal(payment.status, 'failed');
  assert.match(payment.failure_reason ?? '', /WALLET_SUSPENDED/);
  assert.deepEqual(await h.balance(alice.walletId), { available: 5_000n, frozen: 0n });
  assert.deepEqual(await h.balance(bob.walletId), { available: 0n, frozen: 0n });
});

test('a saga driven by two processes at once, and again after it ended, moves money once and publishes each step once', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 10_000n);
  const bob = await h.fundedWallet('USD', 0n);
  const id = await h.accept(alice, bob, 1_000n);
  await Promise.all([h.saga.drive(id), h.saga.drive(id), h.otherProcess().drive(id), h.otherProcess().drive(id)]);
  await h.saga.drive(id);

  assert.equal((await h.payment(id)).status, 'completed');
  assert.deepEqual(await h.balance(alice.walletId), { available: 9_000n, frozen: 0n });
  assert.deepEqual(await h.balance(bob.walletId), { available: 1_000n, frozen: 0n });
  assert.deepEqual(await h.published(id), [
    TRANSACTION_EVENTS.fundsReservationRequested,
    TRANSACTION_EVENTS.fundsReserved,
    TRANSACTION_EVENTS.paymentProcessingRequested,
    TRANSACTION_EVENTS.completed,
  ]);
});

test('a saga whose process died between steps is resumed by the sweep once it has been still for its idle time', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 10_000n);
  const bob = await h.fundedWallet('USD', 0n);
  const id = await h.accept(alice, bob, 3_000n);
  // The process reserved and recorded it, then died before asking for the capture.
  await reservedAndLeft(h, id, alice.walletId, 3_000n, 'funds_reserved');

  const monitor = new StuckSagaMonitor({ db: h.db.db, saga: h.saga, log, stepTimeoutSeconds: 30, onOutboxWritten: () => {}, version: 'v1' });
  assert.equal(await monitor.sweep(), 0);
  assert.equal((await h.payment(id)).status, 'funds_reserved', 'a saga that moved a moment ago is its driver\'s');
  await stillFor(h, id, 1500);
  await monitor.sweep();
  await settles(h, id, 'completed');
  assert.deepEqual(await h.balance(alice.walletId), { available: 7_000n, frozen: 0n });
  assert.deepEqual(await h.balance(bob.walletId), { available: 3_000n, frozen: 0n });
});

test('a message about a saga is left to the process driving it, and takes over one left still', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 10_000n);
  const bob = await h.fundedWallet('USD', 0n);
  const id = await h.accept(alice, bob, 500n);
  const elsewhere = h.otherProcess();
  await elsewhere.onPaymentInitiated(`initiated-${id}`, id);
  assert.equal((await h.payment(id)).status, 'pending', 'just accepted: its own process is on it');
  await stillFor(h, id, 1500);
  await elsewhere.onPaymentInitiated(`initiated-${id}`, id);
  assert.equal((await h.payment(id)).status, 'completed');
  await elsewhere.onSagaEvent('late-event', TRANSACTION_EVENTS.fundsReserved, { transaction_id: id });
  assert.deepEqual(await h.balance(bob.walletId), { available: 500n, frozen: 0n });
});

test('a step refused because the wallet is unavailable is tried again after a backoff, and the saga completes once it answers', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 10_000n);
  const bob = await h.fundedWallet('USD', 0n);
  let refusals = 3;
  const flaky = Object.create(h.wallets) as WalletClient;
  flaky.capture = async (...args: Parameters<WalletClient['capture']>) => {
    if (refusals-- > 0) throw new PayMeshError('unavailable', 'SERVICE_UNAVAILABLE', 'wallet-service is unavailable');
    return h.wallets.capture(...args);
  };
  const saga = h.otherProcess({ wallets: flaky });
  const id = await h.accept(alice, bob, 700n);
  await saga.drive(id);
  assert.equal((await h.payment(id)).status, 'processing', 'waiting for the wallet, holding the funds');
  assert.ok(saga.isDriving(id), 'a retry is scheduled');
  await settles(h, id, 'completed');
  assert.deepEqual(await h.balance(bob.walletId), { available: 700n, frozen: 0n });
});

test('a saga whose reservation reply was lost is driven to an end by the stuck-saga monitor, holding nothing', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 10_000n);
  const bob = await h.fundedWallet('USD', 0n);
  const id = await h.accept(alice, bob, 4_000n);
  // The wallet reserved, but the saga never heard back: the hold exists and the payment still waits.
  await h.wallets.reserve({ walletId: alice.walletId, amountMinor: 4_000n, currency: 'USD', idempotencyKey: `reserve:${id}`, reference: id, ttlSeconds: 60 });
  assert.deepEqual(await h.balance(alice.walletId), { available: 6_000n, frozen: 4_000n });

  const monitor = new StuckSagaMonitor({ db: h.db.db, saga: h.saga, log, stepTimeoutSeconds: 30, onOutboxWritten: () => {} });
  assert.equal(await monitor.sweep(new Date(Date.now() + 31_000)), 1);
  await settles(h, id, 'failed');
  assert.match((await h.payment(id)).failure_reason ?? '', /timed out/);
  assert.deepEqual(await h.balance(alice.walletId), { available: 10_000n, frozen: 0n });
  assert.deepEqual(await h.balance(bob.walletId), { available: 0n, frozen: 0n });
});

test('a compensation that finds the capture already done completes the payment instead of undoing it', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 10_000n);
  const bob = await h.fundedWallet('USD', 0n);
  const id = await h.accept(alice, bob, 2_000n);
  // The saga asked for the capture and died; the capture happened without it hearing of it.
  const holdId = await reservedAndLeft(h, id, alice.walletId, 2_000n, 'processing');
  await h.wallets.capture(holdId, bob.walletId, `capture:${id}`);

  assert.equal(await h.saga.abandon(id, 'timed out in processing'), true);
  await settles(h, id, 'completed');
  assert.deepEqual(await h.balance(alice.walletId), { available: 8_000n, frozen: 0n });
  assert.deepEqual(await h.balance(bob.walletId), { available: 2_000n, frozen: 0n });
});
