import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { WalletClient } from '../../../clients/wallet-client.ts';
import { registry } from '../../../observability/metrics.ts';
import { openDatabase } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrate.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { paymentMigrations } from '../migrations/index.ts';
import { PaymentVersions } from '../saga/ownership.ts';
import { PaymentSaga } from '../saga/payment-saga.ts';
import { StuckSagaMonitor } from '../saga/stuck-sagas.ts';
import type { PaymentSchema, PaymentStatus } from '../schema.ts';
import { paymentRow } from './support.ts';

/*
 * The canary's weight holds for the saga's steps too: a payment accepted by
 * one version is driven by that version. The other version leaves the
 * messages and still sagas about it alone while the accepting version is
 * alive, and takes them over once it is gone (or silent for three idle
 * times), so no payment is ever stranded. No wallet is needed: `drive` is
 * recorded instead of run.
 */

const log = pino({ level: 'silent' });
const IDLE_SECONDS = 1;

for (const target of await testDatabases()) {
  const setUp = async (t: TestContext) => {
    const { config, cleanup } = await target.create();
    const database = await openDatabase<PaymentSchema>(config);
    await migrateToLatest(database.db, paymentMigrations);
    const wallets = new WalletClient('127.0.0.1:1');
    t.after(async () => {
      wallets.close();
      await database.close();
      await cleanup();
    });
    const versions = new PaymentVersions(database.db, { cacheMs: 0 });
    /** One payment version's saga and monitor on the shared database; what it would drive is recorded. */
    const version = (name: string) => {
      const saga = new PaymentSaga({ database, wallets, log, onOutboxWritten: () => {}, holdTtlSeconds: 60, idleSeconds: IDLE_SECONDS, version: name, versions });
      const driven: string[] = [];
      saga.drive = async (paymentId: string) => void driven.push(paymentId);
      const monitor = new StuckSagaMonitor({ db: database.db, saga, log, stepTimeoutSeconds: 120, onOutboxWritten: () => {}, version: name, versions, aliveForMs: 60_000 });
      return { saga, monitor, driven };
    };
    const accepted = async (by: string, status: PaymentStatus, stillSeconds: number) => {
      const row = paymentRow(status, stillSeconds, { accepted_by: by });
      await database.db.insertInto('payments').values(row).execute();
      return row.id;
    };
    return { database, versions, version, accepted };
  };

  test(`${target.name}: a payment_initiated message about a payment v1 accepted is left for v1 by v2`, { skip: target.skip }, async (t) => {
    const { versions, version, accepted } = await setUp(t);
    await versions.heartbeat('v1', 60_000);
    const v2 = version('v2');
    const before = await leftForOwner('v1', 'payment-processing');
    // Still for two idle times: v2 would have taken it over before; v1 is alive, so its own sweep resumes it.
    const id = await accepted('v1', 'pending', 2 * IDLE_SECONDS);
    await v2.saga.onPaymentInitiated('m-1', id);
    assert.deepEqual(v2.driven, [], 'v2 left it for v1');
    assert.equal(await leftForOwner('v1', 'payment-processing'), before + 1, 'counted as left for its owner');

    const v1 = version('v1');
    await v1.saga.onPaymentInitiated('m-1', id);
    assert.deepEqual(v1.driven, [id], 'the accepting version takes its own message');
  });

  test(`${target.name}: a payment-saga step about a payment v1 accepted is left for v1 by v2`, { skip: target.skip }, async (t) => {
    const { versions, version, accepted } = await setUp(t);
    await versions.heartbeat('v1', 60_000);
    const v2 = version('v2');
    const id = await accepted('v1', 'funds_reserved', 2 * IDLE_SECONDS);
    await v2.saga.onSagaEvent('m-2', 'Transaction funds_reserved', { transaction_id: id });
    assert.deepEqual(v2.driven, []);
  });

  test(`${target.name}: a payment whose accepting version is gone is taken over after one idle time, never stranded`, { skip: target.skip }, async (t) => {
    const { versions, version, accepted } = await setUp(t);
    const v2 = version('v2');
    // v1 never said it was alive (PAYMENT_CONSUMERS=off, or never started): taken over after one idle time, as before.
    const neverAlive = await accepted('v1', 'pending', 2 * IDLE_SECONDS);
    await v2.saga.onPaymentInitiated('m-3', neverAlive);
    assert.deepEqual(v2.driven, [neverAlive]);

    // v1 was alive and stopped (retired): its still sagas are v2's at once.
    await versions.heartbeat('v1', 60_000);
    const stopped = await accepted('v1', 'processing', 2 * IDLE_SECONDS);
    await v2.saga.onPaymentInitiated('m-4', stopped);
    assert.deepEqual(v2.driven, [neverAlive], 'alive: left');
    await versions.retire('v1');
    await v2.saga.onPaymentInitiated('m-4', stopped);
    assert.deepEqual(v2.driven, [neverAlive, stopped], 'retired: taken over');

    // v1 died without a word: its heartbeat runs out.
    await versions.heartbeat('v1', 1, new Date(Date.now() - 10_000));
    const died = await accepted('v1', 'reservation_requested', 2 * IDLE_SECONDS);
    await v2.saga.onSagaEvent('m-5', 'Transaction funds_reservation_requested', { transaction_id: died });
    assert.deepEqual(v2.driven, [neverAlive, stopped, died]);
  });

  test(`${target.name}: a live version that leaves its saga still for three idle times has it taken over`, { skip: target.skip }, async (t) => {
    const { versions, version, accepted } = await setUp(t);
    await versions.heartbeat('v1', 60_000);
    const v2 = version('v2');
    const id = await accepted('v1', 'pending', 3 * IDLE_SECONDS + 1);
    await v2.saga.onPaymentInitiated('m-6', id);
    assert.deepEqual(v2.driven, [id]);
  });

  test(`${target.name}: the sweep says its version is alive, resumes its own sagas and leaves a live version's to it`, { skip: target.skip }, async (t) => {
    const { database, versions, version, accepted } = await setUp(t);
    const v1 = version('v1');
    const v2 = version('v2');
    await v1.monitor.sweep();
    const row = await database.db.selectFrom('payment_versions').selectAll().where('version', '=', 'v1').executeTakeFirstOrThrow();
    assert.ok(row.alive_until > new Date().toISOString(), 'v1 is alive after its sweep');
    assert.equal(await versions.isAlive('v1'), true);

    const ofV1 = await accepted('v1', 'pending', 2 * IDLE_SECONDS);
    const ofV2 = await accepted('v2', 'pending', 2 * IDLE_SECONDS);
    await v2.monitor.sweep();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(v2.driven, [ofV2], 'v2 resumes its own and leaves v1\'s');
    await v1.monitor.sweep();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(v1.driven, [ofV1]);

    // v1 stops: v2's next sweep takes its saga over.
    await v1.monitor.retire();
    await v2.monitor.sweep();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(v2.driven.slice(1).sort(), [ofV1, ofV2].sort(), 'its own again, and v1\'s');
  });

  test(`${target.name}: a stuck saga of a live version is compensated by that version, not the other`, { skip: target.skip }, async (t) => {
    const { versions, version, accepted } = await setUp(t);
    await versions.heartbeat('v1', 60_000);
    const v2 = version('v2');
    const id = await accepted('v1', 'processing', 121);
    const abandoned: string[] = [];
    v2.saga.abandon = async (paymentId: string) => (abandoned.push(paymentId), true);
    assert.equal(await v2.monitor.sweep(), 1, 'counted as stuck');
    assert.deepEqual(abandoned, [], 'left for v1');
    await versions.retire('v1');
    await v2.monitor.sweep();
    assert.deepEqual(abandoned, [id], 'v1 gone: compensated by v2');
  });
}

async function leftForOwner(acceptedBy: string, source: string): Promise<number> {
  const metric = await registry.getSingleMetric('saga_left_for_owner_total')!.get();
  return metric.values.find((v) => v.labels.accepted_by === acceptedBy && v.labels.source === source)?.value ?? 0;
}
