// Original file: contracts/proto/wallet.proto

import type { Long } from '@grpc/proto-loader';

export interface HoldResponse {
  'success'?: (boolean);
  'hold_id'?: (string);
  'wallet_id'?: (string);
  'amount_minor'?: (number | string | Long);
  'currency'?: (string);
  /**
   * active | captured | released | expired
   */
  'status'?: (string);
  'expires_at'?: (string);
  /**
   * journal entry of this call's movement
   */
  'entry_id'?: (string);
  /**
   * set once captured
   */
  'to_wallet_id'?: (string);
  'reference'?: (string);
}

export interface HoldResponse__Output {
  'success': (boolean);
  'hold_id': (string);
  'wallet_id': (string);
  'amount_minor': (string);
  'currency': (string);
  /**
   * active | captured | released | expired
   */
  'status': (string);
  'expires_at': (string);
  /**
   * journal entry of this call's movement
   */
  'entry_id': (string);
  /**
   * set once captured
   */
  'to_wallet_id': (string);
  'reference': (string);
}
