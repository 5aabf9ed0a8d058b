// Original file: contracts/proto/wallet.proto


export interface ListWalletsRequest {
  'user_id'?: (string);
}

export interface ListWalletsRequest__Output {
  'user_id': (string);
}
