// Original file: contracts/proto/wallet.proto


export interface GetHoldRequest {
  'hold_id'?: (string);
}

export interface GetHoldRequest__Output {
  'hold_id': (string);
}
