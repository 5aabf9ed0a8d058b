/**
 * PayMesh's domain events: one name per event type, used by every publisher,
 * rule and consumer. Sources and detail-types follow the seed: the payment
 * saga publishes `Transaction <event>` from `paypal-clone.transaction-service`
 * (as the seed's PaymentSaga does), users publish `User <event>`.
 */
export const EVENT_BUS_NAME = 'paypal-clone-events';

export const SOURCES = {
  transaction: 'paypal-clone.transaction-service',
  user: 'paypal-clone.user-service',
  payment: 'paypal-clone.payment-service',
  operations: 'paypal-clone.operations',
} as const;

export const TRANSACTION_EVENTS = {
  fundsReservationRequested: 'Transaction funds_reservation_requested',
  fundsReserved: 'Transaction funds_reserved',
  paymentProcessingRequested: 'Transaction payment_processing_requested',
  completed: 'Transaction completed',
  failed: 'Transaction failed',
  fundsReleaseRequested: 'Transaction funds_release_requested',
  fundsReleased: 'Transaction funds_released',
} as const;

export type TransactionDetailType = (typeof TRANSACTION_EVENTS)[keyof typeof TRANSACTION_EVENTS];

/**
 * Detail of every `Transaction <event>`: the seed's fields (transaction_id,
 * sender_id, receiver_id, amount as a double, currency, status, timestamp)
 * plus PayMesh's precise and saga fields.
 */
export interface TransactionEventDetail {
  transaction_id: string;
  saga_id: string;
  sender_id: string;
  receiver_id: string;
  /** Seed-compatible double; never used for arithmetic. */
  amount: number;
  /** Integer minor units as a decimal string. */
  amount_minor: string;
  currency: string;
  status: string;
  timestamp: string;
  sender_wallet_id: string;
  receiver_wallet_id: string;
  hold_id?: string;
  reason?: string;
  note?: string;
  /** The outbox id: consumers dedupe on it. */
  event_id?: string;
  /** `payment-service` on the steps it takes itself, in process: its payment-saga rule does not route them back to it. */
  step_taken_by?: string;
}

export const USER_EVENTS = {
  registered: 'User registered',
  updated: 'User updated',
  paymentMethodAdded: 'User payment method added',
} as const;

export interface UserEventDetail {
  user_id: string;
  email?: string;
  event_type: string;
  timestamp: string;
  default_currency?: string;
  event_id?: string;
}

/** The seed's `payment_initiated` message on the payment-processing queue. */
export interface PaymentInitiatedMessage {
  event_type: 'payment_initiated';
  transaction_id: string;
  sender_id: string;
  receiver_id: string;
  amount: number;
  amount_minor: string;
  currency: string;
  timestamp: number;
  metadata: Record<string, string>;
}
