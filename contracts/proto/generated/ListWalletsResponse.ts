// Original file: contracts/proto/wallet.proto

import type { Wallet as _Wallet, Wallet__Output as _Wallet__Output } from './Wallet.ts';

export interface ListWalletsResponse {
  'wallets'?: (_Wallet)[];
}

export interface ListWalletsResponse__Output {
  'wallets': (_Wallet__Output)[];
}
