import * as grpc from '@grpc/grpc-js';
import { PayMeshError, type ErrorKind } from '../contracts/errors.ts';
import { loadWalletService, type BalanceMessage, type HoldMessage, type WalletCall, type WalletMessage, type WalletRpcName } from '../contracts/wallet-grpc.ts';
import { ERROR_CODE_KEY, ERROR_FIELD_KEY } from '../core/grpc-errors.ts';
import { grpcClientTracing } from '../observability/grpc.ts';
import { ServicePolicy } from '../resilience/service-policy.ts';
import { DependencyFailure } from './http-json.ts';

const KIND_BY_STATUS: Partial<Record<grpc.status, ErrorKind>> = {
  [grpc.status.INVALID_ARGUMENT]: 'invalid_argument',
  [grpc.status.NOT_FOUND]: 'not_found',
  [grpc.status.ALREADY_EXISTS]: 'already_exists',
  [grpc.status.FAILED_PRECONDITION]: 'failed_precondition',
};

/** gRPC statuses that mean the wallet service itself is in trouble: the breaker counts them. */
const FAILURE_STATUSES = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.RESOURCE_EXHAUSTED]);

export interface WalletClientOptions {
  timeoutMs?: number;
  failureThreshold?: number;
  halfOpenAfterMs?: number;
}

/**
 * The wallet service's gRPC API for other services: each call runs under a
 * timeout and circuit breaker; reads and calls carrying an idempotency key
 * are retried, others never. Amounts are int64 minor units as decimal strings.
 */
export class WalletClient {
  readonly policy: ServicePolicy;
  private readonly client: grpc.Client;

  constructor(address: string, options: WalletClientOptions = {}) {
    const Service = loadWalletService();
    this.client = new Service(address, grpc.credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.enable_retries': 0,
      // Reconnect quickly once the wallet is back, so a half-open breaker's trial call finds a ready channel.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      // A client span per call, its trace context sent in the call's metadata.
      interceptors: [grpcClientTracing()],
    });
    this.policy = new ServicePolicy({
      target: 'wallet-service',
      timeoutMs: options.timeoutMs ?? 5000,
      failureThreshold: options.failureThreshold,
      halfOpenAfterMs: options.halfOpenAfterMs,
      isFailure: (err) => err instanceof DependencyFailure,
    });
  }

  getBalance(walletId: string): Promise<BalanceMessage> {
    return this.call('GetBalance', { wallet_id: walletId }, true);
  }
  getWallet(walletId: string): Promise<WalletMessage> {
    return this.call('GetWallet', { wallet_id: walletId }, true);
  }
  async listWallets(userId: string): Promise<WalletMessage[]> {
    return (await this.call('ListWallets', { user_id: userId }, true)).wallets;
  }
  openWallet(userId: string, currency: string, idempotencyKey: string): Promise<WalletMessage> {
    return this.call('OpenWallet', { user_id: userId, currency, idempotency_key: idempotencyKey }, true);
  }
  setWalletStatus(walletId: string, status: 'active' | 'suspended', reason: string, idempotencyKey: string): Promise<WalletMessage> {
    return this.call('SetWalletStatus', { wallet_id: walletId, status, reason, idempotency_key: idempotencyKey }, true);
  }
  updateBalance(req: { walletId: string; amountMinor: bigint; currency: string; idempotencyKey: string; reference?: string }) {
    return this.call(
      'UpdateBalance',
      { wallet_id: req.walletId, amount_minor: req.amountMinor.toString(), currency: req.currency, idempotency_key: req.idempotencyKey, reference: req.reference ?? '' },
      true,
    );
  }
  transfer(req: { fromWalletId: string; toWalletId: string; amountMinor: bigint; currency: string; idempotencyKey: string; reference?: string }) {
    return this.call(
      'TransferFunds',
      {
        from_wallet_id: req.fromWalletId,
        to_wallet_id: req.toWalletId,
        amount_minor: req.amountMinor.toString(),
        currency: req.currency,
        idempotency_key: req.idempotencyKey,
        reference: req.reference ?? '',
      },
      true,
    );
  }
  reserve(req: { walletId: string; amountMinor: bigint; currency: string; idempotencyKey: string; reference?: string; ttlSeconds?: number }): Promise<HoldMessage> {
    return this.call(
      'ReserveFunds',
      {
        wallet_id: req.walletId,
        amount_minor: req.amountMinor.toString(),
        currency: req.currency,
        idempotency_key: req.idempotencyKey,
        reference: req.reference ?? '',
        ttl_seconds: req.ttlSeconds ?? 0,
      },
      true,
    );
  }
  release(holdId: string, idempotencyKey: string, reason = ''): Promise<HoldMessage> {
    return this.call('ReleaseFunds', { hold_id: holdId, idempotency_key: idempotencyKey, reason }, true);
  }
  capture(holdId: string, toWalletId: string, idempotencyKey: string): Promise<HoldMessage> {
    return this.call('CaptureFunds', { hold_id: holdId, to_wallet_id: toWalletId, idempotency_key: idempotencyKey }, true);
  }
  getHold(holdId: string): Promise<HoldMessage> {
    return this.call('GetHold', { hold_id: holdId }, true);
  }

  /** Resolves once the channel to the wallet service is connected (for readiness probes; bypasses the breaker). */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => this.client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    this.client.close();
  }

  private call<K extends WalletRpcName>(method: K, request: WalletCall<K>['request'], idempotent: boolean): Promise<WalletCall<K>['response']> {
    type Response = WalletCall<K>['response'];
    // The generated client's overloads cannot be called through a method name held in a variable: one plain signature.
    const client = this.client as unknown as Record<WalletRpcName, (request: unknown, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response: Response) => void) => grpc.ClientUnaryCall>;
    return this.policy.execute(
      (signal) =>
        new Promise<Response>((resolve, reject) => {
          const deadline = new Date(Date.now() + 30_000);
          const call = client[method](request, { deadline }, (err, response) =>
            err ? reject(fromGrpcError(err)) : resolve(response),
          );
          signal.addEventListener('abort', () => call.cancel(), { once: true });
        }),
      { idempotent },
    );
  }
}

function fromGrpcError(err: grpc.ServiceError): Error {
  if (FAILURE_STATUSES.has(err.code) || err.code === grpc.status.CANCELLED) {
    return new DependencyFailure(`wallet-service: ${grpc.status[err.code]} ${err.details}`, undefined, { cause: err });
  }
  const code = err.metadata?.get(ERROR_CODE_KEY)[0]?.toString() ?? grpc.status[err.code];
  const field = err.metadata?.get(ERROR_FIELD_KEY)[0]?.toString();
  return new PayMeshError(KIND_BY_STATUS[err.code] ?? 'invalid_argument', code, err.details, field);
}
