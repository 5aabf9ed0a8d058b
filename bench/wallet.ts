import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { walletClient, type Call } from '../services/wallet/test/support.ts';
import { spawnService } from '../test/support/processes.ts';
import { throughput } from './measure.ts';

export interface WalletGrpcResult {
  getBalancePerSecond: number;
  /** GetBalance against a bare grpc-js server answering the same message (bench/bare-grpc.ts). */
  bareGetBalancePerSecond: number;
  transferPerSecond: number;
  concurrency: number;
}

/**
 * The wallet service's gRPC API as other services call it, against the
 * platform's own wallet process (so on its database): GetBalance (a read) and
 * TransferFunds (a durable write with an idempotency key), from one channel
 * with `concurrency` calls in flight. GetBalance is also run against a bare
 * @grpc/grpc-js process answering the response the wallet gave, with the same
 * client: what the wallet's read path costs above gRPC itself.
 */
export async function benchWalletGrpc(address: string, { seconds, concurrency }: { seconds: number; concurrency: number }): Promise<WalletGrpcResult> {
  const { call, close } = walletClient(address);
  try {
    const wallets: string[] = [];
    for (let i = 0; i < 8; i++) {
      const w = await call('OpenWallet', { user_id: `bench-${randomUUID()}`, currency: 'USD' });
      await call('UpdateBalance', { wallet_id: w.id, amount_minor: '100000000', idempotency_key: randomUUID() });
      wallets.push(w.id);
    }
    const getBalance = (c: Call) => (i: number) => c('GetBalance', { wallet_id: wallets[i % wallets.length] });
    await throughput(1, concurrency, getBalance(call));
    const getBalancePerSecond = await throughput(seconds, concurrency, getBalance(call));
    const bareGetBalancePerSecond = await benchBareGetBalance(await call('GetBalance', { wallet_id: wallets[0] }), getBalance, { seconds, concurrency });
    const transferPerSecond = await throughput(seconds, concurrency, (i) =>
      call('TransferFunds', {
        from_wallet_id: wallets[i % wallets.length],
        to_wallet_id: wallets[(i + 1) % wallets.length],
        amount_minor: '1',
        idempotency_key: randomUUID(),
      }),
    );
    return { getBalancePerSecond, bareGetBalancePerSecond, transferPerSecond, concurrency };
  } finally {
    close();
  }
}

/** `getBalance` (the same client code as the wallet's row) against a bare grpc-js process answering `response`: calls per second. */
async function benchBareGetBalance(
  response: unknown,
  getBalance: (call: Call) => (i: number) => Promise<unknown>,
  { seconds, concurrency }: { seconds: number; concurrency: number },
): Promise<number> {
  const bare = await spawnService(path.join(import.meta.dirname, 'bare-grpc.ts'), { BARE_GRPC_RESPONSE: JSON.stringify(response) }, (line) =>
    typeof line.address === 'string' ? line.address : undefined,
  );
  const { call, close } = walletClient(bare.ready);
  try {
    await throughput(1, concurrency, getBalance(call));
    return await throughput(seconds, concurrency, getBalance(call));
  } finally {
    close();
    await bare.kill('SIGTERM');
  }
}
