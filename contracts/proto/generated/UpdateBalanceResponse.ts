// Original file: contracts/proto/wallet.proto

import type { Long } from '@grpc/proto-loader';

export interface UpdateBalanceResponse {
  'success'?: (boolean);
  'balance'?: (number | string);
  'available_balance'?: (number | string);
  'frozen_balance'?: (number | string);
  'entry_id'?: (string);
  'balance_minor'?: (number | string | Long);
  'available_minor'?: (number | string | Long);
  'frozen_minor'?: (number | string | Long);
  'currency'?: (string);
}

export interface UpdateBalanceResponse__Output {
  'success': (boolean);
  'balance': (number);
  'available_balance': (number);
  'frozen_balance': (number);
  'entry_id': (string);
  'balance_minor': (string);
  'available_minor': (string);
  'frozen_minor': (string);
  'currency': (string);
}
