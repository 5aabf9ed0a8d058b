import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { WalletClient } from '../../../clients/wallet-client.ts';
import { SAGA_STEP_EVENTS, TRANSACTION_EVENTS, type TransactionEventDetail } from '../../../contracts/events.ts';
import type { DomainEvent } from '../../../messaging/event-publisher.ts';
import { openDatabase, type Database } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrate.ts';
import { spawnService } from '../../../test/support/processes.ts';
import { paymentMigrations } from '../migrations/index.ts';
import { PaymentSaga } from '../saga/payment-saga.ts';
import { StuckSagaMonitor } from '../saga/stuck-sagas.ts';
import { recordHistory } from '../saga/transitions.ts';
import type { PaymentRow, PaymentSchema } from '../schema.ts';

/*
 * The saga's steps against a real wallet service (its own process, real gRPC)
 * and a real payment database. The bus is played by the test: it takes the
 * events the saga wrote to its outbox and hands the saga the ones its rule
 * routes back to it, exactly as the payment-saga queue would.
 */

const WALLET_MAIN = path.join(import.meta.dirname, '..', '..', 'wallet', 'main.ts');
const log = pino({ level: 'silent' });

interface Harness {
  db: Database<PaymentSchema>;
  wallets: WalletClient;
  saga: PaymentSaga;
  /** Opens a wallet for a new user with this much money in it (minor units). */
  fundedWallet(currency: string, minor: bigint): Promise<{ userId: string; walletId: string }>;
  /** Records a payment as the payment service's POST does: `pending`, with payment_initiated queued. */
  accept(from: { userId: string; walletId: string }, to: { userId: string; walletId: string }, minor: bigint, currency?: string): Promise<string>;
  /** Delivers what the saga published, round after round, until it publishes nothing more for itself. */
  runBus(): Promise<string[]>;
  payment(id: string): Promise<PaymentRow>;
  balance(walletId: string): Promise<{ available: bigint; frozen: bigint }>;
}

