import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { WalletServiceDefinition, WalletServiceHandlers } from './proto/generated/WalletService.ts';

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

/**
 * The messages as the loader presents them with PROTO_LOADER_OPTIONS (every field present, int64 as a decimal
 * string), generated from wallet.proto by `npm run proto-types` into ./proto/generated.
 */
export type { Wallet__Output as WalletMessage } from './proto/generated/Wallet.ts';
export type { BalanceResponse__Output as BalanceMessage } from './proto/generated/BalanceResponse.ts';
export type { HoldResponse__Output as HoldMessage } from './proto/generated/HoldResponse.ts';

/** The RPCs by name, each as a promise: the request as the server reads it, to the response it sends. */
export type WalletRpcs = {
  [K in keyof WalletServiceHandlers as string extends K ? never : K]: WalletServiceHandlers[K] extends grpc.handleUnaryCall<infer Request, infer Response>
    ? (request: Request) => Promise<Response>
    : never;
};

type Methods = { [K in keyof WalletServiceDefinition as string extends K ? never : K]: WalletServiceDefinition[K] };
export type WalletRpcName = keyof Methods;

/** One RPC as a client sees it: the request it may send (int64 as string or number) and the response it reads. */
export type WalletCall<K extends WalletRpcName> =
  Methods[K] extends protoLoader.MethodDefinition<infer Request, any, any, infer Response> ? { request: Request; response: Response } : never;
