import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startWalletService } from '../services/wallet/app.ts';
import { walletClient } from '../services/wallet/test/support.ts';
import type { BenchRow } from './run.ts';

/** Runs `op` from `concurrency` loops for `seconds` and returns operations per second. */
async function throughput(seconds: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      for (let i = lane; performance.now() < deadline; i += concurrency) {
        await op(i);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

export async function benchWallet({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-bench-'));
  const service = await startWalletService(
    { host: '127.0.0.1', port: 0, database: { kind: 'sqlite', file: path.join(dir, 'wallet.db') }, holdTtlSeconds: 900, holdSweepIntervalMs: 60_000 },
    pino({ level: 'silent' }),
  );
  const { call, close } = walletClient(service.address);
  try {
    const wallets: string[] = [];
    for (let i = 0; i < 8; i++) {
      const w = await call('OpenWallet', { user_id: `bench-${randomUUID()}`, currency: 'USD' });
      await call('UpdateBalance', { wallet_id: w.id, amount_minor: '100000000', idempotency_key: randomUUID() });
      wallets.push(w.id);
    }
    const seconds = quick ? 2 : 5;
    const reads = await throughput(seconds, 16, (i) => call('GetBalance', { wallet_id: wallets[i % wallets.length] }));
    const transfers = await throughput(seconds, 16, (i) =>
      call('TransferFunds', {
        from_wallet_id: wallets[i % wallets.length],
        to_wallet_id: wallets[(i + 1) % wallets.length],
        amount_minor: '1',
        idempotency_key: randomUUID(),
      }),
    );
    return [
      { name: 'wallet gRPC GetBalance', value: `${reads.toFixed(0)} calls/s`, note: '16 concurrent callers, SQLite' },
      { name: 'wallet gRPC TransferFunds', value: `${transfers.toFixed(0)} transfers/s`, note: 'durable (WAL, synchronous=FULL), idempotency key each' },
    ];
  } finally {
    close();
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
