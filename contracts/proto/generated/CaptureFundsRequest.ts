// Original file: contracts/proto/wallet.proto


export interface CaptureFundsRequest {
  'hold_id'?: (string);
  'to_wallet_id'?: (string);
  'idempotency_key'?: (string);
}

export interface CaptureFundsRequest__Output {
  'hold_id': (string);
  'to_wallet_id': (string);
  'idempotency_key': (string);
}
