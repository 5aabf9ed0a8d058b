import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const WALLET_PROTO_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'proto', 'wallet.proto');

/**
 * int64 fields load as decimal strings (`longs: String`): money in minor
 * units must never pass through a JS number.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export function loadWalletService(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(WALLET_PROTO_PATH, PROTO_LOADER_OPTIONS);
  return grpc.loadPackageDefinition(definition).WalletService as grpc.ServiceClientConstructor;
}

/** Wire shapes of the wallet messages as the loader presents them (int64 as string). */
export interface WalletMessage {
  id: string;
  user_id: string;
  currency: string;
  balance_minor: string;
  available_minor: string;
  frozen_minor: string;
  created_at: string;
  balance: number;
  available_balance: number;
  frozen_balance: number;
  status: string;
  status_reason: string;
}

export interface BalanceMessage {
  balance: number;
  available_balance: number;
  frozen_balance: number;
  balance_minor: string;
  available_minor: string;
  frozen_minor: string;
  currency: string;
  wallet_id: string;
}

export interface HoldMessage {
  success: boolean;
  hold_id: string;
  wallet_id: string;
  amount_minor: string;
  currency: string;
  status: string;
  expires_at: string;
  entry_id: string;
  to_wallet_id: string;
  reference: string;
}
