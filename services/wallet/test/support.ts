import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { loadWalletService } from '../../../contracts/wallet-grpc.ts';
import { ERROR_CODE_KEY } from '../../../core/grpc-errors.ts';
import type { DatabaseConfig } from '../../../storage/database.ts';
import { startWalletService, type WalletService } from '../server.ts';

export const silentLog = pino({ level: 'silent' });

export async function startTestWallet(
  database: DatabaseConfig,
  overrides: { holdTtlSeconds?: number; holdSweepIntervalMs?: number; port?: number } = {},
): Promise<WalletService> {
  return startWalletService(
    {
      host: '127.0.0.1',
      port: overrides.port ?? 0,
      database,
      holdTtlSeconds: overrides.holdTtlSeconds ?? 900,
      holdSweepIntervalMs: overrides.holdSweepIntervalMs ?? 60_000,
    },
    silentLog,
  );
}

export type Call = (method: string, request: Record<string, unknown>) => Promise<any>;

/** A promisified client for PayMesh's own proto, over a real loopback channel. */
export function walletClient(address: string): { call: Call; close: () => void } {
  const Client = loadWalletService();
  const client = new Client(address, grpc.credentials.createInsecure());
  const call: Call = (method, request) =>
    new Promise((resolve, reject) =>
      (client as any)[method](request, (err: grpc.ServiceError | null, response: unknown) => (err ? reject(err) : resolve(response))),
    );
  return { call, close: () => client.close() };
}

/** The stable PayMesh error code a gRPC error carries. */
export function errorCode(err: grpc.ServiceError): string | undefined {
  return err.metadata?.get(ERROR_CODE_KEY)[0]?.toString();
}

/** Asserts-by-matching helper for node:assert rejects(): gRPC status plus PayMesh code. */
export function grpcError(code: grpc.status, paymeshCode?: string) {
  return (err: grpc.ServiceError) => {
    if (err.code !== code) throw new Error(`expected gRPC status ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.details}`);
    if (paymeshCode && errorCode(err) !== paymeshCode) {
      throw new Error(`expected error code ${paymeshCode}, got ${errorCode(err)}: ${err.details}`);
    }
    return true;
  };
}
