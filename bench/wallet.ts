import { randomUUID } from 'node:crypto';
import { walletClient } from '../services/wallet/test/support.ts';
import { throughput } from './measure.ts';

export interface WalletGrpcResult {
  getBalancePerSecond: number;
  transferPerSecond: number;
  concurrency: number;
}

/**
 * The wallet service's gRPC API as other services call it, against the
 * platform's own wallet process (so on its database): GetBalance (a read) and
 * TransferFunds (a durable write with an idempotency key), from one channel
 * with `concurrency` calls in flight.
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
    await throughput(1, concurrency, (i) => call('GetBalance', { wallet_id: wallets[i % wallets.length] }));
    const getBalancePerSecond = await throughput(seconds, concurrency, (i) => call('GetBalance', { wallet_id: wallets[i % wallets.length] }));
    const transferPerSecond = await throughput(seconds, concurrency, (i) =>
      call('TransferFunds', {
        from_wallet_id: wallets[i % wallets.length],
        to_wallet_id: wallets[(i + 1) % wallets.length],
        amount_minor: '1',
        idempotency_key: randomUUID(),
      }),
    );
    return { getBalancePerSecond, transferPerSecond, concurrency };
  } finally {
    close();
  }
}
