/** How a payment's saga reads to the person who sent or received it. */
import type { Payment } from '../shared/api/types.ts';

export type Step = { key: 'submitted' | 'reserved' | 'settled'; label: string; state: 'done' | 'current' | 'todo' | 'failed' };

const REACHED: Record<string, number> = {
  pending: 0,
  reservation_requested: 0,
  funds_reserved: 1,
  processing: 1,
  compensating: 1,
  funds_released: 1,
  completed: 2,
  failed: 2,
};

export const isSettled = (status: string | undefined) => status === 'completed' || status === 'failed';

/** Submitted → Funds reserved → Completed (or Failed), with where the payment is now. */
export function paymentSteps(payment: Payment): Step[] {
  const status = payment.status ?? 'pending';
  const reached = REACHED[status] ?? 0;
  const failed = status === 'failed';
  const reserved = failed ? (payment.history ?? []).some((h) => h.status === 'funds_reserved') : reached >= 1;
  return [
    { key: 'submitted', label: 'Submitted', state: 'done' },
    { key: 'reserved', label: 'Funds reserved', state: reserved ? 'done' : failed ? 'todo' : reached === 0 ? 'current' : 'done' },
    {
      key: 'settled',
      label: failed ? 'Failed' : 'Completed',
      state: failed ? 'failed' : status === 'completed' ? 'done' : reached === 1 ? 'current' : 'todo',
    },
  ];
}

/** One sentence for where the payment is, announced as it changes. */
export function statusSentence(payment: Payment): string {
  switch (payment.status) {
    case 'completed':
      return 'Payment completed.';
    case 'failed':
      return `Payment failed: ${failureText(payment.failure_reason)}`;
    case 'funds_reserved':
    case 'processing':
      return 'Funds reserved. Sending…';
    case 'compensating':
    case 'funds_released':
      return 'The payment could not be completed. Returning the reserved funds…';
    default:
      return 'Payment submitted. Reserving funds…';
  }
}

const REASONS: Record<string, string> = {
  INSUFFICIENT_FUNDS: 'insufficient funds (not enough money was available in your wallet).',
  WALLET_SUSPENDED: 'the wallet is suspended.',
  NO_WALLET_IN_CURRENCY: 'there is no wallet in this currency.',
  RECEIVER_NOT_FOUND: 'the receiver was not found.',
};

/** "INSUFFICIENT_FUNDS: wallet … has insufficient available funds" → a sentence a person can act on. */
export function failureText(reason: string | null | undefined): string {
  if (!reason) return 'no reason was given.';
  const code = /^([A-Z_]+)\b/.exec(reason)?.[1];
  return (code && REASONS[code]) ?? reason;
}

export const STATUS_LABELS: Record<string, string> = {
  pending: 'Pending',
  reservation_requested: 'Pending',
  funds_reserved: 'Funds reserved',
  processing: 'Processing',
  compensating: 'Reversing',
  funds_released: 'Reversed',
  completed: 'Completed',
  failed: 'Failed',
};
