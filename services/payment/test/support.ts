import { randomUUID } from 'node:crypto';
import type { PaymentRow } from '../schema.ts';

/** A payment from alice to bob as the payment service stores it, in `status`, last moved `stillSeconds` ago. */
export function paymentRow(status: PaymentRow['status'], stillSeconds: number, fields: Partial<PaymentRow> = {}): PaymentRow {
  const at = new Date(Date.now() - stillSeconds * 1000).toISOString();
  return {
    id: randomUUID(),
    sender_id: 'alice',
    receiver_id: 'bob',
    sender_wallet_id: 'w-alice',
    receiver_wallet_id: 'w-bob',
    amount: 1250n,
    currency: 'USD',
    note: null,
    status,
    failure_reason: null,
    hold_id: null,
    idempotency_key: randomUUID(),
    accepted_by: 'v1',
    created_at: at,
    updated_at: at,
    ...fields,
  };
}