async function harness(t: TestContext, options: { walletHoldTtlSeconds?: number } = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-saga-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const walletProcess = await spawnService(
    WALLET_MAIN,
    { DATA_DIR: dir, WALLET_GRPC_PORT: '0', WALLET_CONSUMERS: 'off', WALLET_HOLD_TTL_SECONDS: String(options.walletHoldTtlSeconds ?? 900), WALLET_HOLD_SWEEP_INTERVAL_MS: '100' },
    (line) => (typeof line.address === 'string' ? line.address : undefined),
  );
  t.after(() => walletProcess.kill());
  const wallets = new WalletClient(walletProcess.ready);
  t.after(() => wallets.close());
  const db = await openDatabase<PaymentSchema>({ kind: 'sqlite', file: path.join(dir, 'payment.db') });
  t.after(() => db.close());
  await migrateToLatest(db.db, paymentMigrations);
  const saga = new PaymentSaga({ db: db.db, wallets, log, onOutboxWritten: () => {}, holdTtlSeconds: 60 });
  const delivered = new Set<string>();

  return {
    db,
    wallets,
    saga,
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
        await recordHistory(trx, row, 'accepted');
      });
      await saga.onPaymentInitiated(`initiated-${id}`, id);
      return id;
    },
    async runBus() {
      const seen: string[] = [];
      for (let round = 0; round < 20; round++) {
        const rows = await db.db.selectFrom('outbox').selectAll().where('kind', '=', 'event').orderBy('seq').execute();
        const fresh = rows.filter((r) => !delivered.has(r.id));
        if (fresh.length === 0) return seen;
        for (const row of fresh) {
          delivered.add(row.id);
          const event = JSON.parse(row.payload) as DomainEvent;
          seen.push(event.detailType);
          if ((SAGA_STEP_EVENTS as string[]).includes(event.detailType)) {
            await saga.onSagaEvent(row.id, event.detailType, event.detail as unknown as TransactionEventDetail);
          }
        }
      }
      throw new Error('the saga kept publishing for 20 rounds');
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

test('a payment reserves, captures and completes: the receiver gets exactly the amount', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 10_000n);
  const bob = await h.fundedWallet('USD', 0n);
  const id = await h.accept(alice, bob, 2_550n);
  const published = await h.runBus();

  assert.deepEqual(published, [
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
});

test('insufficient funds fail the payment at reservation: nothing is held, nothing moves', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 1_000n);
  const bob = await h.fundedWallet('USD', 0n);
  const id = await h.accept(alice, bob, 1_001n);
  const published = await h.runBus();

  assert.deepEqual(published, [TRANSACTION_EVENTS.fundsReservationRequested, TRANSACTION_EVENTS.failed]);
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
  const published = await h.runBus();

  assert.deepEqual(published, [
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
  await h.runBus();

  const payment = await h.payment(id);
  assert.equal(payment.status, 'failed');
  assert.match(payment.failure_reason ?? '', /WALLET_SUSPENDED/);
  assert.deepEqual(await h.balance(alice.walletId), { available: 5_000n, frozen: 0n });
  assert.deepEqual(await h.balance(bob.walletId), { available: 0n, frozen: 0n });
});

test('every saga message delivered twice applies once', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 10_000n);
  const bob = await h.fundedWallet('USD', 0n);
  const id = await h.accept(alice, bob, 1_000n);
  await h.saga.onPaymentInitiated(`initiated-${id}`, id);
  await h.runBus();
  // Redeliver every event the saga consumed, with the same message ids.
  const rows = await h.db.db.selectFrom('outbox').selectAll().where('kind', '=', 'event').orderBy('seq').execute();
  for (const row of rows) {
    const event = JSON.parse(row.payload) as DomainEvent;
    await h.saga.onSagaEvent(row.id, event.detailType, event.detail as unknown as TransactionEventDetail);
  }

  assert.equal((await h.payment(id)).status, 'completed');
  assert.deepEqual(await h.balance(alice.walletId), { available: 9_000n, frozen: 0n });
  assert.deepEqual(await h.balance(bob.walletId), { available: 1_000n, frozen: 0n });
  const again = await h.db.db.selectFrom('outbox').select((eb) => eb.fn.countAll<bigint>().as('n')).where('kind', '=', 'event').executeTakeFirstOrThrow();
  assert.equal(Number(again.n), rows.length, 'redelivery published nothing new');
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
  assert.equal(await monitor.sweep(new Date()), 0, 'a saga inside its step timeout is left alone');
  assert.equal(await monitor.sweep(new Date(Date.now() + 31_000)), 1);
  // The late funds_reservation_requested and the compensation both reach the saga.
  await h.runBus();

  const payment = await h.payment(id);
  assert.equal(payment.status, 'failed');
  assert.match(payment.failure_reason ?? '', /timed out/);
  assert.deepEqual(await h.balance(alice.walletId), { available: 10_000n, frozen: 0n });
  assert.deepEqual(await h.balance(bob.walletId), { available: 0n, frozen: 0n });
});

test('a compensation that finds the capture already done completes the payment instead of undoing it', async (t) => {
  const h = await harness(t);
  const alice = await h.fundedWallet('USD', 10_000n);
  const bob = await h.fundedWallet('USD', 0n);
  const id = await h.accept(alice, bob, 2_000n);
  // Run the saga up to the capture request, then let the capture happen without the saga hearing of it.
  const rows = async () => (await h.db.db.selectFrom('outbox').selectAll().where('kind', '=', 'event').orderBy('seq').execute()).map((r) => ({ id: r.id, event: JSON.parse(r.payload) as DomainEvent }));
  for (const { id: messageId, event } of (await rows()).slice(0, 1)) await h.saga.onSagaEvent(messageId, event.detailType, event.detail as unknown as TransactionEventDetail);
  for (const { id: messageId, event } of (await rows()).slice(1, 2)) await h.saga.onSagaEvent(messageId, event.detailType, event.detail as unknown as TransactionEventDetail);
  const inProcessing = await h.payment(id);
  assert.equal(inProcessing.status, 'processing');
  await h.wallets.capture(inProcessing.hold_id!, bob.walletId, `capture:${id}`);

  assert.equal(await h.saga.abandon(id, 'timed out in processing'), true);
  await h.runBus();

  assert.equal((await h.payment(id)).status, 'completed');
  assert.deepEqual(await h.balance(alice.walletId), { available: 8_000n, frozen: 0n });
  assert.deepEqual(await h.balance(bob.walletId), { available: 2_000n, frozen: 0n });
});
