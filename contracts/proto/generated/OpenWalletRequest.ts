// Original file: contracts/proto/wallet.proto


export interface OpenWalletRequest {
  'user_id'?: (string);
  'currency'?: (string);
  'idempotency_key'?: (string);
}

export interface OpenWalletRequest__Output {
  'user_id': (string);
  'currency': (string);
  'idempotency_key': (string);
}
