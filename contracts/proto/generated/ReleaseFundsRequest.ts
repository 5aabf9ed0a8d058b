// Original file: contracts/proto/wallet.proto


export interface ReleaseFundsRequest {
  'hold_id'?: (string);
  'idempotency_key'?: (string);
  'reason'?: (string);
}

export interface ReleaseFundsRequest__Output {
  'hold_id': (string);
  'idempotency_key': (string);
  'reason': (string);
}
