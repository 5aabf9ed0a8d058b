import type { OutboxTables } from '../../messaging/outbox-schema.ts';
import type { ParkedMessageTables } from '../../messaging/parked-messages.ts';

/**
 * A payment is its own saga: the payment id is the saga id, the wallet
 * idempotency scope and the transaction id the seed's events carry.
 */
export type PaymentStatus =
  | 'pending' // accepted, payment_initiated queued
  | 'reservation_requested'
  | 'funds_reserved'
  | 'processing' // capture requested
  | 'completed'
  | 'compensating' // funds release requested
  | 'failed';

export const TERMINAL: ReadonlySet<PaymentStatus> = new Set(['completed', 'failed']);

export interface PaymentRow {
  id: string;
  sender_id: string;
  receiver_id: string;
  sender_wallet_id: string;
  receiver_wallet_id: string;
  amount: bigint;
  currency: string;
  note: string | null;
  status: PaymentStatus;
  failure_reason: string | null;
  hold_id: string | null;
  idempotency_key: string;
  /** Which deployed version (v1, v2 canary) accepted it. */
  accepted_by: string;
  created_at: string;
  updated_at: string;
}

export interface PaymentHistoryRow {
  payment_id: string;
  seq: bigint;
  status: PaymentStatus;
  detail: string | null;
  at: string;
}

/** A payment version (v1, v2) that runs the saga: alive until `alive_until` unless it writes again (saga/ownership.ts). */
export interface PaymentVersionRow {
  version: string;
  alive_until: string;
  seen_at: string;
}

export interface PaymentSchema extends OutboxTables, ParkedMessageTables {
  payments: PaymentRow;
  payment_history: PaymentHistoryRow;
  payment_versions: PaymentVersionRow;
}
