import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { WalletClient } from '../../../clients/wallet-client.ts';
import { TRANSACTION_EVENTS } from '../../../contracts/events.ts';
import { createHttpApp } from '../../../core/http-app.ts';
import { createSqsClient } from '../../../messaging/aws.ts';
import { ParkedMessages } from '../../../messaging/parked-messages.ts';
import { QueueDirectory } from '../../../messaging/queue-directory.ts';
import { openDatabase } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrate.ts';
import { paymentMigrations } from '../migrations/index.ts';
import { paymentAdminRoutes } from '../routes-admin.ts';
import { PaymentSaga } from '../saga/payment-saga.ts';
import { StuckSagaMonitor } from '../saga/stuck-sagas.ts';
import type { PaymentSchema, PaymentStatus } from '../schema.ts';
import { paymentRow } from './support.ts';

const log = pino({ level: 'silent' });

/** The payment service's operator endpoints over a real database; driving a saga to its end never calls the wallet. */
async function service(t: TestContext) {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-payment-admin-'));
  const database = await openDatabase<PaymentSchema>({ kind: 'sqlite', file: path.join(dir, 'payment.db') });
  await migrateToLatest(database.db, paymentMigrations);
  const wallets = new WalletClient('127.0.0.1:1');
  const sqs = createSqsClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1', embedded: true });
  const saga = new PaymentSaga({ database, wallets, log, onOutboxWritten: () => {}, holdTtlSeconds: 60 });
  const monitor = new StuckSagaMonitor({ db: database.db, saga, log, stepTimeoutSeconds: 120, onOutboxWritten: () => {} });
  const app = createHttpApp({ log });
  paymentAdminRoutes(app, { db: database.db, monitor, stepTimeoutSeconds: 120, parked: new ParkedMessages(database.db), sqs, directory: new QueueDirectory(sqs) });
  t.after(async () => {
    await app.close();
    wallets.close();
    sqs.destroy();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const payment = async (status: PaymentStatus, idleSeconds: number) => {
    const row = paymentRow(status, idleSeconds, status === 'compensating' ? { failure_reason: 'wallet refused', hold_id: 'hold-1' } : {});
    await database.db.insertInto('payments').values(row).execute();
    await database.db.insertInto('payment_history').values({ payment_id: row.id, seq: 1n, status, detail: null, at: row.updated_at }).execute();
    return row.id;
  };
  const outboxEvents = async (id: string) =>
    (await database.db.selectFrom('outbox').select('payload').execute())
      .map((r) => JSON.parse(r.payload) as { detailType: string; detail: { transaction_id: string } })
      .filter((e) => e.detail.transaction_id === id)
      .map((e) => e.detailType);
  return { app, payment, outboxEvents };
}

test('sagas are listed newest first by state, with age, idle time and the stuck ones flagged', async (t) => {
  const { app, payment } = await service(t);
  const stuck = await payment('reservation_requested', 45);
  const moving = await payment('processing', 1);
  const done = await payment('completed', 3600);

  const all = (await app.inject({ url: '/admin/sagas' })).json();
  assert.deepEqual(new Set(all.sagas.map((s: { id: string }) => s.id)), new Set([stuck, moving, done]));
  assert.deepEqual([all.counts.reservation_requested, all.counts.processing, all.counts.completed, all.counts.failed], [1, 1, 1, 0]);
  assert.equal(all.stuck, 1);
  assert.equal(all.stuck_after_seconds, 30);
  const byId = new Map(all.sagas.map((s: { id: string }) => [s.id, s]));
  assert.deepEqual(
    [stuck, moving, done].map((id) => (byId.get(id) as { stuck: boolean }).stuck),
    [true, false, false],
    'a finished saga is never stuck, however old',
  );
  assert.ok((byId.get(stuck) as { idle_seconds: number }).idle_seconds >= 45);
  assert.equal((byId.get(done) as { amount: string }).amount, '12.50');

  assert.deepEqual((await app.inject({ url: '/admin/sagas?stuck=true' })).json().sagas.map((s: { id: string }) => s.id), [stuck]);
  assert.deepEqual(new Set((await app.inject({ url: '/admin/sagas?state=active' })).json().sagas.map((s: { id: string }) => s.id)), new Set([stuck, moving]));
  assert.deepEqual((await app.inject({ url: '/admin/sagas?state=completed' })).json().sagas.map((s: { id: string }) => s.id), [done]);
  assert.equal((await app.inject({ url: '/admin/sagas?state=lost' })).statusCode, 400);
});

test('an operator drives a saga to its end: an unfinished one is compensated, a stalled compensation asks for the release again, an ended one is left', async (t) => {
  const { app, payment, outboxEvents } = await service(t);
  const drive = (id: string) => app.inject({ method: 'POST', url: `/admin/sagas/${id}/drive`, payload: { reason: 'wallet outage', operator_id: 'ops-1' } });

  const stuck = await payment('reservation_requested', 600);
  const driven = (await drive(stuck)).json();
  assert.deepEqual([driven.outcome, driven.state_before, driven.saga.state], ['compensation_started', 'reservation_requested', 'compensating']);
  assert.equal(driven.saga.history.at(-1).detail, 'driven to its end by operator ops-1: wallet outage');
  assert.equal(driven.saga.failure_reason, 'driven to its end by operator ops-1: wallet outage');
  assert.deepEqual(await outboxEvents(stuck), [TRANSACTION_EVENTS.fundsReleaseRequested]);

  const again = (await drive(stuck)).json();
  assert.deepEqual([again.outcome, again.saga.state], ['release_requested_again', 'compensating']);
  assert.match(again.saga.history.at(-1).detail, /; release requested again$/);
  assert.deepEqual(await outboxEvents(stuck), [TRANSACTION_EVENTS.fundsReleaseRequested, TRANSACTION_EVENTS.fundsReleaseRequested]);

  const ended = await payment('failed', 10);
  assert.equal((await drive(ended)).json().outcome, 'already_ended');
  assert.deepEqual(await outboxEvents(ended), []);

  const missing = await drive(randomUUID());
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'SAGA_NOT_FOUND');
  const detail = (await app.inject({ url: `/admin/sagas/${stuck}` })).json();
  assert.deepEqual(detail.history.map((h: { status: string }) => h.status), ['reservation_requested', 'compensating', 'compensating']);
});
