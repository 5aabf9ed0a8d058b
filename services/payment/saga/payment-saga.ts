import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { WalletClient } from '../../../clients/wallet-client.ts';
import { TRANSACTION_EVENTS, type TransactionEventDetail } from '../../../contracts/events.ts';
import { isPayMeshError, type PayMeshError } from '../../../core/errors.ts';
import { handleOnce } from '../../../messaging/inbox.ts';
import { withSpan } from '../../../observability/tracing.ts';
import type { PaymentRow, PaymentSchema, PaymentStatus } from '../schema.ts';
import { sagaEvent, transition } from './transitions.ts';

export interface PaymentSagaDeps {
  db: Kysely<PaymentSchema>;
  wallets: WalletClient;
  log: Logger;
  /** Called after a transaction that wrote to the outbox commits. */
  onOutboxWritten: () => void;
  holdTtlSeconds: number;
}

/** Consumer names in the inbox: one per queue this service reads. */
export const CONSUMERS = { paymentProcessing: 'payment-processing', saga: 'payment-saga' } as const;

/**
 * The payment saga's steps, run by the payment service as it consumes its
 * queues. Each step is safe to run twice: wallet calls carry an idempotency
 * key derived from the payment id, and each state change is conditional on
 * the state the step expects, inside the same transaction as the inbox row and
 * the events the step causes.
 *
 * pending → reservation_requested → funds_reserved → processing → completed
 *                  └──────────────┴── on failure ─→ compensating → failed
 */
export class PaymentSaga {
  private readonly deps: PaymentSagaDeps;

  constructor(deps: PaymentSagaDeps) {
    this.deps = deps;
  }

