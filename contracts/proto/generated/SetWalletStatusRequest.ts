// Original file: contracts/proto/wallet.proto


export interface SetWalletStatusRequest {
  'wallet_id'?: (string);
  /**
   * active | suspended
   */
  'status'?: (string);
  'reason'?: (string);
  'idempotency_key'?: (string);
}

export interface SetWalletStatusRequest__Output {
  'wallet_id': (string);
  /**
   * active | suspended
   */
  'status': (string);
  'reason': (string);
  'idempotency_key': (string);
}
