import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { ERROR_FIELD_KEY } from '../../../core/grpc-errors.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { auditLedger } from '../ledger-audit.ts';
import type { WalletService } from '../server.ts';
import { grpcError, startTestWallet, walletClient, type Call } from './support.ts';

for (const target of await testDatabases()) {
  describe(`wallet service over gRPC on ${target.name}`, { skip: target.skip }, () => {
    let service: WalletService;
    let call: Call;
    let closeClient: () => void;
    let cleanup: () => Promise<void>;

    before(async () => {
      const created = await target.create();
      cleanup = created.cleanup;
      service = await startTestWallet(created.config, { holdSweepIntervalMs: 50 });
      ({ call, close: closeClient } = walletClient(service.address));
    });

    after(async () => {
      closeClient?.();
      const audit = service && (await auditLedger(service.database.db));
      await service?.stop();
      await cleanup?.();
      assert.deepEqual(audit?.violations, [], 'the ledger is sound after the whole suite');
    });

    async function openFunded(currency: string, amountMinor: bigint): Promise<string> {
      const wallet = await call('OpenWallet', { user_id: `user-${randomUUID()}`, currency });
      if (amountMinor > 0n) {
        await call('UpdateBalance', { wallet_id: wallet.id, amount_minor: amountMinor.toString(), idempotency_key: randomUUID() });
      }
      return wallet.id;
    }

    async function balances(walletId: string) {
      const b = await call('GetBalance', { wallet_id: walletId });
      return { available: BigInt(b.available_minor), frozen: BigInt(b.frozen_minor) };
    }

    test('a new wallet starts empty and a second wallet in the same currency is refused', async () => {
      const userId = `user-${randomUUID()}`;
      const wallet = await call('OpenWallet', { user_id: userId, currency: 'EUR' });
      assert.equal(wallet.user_id, userId);
      assert.equal(wallet.currency, 'EUR');
      assert.equal(wallet.balance_minor, '0');
      await assert.rejects(call('OpenWallet', { user_id: userId, currency: 'EUR' }), grpcError(status.ALREADY_EXISTS, 'WALLET_EXISTS'));
      const listed = await call('ListWallets', { user_id: userId });
      assert.deepEqual(listed.wallets.map((w: any) => w.id), [wallet.id]);
    });

    test('opening a wallet with the same idempotency key returns the first wallet', async () => {
      const userId = `user-${randomUUID()}`;
      const key = randomUUID();
      const first = await call('OpenWallet', { user_id: userId, currency: 'USD', idempotency_key: key });
      const again = await call('OpenWallet', { user_id: userId, currency: 'USD', idempotency_key: key });
      assert.equal(again.id, first.id);
    });

    test('a top-up and a withdrawal move money against the funding account and show in both seed and precise fields', async () => {
      const id = await openFunded('USD', 0n);
      const topUp = await call('UpdateBalance', { wallet_id: id, amount: 10.25, currency: 'USD', idempotency_key: randomUUID() });
      assert.equal(topUp.success, true);
      assert.equal(topUp.balance_minor, '1025');
      await call('UpdateBalance', { wallet_id: id, amount_minor: '-225', idempotency_key: randomUUID() });
      const balance = await call('GetBalance', { wallet_id: id, currency: 'USD' });
      assert.equal(balance.balance, 8);
      assert.equal(balance.available_balance, 8);
      assert.equal(balance.frozen_balance, 0);
      assert.equal(balance.balance_minor, '800');
      assert.equal(balance.currency, 'USD');
    });

    test('a withdrawal beyond the available balance is refused and changes nothing', async () => {
      const id = await openFunded('USD', 500n);
      await assert.rejects(
        call('UpdateBalance', { wallet_id: id, amount_minor: '-501', idempotency_key: randomUUID() }),
        grpcError(status.FAILED_PRECONDITION, 'INSUFFICIENT_FUNDS'),
      );
      assert.deepEqual(await balances(id), { available: 500n, frozen: 0n });
    });

    test('a transfer moves money between wallets of one currency', async () => {
      const from = await openFunded('USD', 10_000n);
      const to = await openFunded('USD', 0n);
      const result = await call('TransferFunds', { from_wallet_id: from, to_wallet_id: to, amount: 12.5 });
      assert.equal(result.success, true);
      assert.ok(result.entry_id);
      assert.deepEqual(await balances(from), { available: 8_750n, frozen: 0n });
      assert.deepEqual(await balances(to), { available: 1_250n, frozen: 0n });
    });

    test('a transfer with insufficient funds fails with FAILED_PRECONDITION and changes nothing', async () => {
      const from = await openFunded('USD', 100n);
      const to = await openFunded('USD', 0n);
      await assert.rejects(
        call('TransferFunds', { from_wallet_id: from, to_wallet_id: to, amount_minor: '101' }),
        grpcError(status.FAILED_PRECONDITION, 'INSUFFICIENT_FUNDS'),
      );
      assert.deepEqual(await balances(from), { available: 100n, frozen: 0n });
      assert.deepEqual(await balances(to), { available: 0n, frozen: 0n });
    });

    test('bad input is refused with a clear status and changes nothing', async () => {
      const usd = await openFunded('USD', 1_000n);
      const usd2 = await openFunded('USD', 0n);
      const jpy = await openFunded('JPY', 1_000n);
      const unknown = randomUUID();
      const cases: Array<[string, Record<string, unknown>, status, string]> = [
        ['unknown wallet', { from_wallet_id: unknown, to_wallet_id: usd2, amount_minor: '1' }, status.NOT_FOUND, 'WALLET_NOT_FOUND'],
        ['unknown receiver', { from_wallet_id: usd, to_wallet_id: unknown, amount_minor: '1' }, status.NOT_FOUND, 'WALLET_NOT_FOUND'],
        ['malformed id', { from_wallet_id: 'not-a-uuid', to_wallet_id: usd2, amount_minor: '1' }, status.INVALID_ARGUMENT, 'INVALID_ID'],
        ['empty id', { from_wallet_id: '', to_wallet_id: usd2, amount_minor: '1' }, status.INVALID_ARGUMENT, 'INVALID_ID'],
        ['same wallet', { from_wallet_id: usd, to_wallet_id: usd, amount_minor: '1' }, status.INVALID_ARGUMENT, 'SAME_WALLET'],
        ['currency mismatch between wallets', { from_wallet_id: usd, to_wallet_id: jpy, amount_minor: '1' }, status.FAILED_PRECONDITION, 'CURRENCY_MISMATCH'],
        ['request currency differs from the wallet', { from_wallet_id: usd, to_wallet_id: usd2, amount_minor: '1', currency: 'EUR' }, status.FAILED_PRECONDITION, 'CURRENCY_MISMATCH'],
        ['unknown currency', { from_wallet_id: usd, to_wallet_id: usd2, amount_minor: '1', currency: 'ZZZ' }, status.INVALID_ARGUMENT, 'INVALID_CURRENCY'],
        ['zero amount', { from_wallet_id: usd, to_wallet_id: usd2, amount: 0 }, status.INVALID_ARGUMENT, 'INVALID_AMOUNT'],
        ['negative amount', { from_wallet_id: usd, to_wallet_id: usd2, amount: -1 }, status.INVALID_ARGUMENT, 'INVALID_AMOUNT'],
        ['negative minor amount', { from_wallet_id: usd, to_wallet_id: usd2, amount_minor: '-5' }, status.INVALID_ARGUMENT, 'INVALID_AMOUNT'],
        ['NaN amount', { from_wallet_id: usd, to_wallet_id: usd2, amount: Number.NaN }, status.INVALID_ARGUMENT, 'INVALID_AMOUNT'],
        ['infinite amount', { from_wallet_id: usd, to_wallet_id: usd2, amount: Number.POSITIVE_INFINITY }, status.INVALID_ARGUMENT, 'INVALID_AMOUNT'],
        ['huge amount', { from_wallet_id: usd, to_wallet_id: usd2, amount: 1e20 }, status.INVALID_ARGUMENT, 'AMOUNT_TOO_LARGE'],
        ['huge minor amount', { from_wallet_id: usd, to_wallet_id: usd2, amount_minor: '9223372036854775807' }, status.INVALID_ARGUMENT, 'AMOUNT_TOO_LARGE'],
        ['sub-cent double', { from_wallet_id: usd, to_wallet_id: usd2, amount: 10.255 }, status.INVALID_ARGUMENT, 'INVALID_AMOUNT'],
        ['double and minor disagree', { from_wallet_id: usd, to_wallet_id: usd2, amount: 1, amount_minor: '99' }, status.INVALID_ARGUMENT, 'AMOUNT_MISMATCH'],
        ['fractional yen', { from_wallet_id: jpy, to_wallet_id: jpy, amount: 100.5 }, status.INVALID_ARGUMENT, 'SAME_WALLET'],
      ];
      for (const [name, request, code, paymeshCode] of cases) {
        await assert.rejects(call('TransferFunds', request), grpcError(code, paymeshCode), name);
      }
      const jpy2 = await openFunded('JPY', 0n);
      await assert.rejects(
        call('TransferFunds', { from_wallet_id: jpy, to_wallet_id: jpy2, amount: 100.5 }),
        grpcError(status.INVALID_ARGUMENT, 'INVALID_AMOUNT'),
        'fractional yen',
      );
      await call('TransferFunds', { from_wallet_id: jpy, to_wallet_id: jpy2, amount: 100 });
      assert.deepEqual(await balances(usd), { available: 1_000n, frozen: 0n });
      assert.deepEqual(await balances(usd2), { available: 0n, frozen: 0n });
      assert.deepEqual(await balances(jpy), { available: 900n, frozen: 0n });

      await assert.rejects(call('OpenWallet', { user_id: '', currency: 'USD' }), grpcError(status.INVALID_ARGUMENT, 'INVALID_USER_ID'));
      await assert.rejects(call('OpenWallet', { user_id: 'u1', currency: 'usd' }), grpcError(status.INVALID_ARGUMENT, 'INVALID_CURRENCY'));
      await assert.rejects(call('GetBalance', { wallet_id: unknown }), grpcError(status.NOT_FOUND, 'WALLET_NOT_FOUND'));
      await assert.rejects(call('GetBalance', { wallet_id: usd, currency: 'JPY' }), grpcError(status.INVALID_ARGUMENT, 'CURRENCY_MISMATCH'));
      await assert.rejects(call('UpdateBalance', { wallet_id: usd, amount: 0 }), grpcError(status.INVALID_ARGUMENT, 'INVALID_AMOUNT'));
      await assert.rejects(
        call('UpdateBalance', { wallet_id: usd, amount_minor: '1', idempotency_key: 'has spaces' }),
        grpcError(status.INVALID_ARGUMENT, 'INVALID_IDEMPOTENCY_KEY'),
      );
      await assert.rejects(call('ReserveFunds', { wallet_id: usd, amount_minor: '1', ttl_seconds: -1 }), grpcError(status.INVALID_ARGUMENT, 'INVALID_TTL'));
      await assert.rejects(call('ReleaseFunds', { hold_id: randomUUID() }), grpcError(status.NOT_FOUND, 'HOLD_NOT_FOUND'));
      assert.deepEqual(await balances(usd), { available: 1_000n, frozen: 0n });
    });

    test('the same idempotency key with the same transfer applies it once and returns the first result', async () => {
      const from = await openFunded('USD', 1_000n);
      const to = await openFunded('USD', 0n);
      const key = randomUUID();
      const request = { from_wallet_id: from, to_wallet_id: to, amount_minor: '300', idempotency_key: key };
      const results = await Promise.all([call('TransferFunds', request), call('TransferFunds', request), call('TransferFunds', request)]);
      assert.equal(new Set(results.map((r) => r.entry_id)).size, 1);
      assert.deepEqual(await balances(from), { available: 700n, frozen: 0n });
      assert.deepEqual(await balances(to), { available: 300n, frozen: 0n });
    });

    test('the same idempotency key with a different request is rejected and changes nothing', async () => {
      const from = await openFunded('USD', 1_000n);
      const to = await openFunded('USD', 0n);
      const key = randomUUID();
      await call('TransferFunds', { from_wallet_id: from, to_wallet_id: to, amount_minor: '300', idempotency_key: key });
      await assert.rejects(
        call('TransferFunds', { from_wallet_id: from, to_wallet_id: to, amount_minor: '301', idempotency_key: key }),
        grpcError(status.ALREADY_EXISTS, 'IDEMPOTENCY_KEY_REUSED'),
      );
      await assert.rejects(
        call('UpdateBalance', { wallet_id: from, amount_minor: '300', idempotency_key: key }),
        grpcError(status.ALREADY_EXISTS, 'IDEMPOTENCY_KEY_REUSED'),
      );
      assert.deepEqual(await balances(from), { available: 700n, frozen: 0n });
    });

    test('reserving moves available to frozen, and capturing completes the transfer to the receiver', async () => {
      const sender = await openFunded('EUR', 5_000n);
      const receiver = await openFunded('EUR', 0n);
      const hold = await call('ReserveFunds', { wallet_id: sender, amount_minor: '2000', currency: 'EUR', reference: 'payment-1', idempotency_key: randomUUID() });
      assert.equal(hold.status, 'active');
      assert.ok(hold.hold_id);
      assert.deepEqual(await balances(sender), { available: 3_000n, frozen: 2_000n });
      const sent = await call('GetBalance', { wallet_id: sender });
      assert.equal(sent.balance_minor, '5000', 'balance = available + frozen');

      const captured = await call('CaptureFunds', { hold_id: hold.hold_id, to_wallet_id: receiver, idempotency_key: randomUUID() });
      assert.equal(captured.status, 'captured');
      assert.deepEqual(await balances(sender), { available: 3_000n, frozen: 0n });
      assert.deepEqual(await balances(receiver), { available: 2_000n, frozen: 0n });

      const again = await call('CaptureFunds', { hold_id: hold.hold_id, to_wallet_id: receiver });
      assert.equal(again.status, 'captured', 'capturing twice to the same receiver is a no-op');
      assert.deepEqual(await balances(receiver), { available: 2_000n, frozen: 0n });
      await assert.rejects(call('ReleaseFunds', { hold_id: hold.hold_id }), grpcError(status.FAILED_PRECONDITION, 'HOLD_CAPTURED'));
    });

    test('releasing a hold returns its funds, and releasing it again is harmless', async () => {
      const sender = await openFunded('USD', 1_000n);
      const receiver = await openFunded('USD', 0n);
      const hold = await call('ReserveFunds', { wallet_id: sender, amount: 4 });
      assert.deepEqual(await balances(sender), { available: 600n, frozen: 400n });
      const released = await call('ReleaseFunds', { hold_id: hold.hold_id, reason: 'receiver rejected' });
      assert.equal(released.status, 'released');
      const twice = await call('ReleaseFunds', { hold_id: hold.hold_id });
      assert.equal(twice.status, 'released');
      assert.deepEqual(await balances(sender), { available: 1_000n, frozen: 0n });
      await assert.rejects(
        call('CaptureFunds', { hold_id: hold.hold_id, to_wallet_id: receiver }),
        grpcError(status.FAILED_PRECONDITION, 'HOLD_NOT_ACTIVE'),
      );
      assert.deepEqual(await balances(receiver), { available: 0n, frozen: 0n });
    });

    test('a release is never refused for its reason: a capture refusal quoting a long suspension reason still releases the hold', async () => {
      // What the payment saga does when the receiver is suspended: the capture's refusal (which quotes the suspension
      // reason) becomes the release's reason. Refused as too long, it left the payment compensating with the money frozen.
      const sender = await openFunded('USD', 1_000n);
      const receiver = await openFunded('USD', 0n);
      await call('SetWalletStatus', { wallet_id: receiver, status: 'suspended', reason: 'r'.repeat(200), idempotency_key: randomUUID() });
      const hold = await call('ReserveFunds', { wallet_id: sender, amount_minor: '400', reference: 'payment-1' });
      const refusal = await call('CaptureFunds', { hold_id: hold.hold_id, to_wallet_id: receiver, idempotency_key: randomUUID() }).catch((err) => err);
      assert.equal(status[refusal.code], 'FAILED_PRECONDITION', refusal.details);
      const reason = `WALLET_SUSPENDED: ${refusal.details}`;
      assert.ok(reason.length > 200, `the saga's release reason is ${reason.length} characters`);
      const released = await call('ReleaseFunds', { hold_id: hold.hold_id, idempotency_key: randomUUID(), reason });
      assert.equal(released.status, 'released');
      assert.deepEqual(await balances(sender), { available: 1_000n, frozen: 0n });
    });

    test('text holding a NUL is refused as bad input, whatever the field: PostgreSQL cannot store it (found by the fuzzer)', async () => {
      const wallet = await openFunded('USD', 1_000n);
      const before = await balances(wallet);
      for (const [method, request, field] of [
        ['UpdateBalance', { wallet_id: wallet, amount_minor: '100', reference: 'top-up\u0000', idempotency_key: randomUUID() }, 'reference'],
        ['SetWalletStatus', { wallet_id: wallet, status: 'suspended', reason: 'a\u0000b', idempotency_key: randomUUID() }, 'reason'],
        ['ReserveFunds', { wallet_id: wallet, amount_minor: '100', reference: '\u0000', idempotency_key: randomUUID() }, 'reference'],
        ['OpenWallet', { user_id: `user\u0000${randomUUID()}`, currency: 'USD' }, 'user_id'],
      ] as const) {
        await assert.rejects(call(method, request), (err: ServiceError) => {
          grpcError(status.INVALID_ARGUMENT, 'INVALID_TEXT')(err);
          assert.equal(err.metadata.get(ERROR_FIELD_KEY)[0]?.toString(), field, method);
          return true;
        });
      }
      assert.deepEqual(await balances(wallet), before);
      assert.equal((await call('GetWallet', { wallet_id: wallet })).status, 'active');
    });

    test('a reservation beyond the available balance is refused', async () => {
      const sender = await openFunded('USD', 100n);
      await assert.rejects(call('ReserveFunds', { wallet_id: sender, amount_minor: '101' }), grpcError(status.FAILED_PRECONDITION, 'INSUFFICIENT_FUNDS'));
      assert.deepEqual(await balances(sender), { available: 100n, frozen: 0n });
    });

    test('a hold that is neither captured nor released expires and its funds return', async () => {
      const sender = await openFunded('USD', 1_000n);
      const receiver = await openFunded('USD', 0n);
      const hold = await call('ReserveFunds', { wallet_id: sender, amount_minor: '250', ttl_seconds: 1 });
      assert.deepEqual(await balances(sender), { available: 750n, frozen: 250n });
      const deadline = Date.now() + 10_000;
      let state = hold.status;
      while (state === 'active' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        state = (await call('GetHold', { hold_id: hold.hold_id })).status;
      }
      assert.equal(state, 'expired');
      assert.deepEqual(await balances(sender), { available: 1_000n, frozen: 0n });
      await assert.rejects(
        call('CaptureFunds', { hold_id: hold.hold_id, to_wallet_id: receiver }),
        grpcError(status.FAILED_PRECONDITION, 'HOLD_NOT_ACTIVE'),
      );
    });

    test('a suspended wallet can neither send nor receive, its holds can still be released, and it can be reinstated', async () => {
      const sender = await openFunded('USD', 10_000n);
      const receiver = await openFunded('USD', 0n);
      const hold = await call('ReserveFunds', { wallet_id: sender, amount_minor: '3000', idempotency_key: randomUUID() });
      const suspended = await call('SetWalletStatus', { wallet_id: receiver, status: 'suspended', reason: 'compliance review', idempotency_key: randomUUID() });
      assert.equal(suspended.status, 'suspended');
      assert.equal(suspended.status_reason, 'compliance review');

      const refused = grpcError(status.FAILED_PRECONDITION, 'WALLET_SUSPENDED');
      await assert.rejects(call('CaptureFunds', { hold_id: hold.hold_id, to_wallet_id: receiver, idempotency_key: randomUUID() }), refused);
      await assert.rejects(call('TransferFunds', { from_wallet_id: sender, to_wallet_id: receiver, amount_minor: '1', idempotency_key: randomUUID() }), refused);
      await assert.rejects(call('TransferFunds', { from_wallet_id: receiver, to_wallet_id: sender, amount_minor: '1', idempotency_key: randomUUID() }), refused);
      await assert.rejects(call('UpdateBalance', { wallet_id: receiver, amount_minor: '500', idempotency_key: randomUUID() }), refused);
      await assert.rejects(call('ReserveFunds', { wallet_id: receiver, amount_minor: '1', idempotency_key: randomUUID() }), refused);
      assert.deepEqual(await balances(receiver), { available: 0n, frozen: 0n });

      // The sender's reserved funds are not trapped by the receiver's suspension.
      const released = await call('ReleaseFunds', { hold_id: hold.hold_id, idempotency_key: randomUUID() });
      assert.equal(released.status, 'released');
      assert.deepEqual(await balances(sender), { available: 10_000n, frozen: 0n });

      await assert.rejects(call('SetWalletStatus', { wallet_id: receiver, status: 'closed', idempotency_key: randomUUID() }), grpcError(status.INVALID_ARGUMENT, 'INVALID_STATUS'));
      const reinstated = await call('SetWalletStatus', { wallet_id: receiver, status: 'active', idempotency_key: randomUUID() });
      assert.equal(reinstated.status, 'active');
      assert.equal(reinstated.status_reason, '');
      await call('TransferFunds', { from_wallet_id: sender, to_wallet_id: receiver, amount_minor: '700', idempotency_key: randomUUID() });
      assert.deepEqual(await balances(receiver), { available: 700n, frozen: 0n });
    });

    test('parallel transfers on the same wallets never lose an update or overdraw', async () => {
      const a = await openFunded('USD', 1_000n);
      const b = await openFunded('USD', 1_000n);
      const moves = Array.from({ length: 60 }, (_, i) =>
        call('TransferFunds', {
          from_wallet_id: i % 2 ? a : b,
          to_wallet_id: i % 2 ? b : a,
          amount_minor: String(50 + (i % 7) * 40),
          idempotency_key: randomUUID(),
        }).then(
          () => 'ok',
          (err) => {
            assert.equal(err.code, status.FAILED_PRECONDITION, err.details);
            return 'refused';
          },
        ),
      );
      const outcomes = await Promise.all(moves);
      assert.ok(outcomes.includes('ok'));
      const [ba, bb] = [await balances(a), await balances(b)];
      assert.equal(ba.available + bb.available, 2_000n, 'no money created or destroyed');
      assert.ok(ba.available >= 0n && bb.available >= 0n);
      const audit = await auditLedger(service.database.db);
      assert.deepEqual(audit.violations, []);
    });
  });
}