  /** `payment_initiated` from the payment-processing queue: ask for the funds to be reserved. */
  async onPaymentInitiated(messageId: string, paymentId: string): Promise<void> {
    await this.step(CONSUMERS.paymentProcessing, messageId, paymentId, 'pending', async (payment) => ({
      to: 'reservation_requested',
      events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.fundsReservationRequested, 'reservation_requested')],
    }));
  }

  /** A `Transaction <event>` from the payment-saga queue. */
  async onSagaEvent(messageId: string, detailType: string, detail: TransactionEventDetail): Promise<void> {
    const id = detail.transaction_id;
    switch (detailType) {
      case TRANSACTION_EVENTS.fundsReservationRequested:
        return this.reserve(messageId, id);
      case TRANSACTION_EVENTS.fundsReserved:
        return this.step(CONSUMERS.saga, messageId, id, 'funds_reserved', async () => ({
          to: 'processing',
          events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.paymentProcessingRequested, 'processing')],
        }));
      case TRANSACTION_EVENTS.paymentProcessingRequested:
        return this.capture(messageId, id);
      case TRANSACTION_EVENTS.fundsReleaseRequested:
        return this.release(messageId, id);
      default:
        this.deps.log.debug({ detailType, paymentId: id }, 'saga event not for this service');
    }
  }

  /** Drives a payment that stopped making progress to an end: compensation releases whatever is held. */
  async abandon(paymentId: string, reason: string): Promise<boolean> {
    const payment = await this.load(paymentId);
    if (!payment || !['pending', 'reservation_requested', 'funds_reserved', 'processing'].includes(payment.status)) return false;
    const moved = await this.deps.db.transaction().execute((trx) =>
      transition(trx, payment, 'compensating', {
        detail: reason,
        failureReason: reason,
        events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.fundsReleaseRequested, 'compensating', { reason })],
      }),
    );
    if (moved) this.deps.onOutboxWritten();
    return moved !== undefined;
  }

  private async reserve(messageId: string, paymentId: string): Promise<void> {
    await this.step(CONSUMERS.saga, messageId, paymentId, 'reservation_requested', async (payment) => {
      try {
        const hold = await this.deps.wallets.reserve({
          walletId: payment.sender_wallet_id,
          amountMinor: BigInt(payment.amount),
          currency: payment.currency,
          idempotencyKey: `reserve:${payment.id}`,
          reference: payment.id,
          ttlSeconds: this.deps.holdTtlSeconds,
        });
        return {
          to: 'funds_reserved',
          holdId: hold.hold_id,
          events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.fundsReserved, 'funds_reserved', { hold_id: hold.hold_id })],
        };
      } catch (err) {
        // Refused by the wallet (insufficient funds, ...): nothing was reserved, so the saga simply fails.
        const reason = refusal(err);
        return {
          to: 'failed',
          failureReason: reason,
          events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.failed, 'failed', { reason })],
        };
      }
    });
  }

  private async capture(messageId: string, paymentId: string): Promise<void> {
    await this.step(CONSUMERS.saga, messageId, paymentId, 'processing', async (payment) => {
      try {
        await this.deps.wallets.capture(payment.hold_id!, payment.receiver_wallet_id, `capture:${payment.id}`);
        return { to: 'completed', events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.completed, 'completed')] };
      } catch (err) {
        const reason = refusal(err);
        return {
          to: 'compensating',
          failureReason: reason,
          events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.fundsReleaseRequested, 'compensating', { reason })],
        };
      }
    });
  }

  private async release(messageId: string, paymentId: string): Promise<void> {
    await this.step(CONSUMERS.saga, messageId, paymentId, 'compensating', async (payment) => {
      const reason = payment.failure_reason ?? 'payment failed';
      // If the reservation's reply was lost, the hold id is unknown: asking again with the same
      // idempotency key returns that hold (or makes one), which is then released. Net effect: nothing held.
      let holdId = payment.hold_id;
      if (!holdId) {
        try {
          holdId = (
            await this.deps.wallets.reserve({
              walletId: payment.sender_wallet_id,
              amountMinor: BigInt(payment.amount),
              currency: payment.currency,
              idempotencyKey: `reserve:${payment.id}`,
              reference: payment.id,
              ttlSeconds: this.deps.holdTtlSeconds,
            })
          ).hold_id;
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
            return { to: 'completed', holdId, detail: 'capture confirmed during compensation', events: [(p) => sagaEvent(p, TRANSACTION_EVENTS.completed, 'completed')] };
          }
          throw err;
        }
      }
      return {
        to: 'failed',
        ...(holdId ? { holdId } : {}),
        events: [
          (p) => sagaEvent(p, TRANSACTION_EVENTS.fundsReleased, 'funds_released', { reason }),
          (p) => sagaEvent(p, TRANSACTION_EVENTS.failed, 'failed', { reason }),
        ],
      };
    });
  }

  /**
   * One saga step: skips a message already in the inbox or a payment no
   * longer in `expected`, runs `decide` (which may call the wallet, outside any
   * database transaction), then records the transition, its events and the
   * inbox row together.
   */
  private async step(
    consumer: string,
    messageId: string,
    paymentId: string,
    expected: PaymentStatus,
    decide: (payment: PaymentRow) => Promise<{ to: PaymentStatus; holdId?: string; failureReason?: string; detail?: string; events: Array<(p: PaymentRow) => ReturnType<typeof sagaEvent>> }>,
  ): Promise<void> {
    // A span per step (named by the status it moves on from), inside the consumer's span for the message.
    await withSpan(`payment.saga.${expected}`, { attributes: { transaction_id: paymentId, 'saga.consumer': consumer, 'saga.expected_status': expected } }, (span) =>
      this.runStep(consumer, messageId, paymentId, expected, decide, (next) => span.setAttribute('saga.next_status', next)),
    );
  }

  private async runStep(
    consumer: string,
    messageId: string,
    paymentId: string,
    expected: PaymentStatus,
    decide: (payment: PaymentRow) => Promise<{ to: PaymentStatus; holdId?: string; failureReason?: string; detail?: string; events: Array<(p: PaymentRow) => ReturnType<typeof sagaEvent>> }>,
    decided: (next: PaymentStatus) => void,
  ): Promise<void> {
    const before = await this.load(paymentId);
    if (!before) {
      this.deps.log.warn({ paymentId, messageId }, 'saga message for an unknown payment; dropping it');
      return;
    }
    if (before.status !== expected) {
      this.deps.log.debug({ paymentId, status: before.status, expected }, 'saga step already taken or overtaken');
      return;
    }
    const decision = await decide(before);
    decided(decision.to);
    const outcome = await handleOnce(this.deps.db, consumer, messageId, async (trx) => {
      const current = await trx.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
      if (!current || current.status !== expected) return undefined;
      return transition(trx, current, decision.to, {
        detail: decision.detail ?? decision.failureReason,
        holdId: decision.holdId,
        failureReason: decision.failureReason,
        events: decision.events,
      });
    });
    if (!outcome.duplicate && outcome.result) this.deps.onOutboxWritten();
  }

  private load(paymentId: string): Promise<PaymentRow | undefined> {
    return this.deps.db.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
  }
}

/**
 * The reason a wallet refused a step. Anything that is not a refusal (the
 * wallet unreachable, its breaker open) is rethrown so the message is retried.
 */
function refusal(err: unknown): string {
  if (isPayMeshError(err) && err.kind !== 'unavailable' && err.kind !== 'internal') {
    return `${err.code}: ${(err as PayMeshError).message}`;
  }
  throw err;
}
