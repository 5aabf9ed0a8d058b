import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { WalletClient } from '../../../clients/wallet-client.ts';
import { isPayMeshError, type PayMeshError } from '../../../contracts/errors.ts';
import { TRANSACTION_EVENTS } from '../../../contracts/events.ts';
import { backoffMs } from '../../../core/backoff.ts';
import type { OutboxRow } from '../../../messaging/outbox-schema.ts';
import { detached, withSpan } from '../../../observability/tracing.ts';
import { inTransaction, inTransactionWithoutWaitingForDisk, type DatabaseHandle } from '../../../storage/transaction.ts';
import { TERMINAL, type PaymentRow, type PaymentSchema } from '../schema.ts';
import { claimSaga, type PaymentVersions } from './ownership.ts';
import { sagaEvent, transitions, type Step } from './transitions.ts';

export interface PaymentSagaDeps {
  /** The payment database: a step the saga goes on from at once commits without waiting for the disk (see `commit`). */
  database: DatabaseHandle<PaymentSchema>;
  wallets: WalletClient;
  log: Logger;
  /** Hands the outbox rows a committed step wrote to the relay, which publishes them at once. */
  onOutboxWritten: (rows: OutboxRow[]) => void;
  holdTtlSeconds: number;
  /**
   * How long a saga must have been still (no step recorded) before a message
   * about it or another process takes it over: until then the process that
   * recorded its last step is taking the next one.
   */
  idleSeconds?: number;
  /** Retry delays while a dependency is unavailable (exponential with jitter, or the breaker's Retry-After). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * This process's version (PAYMENT_SERVICE_VERSION). A message about a payment
   * another version accepted is left for that version while it is alive
   * (`versions`), unless it has left the saga still for three idle times.
   */
  version?: string;
  versions?: PaymentVersions;
}

/** Consumer names in the inbox: one per queue this service reads. */
export const CONSUMERS = { paymentProcessing: 'payment-processing', saga: 'payment-saga' } as const;

/** The payment as the step left it, or 'overtaken' when another driver had moved it first. */
type StepOutcome = PaymentRow | 'overtaken';

/**
 * The payment saga, driven in process. Each step calls the wallet (outside
 * any transaction), then commits its state change and the events it causes
 * in one transaction (the outbox), and the service takes the next step at
 * once instead of waiting for its own event to come back through the bus.
 * Every step's event is still published, seed-shaped, for the transaction,
 * notification and audit services and anyone else on the bus.
 *
 * pending ─reserve─▶ reservation_requested → funds_reserved → processing ─capture─▶ completed
 *    └─────────────────────┴─ refused ─▶ failed          capture refused ─▶ compensating ─release─▶ failed
 *
 * What happens between two wallet calls commits together: a reservation's
 * reply and the capture request after it are one commit (three history rows,
 * three events). Every wallet call carries an idempotency key derived from
 * the payment id and every transition is conditional on the status it
 * expects, so a step taken twice (two drivers, a redelivered message, a
 * resume after a crash) moves money once. A crash between steps leaves the
 * durable status; the stuck-saga monitor's sweep (and the first one at
 * start) resumes every saga left still for `idleSeconds`.
 */
export class PaymentSaga {
  private readonly deps: PaymentSagaDeps;
  private readonly driving = new Map<string, Promise<void>>();
  private readonly retries = new Map<string, { timer: NodeJS.Timeout; attempt: number }>();
  private readonly again = new Set<string>();
  /** Outbox rows committed by a drive under way, handed to the relay together when it stops. */
  private readonly unpublished = new Map<string, OutboxRow[]>();
  /** Drives under way whose last commit did not wait for the disk. */
  private readonly undurable = new Set<string>();
  private stopped = false;

  constructor(deps: PaymentSagaDeps) {
    this.deps = deps;
  }

  get idleMs(): number {
    return (this.deps.idleSeconds ?? 5) * 1000;
  }

  /** Whether this process is driving the saga right now (or will retry it shortly). */
  isDriving(paymentId: string): boolean {
    return this.driving.has(paymentId) || this.retries.has(paymentId);
  }

