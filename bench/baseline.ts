import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WalletLedger } from '../services/wallet/ledger.ts';
import { walletMigrations } from '../services/wallet/migrations/index.ts';
import type { WalletSchema } from '../services/wallet/schema.ts';
import { dropPostgresSchema, openDatabase, type DatabaseConfig } from '../storage/database.ts';
import { migrateToLatest } from '../storage/migrate.ts';
import type { DatabaseChoice } from './platform-setup.ts';

export interface BaselineResult {
  transfers: number;
  seconds: number;
  perSecond: number;
}

/**
 * What the same payments cost as bare ledger transactions: WalletLedger.transfer
 * (the wallet service's own double-entry transfer, idempotency key included:
 * lock both wallets, book the entry and its lines, update both balances, in
 * one transaction) called in-process on the same kind of database, with the
 * same number of concurrent callers as the end-to-end clients. No network,
 * no saga, no messages: the floor the microservice flow is compared with.
 */
export async function benchBaseline(choice: DatabaseChoice, transfers: number, concurrency: number): Promise<BaselineResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-bench-baseline-'));
  const schema = choice.kind === 'postgres' ? `${choice.schemaPrefix}_baseline` : '';
  const config: DatabaseConfig = choice.kind === 'postgres' ? { kind: 'postgres', url: choice.url, schema } : { kind: 'sqlite', file: path.join(dir, 'wallet.db') };
  const database = await openDatabase<WalletSchema>(config);
  try {
    await migrateToLatest(database.db, walletMigrations);
    const ledger = new WalletLedger(database, { holdTtlSeconds: 900 });
    const wallets: string[] = [];
    for (let i = 0; i < Math.max(2, concurrency); i++) {
      const wallet = await ledger.openWallet({ userId: `baseline-${i}`, currency: 'USD' });
      await ledger.updateBalance({ walletId: wallet.id, amount: { minor: 10_000_000n }, idempotencyKey: randomUUID() });
      wallets.push(wallet.id);
    }
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < transfers) {
          const i = next++;
          await ledger.transfer({
            fromWalletId: wallets[i % wallets.length]!,
            toWalletId: wallets[(i + 1) % wallets.length]!,
            amount: { minor: 100n },
            idempotencyKey: randomUUID(),
            reference: randomUUID(),
          });
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { transfers, seconds, perSecond: transfers / seconds };
  } finally {
    await database.close();
    if (choice.kind === 'postgres') await dropPostgresSchema(choice.url, schema);
    rmSync(dir, { recursive: true, force: true });
  }
}
