import type { OutboxTables } from '../../messaging/outbox-schema.ts';

/** The transaction service's record of every payment, for both its parties. */
export interface TransactionRow {
  id: string;
  sender_id: string;
  receiver_id: string;
  /** From the events' sender_wallet_id / receiver_wallet_id; null on rows recorded before 0003 or from events without them. */
  sender_wallet_id: string | null;
  receiver_wallet_id: string | null;
  amount: bigint;
  currency: string;
  status: string;
  note: string | null;
  reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface TransactionEventRow {
  transaction_id: string;
  event_id: string;
  detail_type: string;
  status: string;
  reason: string | null;
  at: string;
}

export interface TransactionSchema extends OutboxTables {
  transactions: TransactionRow;
  transaction_events: TransactionEventRow;
}
