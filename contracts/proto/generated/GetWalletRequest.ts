// Original file: contracts/proto/wallet.proto


export interface GetWalletRequest {
  'wallet_id'?: (string);
}

export interface GetWalletRequest__Output {
  'wallet_id': (string);
}
