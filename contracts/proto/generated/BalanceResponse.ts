// Original file: contracts/proto/wallet.proto

import type { Long } from '@grpc/proto-loader';

export interface BalanceResponse {
  /**
   * seed-compatible view; use the *_minor fields
   */
  'balance'?: (number | string);
  'available_balance'?: (number | string);
  'frozen_balance'?: (number | string);
  'balance_minor'?: (number | string | Long);
  'available_minor'?: (number | string | Long);
  'frozen_minor'?: (number | string | Long);
  'currency'?: (string);
  'wallet_id'?: (string);
}

export interface BalanceResponse__Output {
  /**
   * seed-compatible view; use the *_minor fields
   */
  'balance': (number);
  'available_balance': (number);
  'frozen_balance': (number);
  'balance_minor': (string);
  'available_minor': (string);
  'frozen_minor': (string);
  'currency': (string);
  'wallet_id': (string);
}
