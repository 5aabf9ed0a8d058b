// Original file: contracts/proto/wallet.proto

import type { Long } from '@grpc/proto-loader';

export interface Wallet {
  'id'?: (string);
  'user_id'?: (string);
  'currency'?: (string);
  'balance_minor'?: (number | string | Long);
  'available_minor'?: (number | string | Long);
  'frozen_minor'?: (number | string | Long);
  'created_at'?: (string);
  'balance'?: (number | string);
  'available_balance'?: (number | string);
  'frozen_balance'?: (number | string);
  /**
   * active | suspended
   */
  'status'?: (string);
  'status_reason'?: (string);
}

export interface Wallet__Output {
  'id': (string);
  'user_id': (string);
  'currency': (string);
  'balance_minor': (string);
  'available_minor': (string);
  'frozen_minor': (string);
  'created_at': (string);
  'balance': (number);
  'available_balance': (number);
  'frozen_balance': (number);
  /**
   * active | suspended
   */
  'status': (string);
  'status_reason': (string);
}