  /**
   * Drives a saga from its durable status, step after step, to its end; if
   * a dependency is unavailable, it tries again after a backoff. Resolves
   * when the saga ended or waits for such a retry. One driver per saga in
   * this process: a second call joins the first.
   */
  drive(paymentId: string): Promise<void> {
    const running = this.driving.get(paymentId);
    if (running) {
      // Its status may have changed under the running driver (an operator, the monitor): it looks again once done.
      this.again.add(paymentId);
      return running;
    }
    const retry = this.retries.get(paymentId);
    if (retry) clearTimeout(retry.timer);
    const run = (async () => {
      try {
        do {
          this.again.delete(paymentId);
          await this.advance(paymentId);
        } while (this.again.has(paymentId));
        this.retries.delete(paymentId);
      } catch (err) {
        this.retryLater(paymentId, err, retry?.attempt ?? 0);
      }
      // Still this saga's driver meanwhile: no other drive's steps can join what is published here.
      await this.publishDriven(paymentId);
    })().finally(() => {
      this.driving.delete(paymentId);
      // Asked for while the last steps were being published: look again.
      if (this.again.delete(paymentId)) void this.drive(paymentId);
    });
    this.driving.set(paymentId, run);
    return run;
  }

  /** `payment_initiated` from the payment-processing queue: the saga of a payment that was left still is taken over. */
  async onPaymentInitiated(_messageId: string, paymentId: string): Promise<void> {
    await this.takeOverIfIdle(paymentId, 'payment-processing');
  }

  /** A `Transaction <event>` from the payment-saga queue (a participant other than this service): the saga is driven on from its status. */
  async onSagaEvent(_messageId: string, detailType: string, detail: { transaction_id: string }): Promise<void> {
    this.deps.log.debug({ detailType, paymentId: detail.transaction_id }, 'saga event from another participant');
    await this.takeOverIfIdle(detail.transaction_id, 'payment-saga');
  }

