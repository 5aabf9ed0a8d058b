import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { EVENT_BUS_NAME, TRANSACTION_EVENTS } from '../../../contracts/events.ts';
import type { OutboxRow } from '../../../messaging/outbox-schema.ts';
import { addToOutbox } from '../../../messaging/outbox.ts';
import { gauge } from '../../../observability/metrics.ts';
import { detached } from '../../../observability/tracing.ts';
import { inTransaction } from '../../../storage/transaction.ts';
import type { PaymentRow, PaymentSchema } from '../schema.ts';
import { claimSaga, type PaymentVersions } from './ownership.ts';
import type { PaymentSaga } from './payment-saga.ts';
import { recordHistory, sagaEvent } from './transitions.ts';

const stuckSagas = gauge('saga_stuck', 'Payment sagas past their step timeout at the last sweep');

const UNFINISHED = ['pending', 'reservation_requested', 'funds_reserved', 'processing', 'compensating'] as const;

/**
 * Every saga ends. The sweep (every few seconds, and once at start) looks at
 * the sagas that have been still for a while:
 * - still for the saga's idle time and driven by no one here: resumed from
 *   its durable status (the process driving it died between steps);
 * - still for longer than the step timeout (a wallet down for that long, an
 *   expired hold, a lost reply): driven to an end by compensation, which
 *   releases whatever is held; a compensation that stalls has its release
 *   requested again.
 * Sagas accepted by another version (the canary) are that version's to
 * resume and, past the step timeout, to compensate, while it is alive
 * (`payment_versions`, which each sweep refreshes for its own version); this
 * one takes them over once that version is gone, or after three more idle
 * times if it is alive but silent.
 */
export class StuckSagaMonitor {
  private readonly db: Kysely<PaymentSchema>;
  private readonly saga: PaymentSaga;
  private readonly log: Logger;
  private readonly stepTimeoutSeconds: number;
  private readonly onOutboxWritten: (rows: OutboxRow[]) => void;
  private readonly version: string | undefined;
  private readonly versions: PaymentVersions | undefined;
  private readonly aliveForMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(options: {
    db: Kysely<PaymentSchema>;
    saga: PaymentSaga;
    log: Logger;
    stepTimeoutSeconds: number;
    onOutboxWritten: (rows: OutboxRow[]) => void;
    version?: string;
    /** Where each sweep says this version is alive, and where it learns whether the others are. */
    versions?: PaymentVersions;
    /** How long one sweep's word holds (a few sweep intervals). */
    aliveForMs?: number;
  }) {
    this.db = options.db;
    this.saga = options.saga;
    this.log = options.log;
    this.stepTimeoutSeconds = options.stepTimeoutSeconds;
    this.onOutboxWritten = options.onOutboxWritten;
    this.version = options.version;
    this.versions = options.versions;
    this.aliveForMs = options.aliveForMs ?? 3 * Math.max(5000, this.saga.idleMs);
  }

  /** One sweep; returns how many sagas were past their step timeout. */
  async sweep(now = new Date()): Promise<number> {
    if (this.version && this.versions) await this.versions.heartbeat(this.version, this.aliveForMs, now);
    const idleCutoff = new Date(now.getTime() - this.saga.idleMs).toISOString();
    const stuckCutoff = new Date(now.getTime() - this.stepTimeoutSeconds * 1000).toISOString();
    const still = await this.db
      .selectFrom('payments')
      .selectAll()
      .where('status', 'in', UNFINISHED)
      .where('updated_at', '<', idleCutoff)
      .orderBy('updated_at')
      .limit(100)
      .execute();
    const stuck = still.filter((p) => p.updated_at < stuckCutoff);
    stuckSagas.set(stuck.length);
    for (const payment of still) {
      const claim = await claimSaga(payment, {
        version: this.version,
        versions: this.versions,
        idleMs: this.saga.idleMs,
        // Past the step timeout, a live owner's saga is compensated here only if it has not done so three idle times later.
        silentAfterMs: (payment.updated_at < stuckCutoff ? this.stepTimeoutSeconds * 1000 : 0) + 3 * this.saga.idleMs,
        now,
        source: 'sweep',
      });
      if (claim === 'leave') continue;
      if (payment.updated_at < stuckCutoff) {
        await this.driveToEnd(payment, `timed out after ${this.stepTimeoutSeconds} s in ${payment.status}`, now);
        this.log.warn({ paymentId: payment.id, status: payment.status }, 'stuck saga driven towards its end');
      } else if (!this.saga.isDriving(payment.id)) {
        this.log.info({ paymentId: payment.id, status: payment.status, acceptedBy: payment.accepted_by, claim }, 'resuming a saga left still');
        // Not awaited: one saga waiting for its wallet does not hold up the others.
        void detached(() => this.saga.drive(payment.id));
      }
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
      const written = await inTransaction(this.db, async (trx) => {
        const updated = await trx.updateTable('payments').set({ updated_at: touched.updated_at }).where('id', '=', payment.id).where('status', '=', 'compensating').executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) return undefined;
        await recordHistory(trx, [{ payment: touched, detail: `${reason}; release requested again` }]);
        const event = sagaEvent(touched, TRANSACTION_EVENTS.fundsReleaseRequested, 'compensating', { reason: payment.failure_reason ?? reason });
        return addToOutbox(trx, [{ event, bus: EVENT_BUS_NAME }], touched.updated_at, { handOff: true });
      });
      if (!written) return 'already_ended';
      this.onOutboxWritten(written);
      void this.saga.drive(payment.id);
      return 'release_requested_again';
    }
    return (await this.saga.abandon(payment.id, reason)) ? 'compensation_started' : 'already_ended';
  }

  /** Sweeps now (resuming what the last process left) and then every `intervalMs`. */
  start(intervalMs: number): void {
    const sweep = () => {
      this.running = this.sweep().catch((err) => this.log.error({ err }, 'stuck saga sweep failed'));
    };
    sweep();
    this.timer = setInterval(sweep, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** This version stops: the others take its still sagas over after one idle time instead of three. */
  async retire(): Promise<void> {
    if (this.version && this.versions) await this.versions.retire(this.version).catch((err) => this.log.warn({ err }, 'could not withdraw this version from payment_versions'));
  }
}
