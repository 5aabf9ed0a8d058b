import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openDatabase } from '../../../storage/database.ts';
import { spawnService } from '../../../test/support/processes.ts';
import { auditLedger } from '../ledger-audit.ts';
import type { WalletSchema } from '../schema.ts';
import { walletClient } from './support.ts';

const MAIN = path.join(import.meta.dirname, '..', 'main.ts');

function startWalletProcess(dataDir: string) {
  return spawnService(MAIN, { DATA_DIR: dataDir, WALLET_GRPC_PORT: '0', WALLET_CONSUMERS: 'off' }, (line) =>
    typeof line.address === 'string' ? line.address : undefined,
  );
}

test('a wallet killed with SIGKILL during a stream of transfers loses no acknowledged transfer and applies none twice', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'paymesh-crash-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));

  let wallet = await startWalletProcess(dataDir);
  t.after(() => wallet.kill('SIGKILL'));
  let client = walletClient(wallet.ready);
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const w = await client.call('OpenWallet', { user_id: `crash-${randomUUID()}`, currency: 'USD' });
    await client.call('UpdateBalance', { wallet_id: w.id, amount_minor: '100000', idempotency_key: `fund-${w.id}` });
    ids.push(w.id);
  }

  type Transfer = { from_wallet_id: string; to_wallet_id: string; amount_minor: string; idempotency_key: string };
  const acknowledged = new Map<string, { request: Transfer; entryId: string }>();
  const sent: Transfer[] = [];
  let stopped = false;
  const streams = Array.from({ length: 4 }, async (_, lane) => {
    for (let n = 0; !stopped; n++) {
      const from = ids[(lane + n) % 4]!;
      const to = ids[(lane + n + 1) % 4]!;
      const request = { from_wallet_id: from, to_wallet_id: to, amount_minor: String(1 + ((n * 7) % 50)), idempotency_key: randomUUID() };
      sent.push(request);
      try {
        const response = await client.call('TransferFunds', request);
        acknowledged.set(request.idempotency_key, { request, entryId: response.entry_id });
      } catch {
        return; // the server died under this call: its outcome is unknown to the client
      }
    }
  });

  await new Promise((resolve) => setTimeout(resolve, 400));
  await wallet.kill('SIGKILL');
  stopped = true;
  await Promise.all(streams);
  client.close();
  assert.ok(acknowledged.size > 10, `enough transfers were acknowledged before the crash (${acknowledged.size})`);

  wallet = await startWalletProcess(dataDir);
  client = walletClient(wallet.ready);
  try {
    // Every acknowledged transfer is there: replaying its key returns the same entry and applies nothing.
    for (const { request, entryId } of acknowledged.values()) {
      const replay = await client.call('TransferFunds', request);
      assert.equal(replay.entry_id, entryId, `transfer ${request.idempotency_key} survived the crash`);
    }
    // Transfers in flight at the crash are retried by their clients with the same key: each lands once.
    for (const request of sent) {
      if (!acknowledged.has(request.idempotency_key)) await client.call('TransferFunds', request);
    }
  } finally {
    client.close();
    await wallet.kill('SIGTERM');
  }

  const database = await openDatabase<WalletSchema>({ kind: 'sqlite', file: path.join(dataDir, 'wallet.db') });
  try {
    const audit = await auditLedger(database.db);
    assert.deepEqual(audit.violations, []);
    assert.equal(audit.walletTotals.get('USD'), 400_000n, 'no money created or destroyed');
    const transfers = await database.db
      .selectFrom('journal_entries')
      .select((eb) => eb.fn.countAll<bigint>().as('n'))
      .where('kind', '=', 'transfer')
      .executeTakeFirstOrThrow();
    assert.equal(BigInt(transfers.n), BigInt(sent.length), 'each transfer was booked exactly once');
  } finally {
    await database.close();
  }
});
