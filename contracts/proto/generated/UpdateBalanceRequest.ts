// Original file: contracts/proto/wallet.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Money enters or leaves a wallet against the external funding account:
 * a positive amount is a top-up, a negative one a withdrawal.
 */
export interface UpdateBalanceRequest {
  'wallet_id'?: (string);
  /**
   * seed-compatible; must convert exactly to minor units
   */
  'amount'?: (number | string);
  'currency'?: (string);
  /**
   * precise; wins when set
   */
  'amount_minor'?: (number | string | Long);
  'idempotency_key'?: (string);
  /**
   * e.g. the payment method or payout id
   */
  'reference'?: (string);
}

/**
 * Money enters or leaves a wallet against the external funding account:
 * a positive amount is a top-up, a negative one a withdrawal.
 */
export interface UpdateBalanceRequest__Output {
  'wallet_id': (string);
  /**
   * seed-compatible; must convert exactly to minor units
   */
  'amount': (number);
  'currency': (string);
  /**
   * precise; wins when set
   */
  'amount_minor': (string);
  'idempotency_key': (string);
  /**
   * e.g. the payment method or payout id
   */
  'reference': (string);
}
