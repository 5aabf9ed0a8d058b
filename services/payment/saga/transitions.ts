import type { Transaction } from 'kysely';
import { EVENT_BUS_NAME, SOURCES, type TransactionDetailType, type TransactionEventDetail } from '../../../contracts/events.ts';
import { toDouble } from '../../../contracts/money.ts';
import type { DomainEvent } from '../../../messaging/event-publisher.ts';
import type { OutboxRow } from '../../../messaging/outbox-schema.ts';
import { addToOutbox, type QueueMessageDraft } from '../../../messaging/outbox.ts';
import { counter, histogram } from '../../../observability/metrics.ts';
import { keepTrace } from '../../../observability/tracing.ts';
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

/**
 * Marks the events of steps the payment service takes itself, in process:
 * its `saga-steps-to-payment-service` rule leaves them out (topology.json),
 * so they are not routed back to it. Step events without it, a seed-style
 * participant's, still reach the payment-saga queue.
 */
export const STEP_TAKEN_BY = { step_taken_by: 'payment-service' } as const;

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
    ...STEP_TAKEN_BY,
    ...extra,
  };
  return {
    source: SOURCES.transaction,
    detailType,
    detail: detail as unknown as Record<string, unknown>,
    resources: [`arn:aws:paypal-clone:transaction:${payment.id}`],
  };
}

/** One step of the saga as committed: its status, what it records, the events it causes. */
export interface Step {
  to: PaymentStatus;
  detail?: string;
  holdId?: string;
  failureReason?: string;
  events?: Array<(p: PaymentRow) => DomainEvent>;
  messages?: QueueMessageDraft[];
  /** When the step happened (its history time), if not now: e.g. a reservation requested before the wallet answered. */
  at?: string;
}

/**
 * Moves a payment through one or more steps in the caller's transaction, if
 * it is still in the status it was read in (a concurrent driver that got
 * there first wins): what happened between two calls to the wallet (a
 * reservation's reply and the capture request after it) is one commit. Each
 * step is a row of its history, and the events the steps cause go to the
 * outbox (for a hand-over to the relay once the transaction commits), all in
 * one statement each. Returns the updated row and the outbox rows, or
 * undefined when the payment had already moved on.
 */
export async function transitions(trx: Transaction<PaymentSchema>, payment: PaymentRow, steps: Step[]): Promise<{ next: PaymentRow; written: OutboxRow[] } | undefined> {
  const stages: PaymentRow[] = [];
  let current = payment;
  for (const step of steps) {
    if (!canMove(current.status, step.to)) return undefined;
    current = {
      ...current,
      status: step.to,
      updated_at: step.at ?? new Date().toISOString(),
      ...(step.holdId ? { hold_id: step.holdId } : {}),
      ...(step.failureReason ? { failure_reason: step.failureReason } : {}),
    };
    stages.push(current);
  }
  const next = current;
  const updated = await trx
    .updateTable('payments')
    .set({ status: next.status, updated_at: next.updated_at, hold_id: next.hold_id, failure_reason: next.failure_reason })
    .where('id', '=', payment.id)
    .where('status', '=', payment.status)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) return undefined;
  await recordHistory(trx, stages.map((stage, i) => ({ payment: stage, detail: steps[i]!.detail })));
  // Before the outbox rows: their trace context then asks every consumer of the failure to export its spans too.
  if (next.status === 'failed') keepTrace();
  const written = await addToOutbox(
    trx,
    stages.flatMap((stage, i) => [
      ...(steps[i]!.events ?? []).map((make) => ({ event: make(stage), bus: EVENT_BUS_NAME })),
      ...(steps[i]!.messages ?? []).map((queueMessage) => ({ queueMessage })),
    ]),
    next.updated_at,
    { handOff: true },
  );
  if (TERMINAL.has(next.status)) {
    sagaOutcomes.inc({ outcome: next.status });
    sagaDuration.observe({ outcome: next.status }, (Date.parse(next.updated_at) - Date.parse(payment.created_at)) / 1000);
  }
  return { next, written };
}

/** Appends rows to payments' histories (one statement), each after the payment's last. */
export async function recordHistory(trx: Transaction<PaymentSchema>, entries: Array<{ payment: PaymentRow; detail?: string }>): Promise<void> {
  if (entries.length === 0) return;
  const last = await trx
    .selectFrom('payment_history')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('payment_id', '=', entries[0]!.payment.id)
    .executeTakeFirst();
  let seq = last?.seq === null || last?.seq === undefined ? 0n : BigInt(last.seq);
  await trx
    .insertInto('payment_history')
    .values(entries.map(({ payment, detail }) => ({ payment_id: payment.id, seq: ++seq, status: payment.status, detail: detail ?? null, at: payment.updated_at })))
    .execute();
}
