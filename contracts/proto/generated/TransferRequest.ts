// Original file: contracts/proto/wallet.proto

import type { Long } from '@grpc/proto-loader';

export interface TransferRequest {
  'from_wallet_id'?: (string);
  'to_wallet_id'?: (string);
  /**
   * seed-compatible; must convert exactly to minor units
   */
  'amount'?: (number | string);
  /**
   * precise; wins when set
   */
  'amount_minor'?: (number | string | Long);
  'currency'?: (string);
  'idempotency_key'?: (string);
  'reference'?: (string);
}

export interface TransferRequest__Output {
  'from_wallet_id': (string);
  'to_wallet_id': (string);
  /**
   * seed-compatible; must convert exactly to minor units
   */
  'amount': (number);
  /**
   * precise; wins when set
   */
  'amount_minor': (string);
  'currency': (string);
  'idempotency_key': (string);
  'reference': (string);
}
