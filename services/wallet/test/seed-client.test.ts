import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { testDatabases } from '../../../test/support/databases.ts';
import type { WalletService } from '../server.ts';
import { startTestWallet, walletClient } from './support.ts';

const SEED_PROTO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'seed-wallet.proto');

/** A client built from the seed's proto text, as the seed's WalletServiceClient would use it. */
function seedClient(address: string) {
  const definition = protoLoader.loadSync(SEED_PROTO, { keepCase: true });
  const WalletService = grpc.loadPackageDefinition(definition).WalletService as grpc.ServiceClientConstructor;
  const stub = new WalletService(address, grpc.credentials.createInsecure()) as any;
  const unary = (method: string, request: object) =>
    new Promise<any>((resolve, reject) => stub[method](request, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))));
  return {
    getBalance: (wallet_id: string, currency: string) => unary('GetBalance', { wallet_id, currency }),
    transferFunds: async (from: string, to: string, amount: number) =>
      (await unary('TransferFunds', { from_wallet_id: from, to_wallet_id: to, amount })).success as boolean,
    updateBalance: (wallet_id: string, amount: number, currency: string) => unary('UpdateBalance', { wallet_id, amount, currency }),
    close: () => stub.close(),
  };
}

const [sqlite] = await testDatabases();
let service: WalletService;
let cleanup: () => Promise<void>;
let walletIds: { alice: string; bob: string };

before(async () => {
  const created = await sqlite!.create();
  cleanup = created.cleanup;
  service = await startTestWallet(created.config);
  const admin = walletClient(service.address);
  const alice = await admin.call('OpenWallet', { user_id: `alice-${randomUUID()}`, currency: 'USD' });
  const bob = await admin.call('OpenWallet', { user_id: `bob-${randomUUID()}`, currency: 'USD' });
  admin.close();
  walletIds = { alice: alice.id, bob: bob.id };
});

after(async () => {
  await service.stop();
  await cleanup();
});

test('a client generated from the seed proto reads balances, tops up and transfers funds unchanged', async () => {
  const client = seedClient(service.address);
  try {
    const topUp = await client.updateBalance(walletIds.alice, 100.5, 'USD');
    assert.equal(topUp.success, true);

    const before = await client.getBalance(walletIds.alice, 'USD');
    assert.deepEqual(before, { balance: 100.5, available_balance: 100.5, frozen_balance: 0 });

    assert.equal(await client.transferFunds(walletIds.alice, walletIds.bob, 25.25), true);
    assert.deepEqual(await client.getBalance(walletIds.alice, 'USD'), { balance: 75.25, available_balance: 75.25, frozen_balance: 0 });
    assert.deepEqual(await client.getBalance(walletIds.bob, 'USD'), { balance: 25.25, available_balance: 25.25, frozen_balance: 0 });
  } finally {
    client.close();
  }
});

test('a seed client sending an amount that is not exact in minor units gets INVALID_ARGUMENT', async () => {
  const client = seedClient(service.address);
  try {
    await assert.rejects(client.transferFunds(walletIds.alice, walletIds.bob, 0.001), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err.details, /decimal places/);
      return true;
    });
    await assert.rejects(client.transferFunds(walletIds.alice, walletIds.bob, 1e9), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
      return true;
    });
  } finally {
    client.close();
  }
});
