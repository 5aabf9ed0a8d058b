import type { Transaction } from 'kysely';
import { EVENT_BUS_NAME, SOURCES, type TransactionDetailType, type TransactionEventDetail } from '../../../contracts/events.ts';
import { toDouble } from '../../../core/money.ts';
import type { DomainEvent } from '../../../messaging/event-publisher.ts';
import { addToOutbox, type QueueMessageDraft } from '../../../messaging/outbox.ts';
import { counter, histogram } from '../../../observability/metrics.ts';
import { TERMINAL, type PaymentRow, type PaymentSchema, type PaymentStatus } from '../schema.ts';

/** The saga's state machine: which status may follow which. */
const NEXT: Record<PaymentStatus, PaymentStatus[]> = {
  pending: ['reservation_requested', 'compensating', 'failed'],
  reservation_requested: ['funds_reserved', 'compensating', 'failed'],
  funds_reserved: ['processing', 'compensating'],
  processing: ['completed', 'compensating'],
  // A release that finds the hold already captured learns the payment went through.
  compensating: ['failed', 'completed'],
  completed: [],
  failed: [],
};

const sagaOutcomes = counter('saga_completion_rate', 'Payment sagas that reached an end, by outcome', ['outcome']);
const sagaDuration = histogram('saga_duration_seconds', 'Time from payment accepted to saga end', ['outcome'], [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300]);

export function canMove(from: PaymentStatus, to: PaymentStatus): boolean {
  return NEXT[from].includes(to);
}

/** A `Transaction <event>` about this payment, with the seed's detail fields plus PayMesh's. */
export function sagaEvent(payment: PaymentRow, detailType: TransactionDetailType, status: string, extra: Partial<TransactionEventDetail> = {}): DomainEvent {
  const amount = BigInt(payment.amount);
  const detail: TransactionEventDetail = {
    transaction_id: payment.id,
    saga_id: payment.id,
    sender_id: payment.sender_id,
    receiver_id: payment.receiver_id,
    amount: toDouble(amount, payment.currency),
    amount_minor: amount.toString(),
    currency: payment.currency,
    status,
    timestamp: new Date().toISOString(),
    sender_wallet_id: payment.sender_wallet_id,
    receiver_wallet_id: payment.receiver_wallet_id,
    ...(payment.hold_id ? { hold_id: payment.hold_id } : {}),
    ...(payment.note ? { note: payment.note } : {}),
    ...extra,
  };
  return {
    source: SOURCES.transaction,
    detailType,
    detail: detail as unknown as Record<string, unknown>,
    resources: [`arn:aws:paypal-clone:transaction:${payment.id}`],
  };
}

/**
 * Moves a payment from `from` to `to` if it is still in `from` (a concurrent
 * handler that got there first wins), records the step in its history, and
 * queues the events it causes in the same transaction. Returns the updated
 * row, or undefined when the payment had already moved on.
 */
export async function transition(
  trx: Transaction<PaymentSchema>,
  payment: PaymentRow,
  to: PaymentStatus,
  effects: { detail?: string; holdId?: string; failureReason?: string; events?: Array<(p: PaymentRow) => DomainEvent>; messages?: QueueMessageDraft[] } = {},
): Promise<PaymentRow | undefined> {
  if (!canMove(payment.status, to)) return undefined;
  const now = new Date().toISOString();
  const changes = {
    status: to,
    updated_at: now,
    ...(effects.holdId ? { hold_id: effects.holdId } : {}),
    ...(effects.failureReason ? { failure_reason: effects.failureReason } : {}),
  };
  const updated = await trx
    .updateTable('payments')
    .set(changes)
    .where('id', '=', payment.id)
    .where('status', '=', payment.status)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) return undefined;
  const next: PaymentRow = { ...payment, ...changes };
  await recordHistory(trx, next, effects.detail);
  await addToOutbox(trx, [
    ...(effects.events ?? []).map((make) => ({ event: make(next), bus: EVENT_BUS_NAME })),
    ...(effects.messages ?? []).map((queueMessage) => ({ queueMessage })),
  ], now);
  if (TERMINAL.has(to)) {
    sagaOutcomes.inc({ outcome: to });
    sagaDuration.observe({ outcome: to }, (Date.parse(now) - Date.parse(payment.created_at)) / 1000);
  }
  return next;
}

export async function recordHistory(trx: Transaction<PaymentSchema>, payment: PaymentRow, detail?: string): Promise<void> {
  const last = await trx
    .selectFrom('payment_history')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('payment_id', '=', payment.id)
    .executeTakeFirst();
  const seq = (last?.seq === null || last?.seq === undefined ? 0n : BigInt(last.seq)) + 1n;
  await trx
    .insertInto('payment_history')
    .values({ payment_id: payment.id, seq, status: payment.status, detail: detail ?? null, at: payment.updated_at })
    .execute();
}
