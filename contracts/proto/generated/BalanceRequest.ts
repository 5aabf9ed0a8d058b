// Original file: contracts/proto/wallet.proto


export interface BalanceRequest {
  'wallet_id'?: (string);
  /**
   * optional; when set it must be the wallet's currency
   */
  'currency'?: (string);
}

export interface BalanceRequest__Output {
  'wallet_id': (string);
  /**
   * optional; when set it must be the wallet's currency
   */
  'currency': (string);
}
