// Original file: contracts/proto/wallet.proto


export interface TransferResponse {
  'success'?: (boolean);
  'entry_id'?: (string);
}

export interface TransferResponse__Output {
  'success': (boolean);
  'entry_id': (string);
}
