import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { EVENT_BUS_NAME, TRANSACTION_EVENTS } from '../../../contracts/events.ts';
import { addToOutbox } from '../../../messaging/outbox.ts';
import { gauge } from '../../../observability/metrics.ts';
import type { PaymentRow, PaymentSchema } from '../schema.ts';
import type { PaymentSaga } from './payment-saga.ts';
import { recordHistory, sagaEvent } from './transitions.ts';

const stuckSagas = gauge('saga_stuck', 'Payment sagas past their step timeout at the last sweep');

/**
 * Finds sagas that stopped making progress (a lost reply, a wallet down for
 * longer than the step timeout, an expired hold) and drives them to an end:
 * a saga stuck before completion is compensated, and a compensation that
 * stalls has its release requested again. Every saga ends.
 */
export class StuckSagaMonitor {
  private readonly db: Kysely<PaymentSchema>;
  private readonly saga: PaymentSaga;
  private readonly log: Logger;
  private readonly stepTimeoutSeconds: number;
  private readonly onOutboxWritten: () => void;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(options: { db: Kysely<PaymentSchema>; saga: PaymentSaga; log: Logger; stepTimeoutSeconds: number; onOutboxWritten: () => void }) {
    this.db = options.db;
    this.saga = options.saga;
    this.log = options.log;
    this.stepTimeoutSeconds = options.stepTimeoutSeconds;
    this.onOutboxWritten = options.onOutboxWritten;
  }

  async sweep(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.stepTimeoutSeconds * 1000).toISOString();
    const stuck = await this.db
      .selectFrom('payments')
      .selectAll()
      .where('status', 'in', ['pending', 'reservation_requested', 'funds_reserved', 'processing', 'compensating'])
      .where('updated_at', '<', cutoff)
      .orderBy('updated_at')
      .limit(100)
      .execute();
    stuckSagas.set(stuck.length);
    for (const payment of stuck) {
      await this.driveToEnd(payment, `timed out after ${this.stepTimeoutSeconds} s in ${payment.status}`, now);
      this.log.warn({ paymentId: payment.id, status: payment.status }, 'stuck saga driven towards its end');
    }
    return stuck.length;
  }

  /**
   * Drives one saga towards its end, as the sweep does for stuck ones (and an
   * operator may for any): one that had not finished is compensated; one
   * whose compensation stalled has its release requested again.
   */
  async driveToEnd(payment: PaymentRow, reason: string, now = new Date()): Promise<'compensation_started' | 'release_requested_again' | 'already_ended'> {
    if (payment.status === 'compensating') {
      const touched = { ...payment, updated_at: now.toISOString() };
      const moved = await this.db.transaction().execute(async (trx) => {
        const updated = await trx.updateTable('payments').set({ updated_at: touched.updated_at }).where('id', '=', payment.id).where('status', '=', 'compensating').executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) return false;
        await recordHistory(trx, touched, `${reason}; release requested again`);
        await addToOutbox(trx, [{ event: sagaEvent(touched, TRANSACTION_EVENTS.fundsReleaseRequested, 'compensating', { reason: payment.failure_reason ?? reason }), bus: EVENT_BUS_NAME }]);
        return true;
      });
      if (!moved) return 'already_ended';
      this.onOutboxWritten();
      return 'release_requested_again';
    }
    return (await this.saga.abandon(payment.id, reason)) ? 'compensation_started' : 'already_ended';
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.running = this.sweep().catch((err) => this.log.error({ err }, 'stuck saga sweep failed'));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