  /**
   * Drives a saga that stopped making progress to an end: compensation
   * releases whatever is held. Returns whether compensation started.
   */
  async abandon(paymentId: string, reason: string): Promise<boolean> {
    const payment = await this.load(paymentId);
    if (!payment || !['pending', 'reservation_requested', 'funds_reserved', 'processing'].includes(payment.status)) return false;
    const outcome = await this.commit(payment, [
      { to: 'compensating', detail: reason, failureReason: reason, events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.fundsReleaseRequested, 'compensating', { reason })] },
    ]);
    if (outcome === 'overtaken') return false;
    void this.drive(paymentId);
    return true;
  }

  /** Cancels pending retries and waits for the steps under way; their sagas are resumed by the next process. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    await Promise.allSettled([...this.driving.values()]);
  }

  private async takeOverIfIdle(paymentId: string, source: 'payment-processing' | 'payment-saga'): Promise<void> {
    const payment = await this.load(paymentId);
    if (!payment) {
      this.deps.log.warn({ paymentId }, 'saga message for an unknown payment; dropping it');
      return;
    }
    if (TERMINAL.has(payment.status) || this.isDriving(paymentId)) return;
    // Recently moved: the process that recorded the step is taking the next one; the sweep covers it if that process died.
    if (Date.now() - Date.parse(payment.updated_at) < this.idleMs) return;
    // Accepted by another version that is alive: its own sweep resumes it (the message carries nothing its durable status
    // does not), so the weight holds for the saga's steps too. Taken over if that version is gone or silent for long.
    const claim = await claimSaga(payment, { version: this.deps.version, versions: this.deps.versions, idleMs: this.idleMs, source });
    if (claim === 'leave') {
      this.deps.log.debug({ paymentId, acceptedBy: payment.accepted_by, source }, 'saga message left for the version that accepted the payment');
      return;
    }
    if (claim !== 'own') this.deps.log.info({ paymentId, acceptedBy: payment.accepted_by, claim, source }, 'taking over a saga another version accepted');
    await this.drive(paymentId);
  }

  private async advance(paymentId: string): Promise<void> {
    let payment = await this.load(paymentId);
    // A saga has at most five steps; the bound only guards against a bug looping forever.
    for (let steps = 0; steps < 10 && !this.stopped && payment && !TERMINAL.has(payment.status); steps++) {
      const current: PaymentRow = payment;
      const outcome = await withSpan(`payment.saga.${current.status}`, { attributes: { transaction_id: paymentId, 'saga.expected_status': current.status } }, async (span) => {
        const result = await this.step(current);
        span.setAttribute('saga.outcome', result === 'overtaken' ? result : 'moved');
        return result;
      });
      if (outcome === 'overtaken') return;
      payment = outcome;
    }
  }

  private step(payment: PaymentRow): Promise<StepOutcome> {
    switch (payment.status) {
      case 'pending':
      case 'reservation_requested':
        return this.reserve(payment);
      case 'funds_reserved':
        return this.commit(payment, [processingRequested()]);
      case 'processing':
        return this.capture(payment);
      case 'compensating':
        return this.release(payment);
      default:
        return Promise.resolve('overtaken');
    }
  }

  private async reserve(payment: PaymentRow): Promise<StepOutcome> {
    const requested: Step[] =
      payment.status === 'pending'
        ? [{ to: 'reservation_requested', at: new Date().toISOString(), events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.fundsReservationRequested, 'reservation_requested')] }]
        : [];
    let holdId: string;
    try {
      holdId = (await this.deps.wallets.reserve(this.reservation(payment))).hold_id;
    } catch (err) {
      // Refused by the wallet (insufficient funds, ...): nothing was reserved, so the saga simply fails.
      const reason = refusal(err);
      return this.commit(payment, [...requested, { to: 'failed', failureReason: reason, events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.failed, 'failed', { reason })] }]);
    }
    return this.commit(payment, [
      ...requested,
      { to: 'funds_reserved', holdId, events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.fundsReserved, 'funds_reserved', { hold_id: holdId })] },
      processingRequested(),
    ]);
  }

  private async capture(payment: PaymentRow): Promise<StepOutcome> {
    try {
      await this.deps.wallets.capture(payment.hold_id!, payment.receiver_wallet_id, `capture:${payment.id}`);
    } catch (err) {
      const reason = refusal(err);
      return this.commit(payment, [
        { to: 'compensating', failureReason: reason, detail: reason, events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.fundsReleaseRequested, 'compensating', { reason })] },
      ]);
    }
    return this.commit(payment, [{ to: 'completed', events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.completed, 'completed')] }]);
  }

  private async release(payment: PaymentRow): Promise<StepOutcome> {
    const reason = payment.failure_reason ?? 'payment failed';
    // If the reservation's reply was lost, the hold id is unknown: asking again with the same
    // idempotency key returns that hold (or makes one), which is then released. Net effect: nothing held.
    let holdId = payment.hold_id;
    if (!holdId) {
      try {
        holdId = (await this.deps.wallets.reserve(this.reservation(payment))).hold_id;
      } catch (err) {
        refusal(err);
        holdId = null;
      }
    }
    if (holdId) {
      try {
        await this.deps.wallets.release(holdId, `release:${payment.id}`, reason);
      } catch (err) {
        if (isPayMeshError(err) && err.code === 'HOLD_CAPTURED') {
          // The capture did happen (its reply was lost): the payment went through.
          return this.commit(payment, [{ to: 'completed', holdId, detail: 'capture confirmed during compensation', events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.completed, 'completed')] }]);
        }
        throw err;
      }
    }
    return this.commit(payment, [
      {
        to: 'failed',
        ...(holdId ? { holdId } : {}),
        events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.fundsReleased, 'funds_released', { reason }), (p) => sagaEvent(p, TRANSACTION_EVENTS.failed, 'failed', { reason })],
      },
    ]);
  }

  private reservation(payment: PaymentRow) {
    return {
      walletId: payment.sender_wallet_id,
      amountMinor: BigInt(payment.amount),
      currency: payment.currency,
      idempotencyKey: `reserve:${payment.id}`,
      reference: payment.id,
      ttlSeconds: this.deps.holdTtlSeconds,
    };
  }

  /**
   * Commits steps from the status the payment was read in; their events go to
   * the relay once durable. Within a drive, a step that leaves the saga
   * unfinished commits without waiting for the disk: the wallet calls after it
   * are idempotent on the payment's keys, so if a power cut undid it the saga
   * would take it again, and nothing outside the database has seen it: its
   * events are handed over only when the drive stops, after a commit that
   * waited for the disk (the last one, which ends the saga, or `publishDriven`'s).
   */
  private async commit(payment: PaymentRow, steps: Step[]): Promise<StepOutcome> {
    const driving = this.driving.has(payment.id);
    const settles = TERMINAL.has(steps[steps.length - 1]!.to) || !driving;
    // The update is conditional on the status the payment was read in: if another driver moved it since, nothing changes.
    const work = (trx: Transaction<PaymentSchema>) => transitions(trx, payment, steps);
    const moved = settles ? await inTransaction(this.deps.database.db, work) : await inTransactionWithoutWaitingForDisk(this.deps.database, work);
    if (!moved) {
      this.deps.log.debug({ paymentId: payment.id, status: payment.status }, 'saga step already taken or overtaken');
      return 'overtaken';
    }
    if (settles) this.undurable.delete(payment.id);
    else this.undurable.add(payment.id);
    if (driving) this.unpublished.set(payment.id, [...(this.unpublished.get(payment.id) ?? []), ...moved.written]);
    else this.deps.onOutboxWritten(moved.written);
    return moved.next;
  }

  /**
   * The events a drive committed go to the relay together when it stops (the
   * saga ended, or waits for a dependency): a payment's steps then usually
   * travel in one PutEvents, and each consumer takes them in one receive.
   * They are durable in the outbox from their commit on (a drive that stops
   * on an unfinished saga first makes its last commit durable): if this
   * process dies first, the relay's poll publishes them once their lease is over.
   */
  private async publishDriven(paymentId: string): Promise<void> {
    const rows = this.unpublished.get(paymentId);
    this.unpublished.delete(paymentId);
    try {
      if (this.undurable.delete(paymentId)) {
        // A commit that waits for the disk makes every commit before it durable too.
        await inTransaction(this.deps.database.db, (trx) => trx.updateTable('payments').set({ id: paymentId }).where('id', '=', paymentId).execute());
      }
      if (rows) this.deps.onOutboxWritten(rows);
    } catch (err) {
      // Left in the outbox, leased for a while: the relay's poll publishes them then.
      this.deps.log.warn({ err, paymentId }, 'could not make a saga step durable before publishing it; the relay publishes it later');
    }
  }

  private retryLater(paymentId: string, err: unknown, attempts: number): void {
    if (this.stopped) return;
    const attempt = attempts + 1;
    const base = this.deps.retryBaseMs ?? 250;
    const backoff = backoffMs(attempt - 1, { baseMs: base, maxMs: this.deps.retryMaxMs ?? 5_000, jitter: true });
    const retryAfterMs = isPayMeshError(err) && err.kind === 'unavailable' ? (err.retryAfterSeconds ?? 0) * 1000 : 0;
    const delay = Math.max(backoff, retryAfterMs);
    this.deps.log.warn({ err, paymentId, attempt, delayMs: Math.round(delay) }, 'saga step failed; trying again');
    const timer = setTimeout(() => detached(() => void this.drive(paymentId)), delay);
    timer.unref();
    this.retries.set(paymentId, { timer, attempt });
  }

  private load(paymentId: string): Promise<PaymentRow | undefined> {
    return this.deps.database.db.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
  }
}

function processingRequested(): Step {
  return { to: 'processing', events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.paymentProcessingRequested, 'processing')] };
}

/**
 * The reason a wallet refused a step. Anything that is not a refusal (the
 * wallet unreachable, its breaker open) is rethrown so the step is retried.
 */
function refusal(err: unknown): string {
  if (isPayMeshError(err) && err.kind !== 'unavailable' && err.kind !== 'internal') {
    return `${err.code}: ${(err as PayMeshError).message}`;
  }
  throw err;
}

