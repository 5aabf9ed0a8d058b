// Original file: contracts/proto/wallet.proto

import type { Long } from '@grpc/proto-loader';

export interface ReserveFundsRequest {
  'wallet_id'?: (string);
  'amount_minor'?: (number | string | Long);
  'currency'?: (string);
  'idempotency_key'?: (string);
  /**
   * e.g. the payment (saga) id
   */
  'reference'?: (string);
  /**
   * 0: the service's default hold lifetime
   */
  'ttl_seconds'?: (number);
  /**
   * seed-style double, exact conversion only
   */
  'amount'?: (number | string);
}

export interface ReserveFundsRequest__Output {
  'wallet_id': (string);
  'amount_minor': (string);
  'currency': (string);
  'idempotency_key': (string);
  /**
   * e.g. the payment (saga) id
   */
  'reference': (string);
  /**
   * 0: the service's default hold lifetime
   */
  'ttl_seconds': (number);
  /**
   * seed-style double, exact conversion only
   */
  'amount': (number);
}
