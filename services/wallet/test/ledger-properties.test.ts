import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { isPayMeshError } from '../../../contracts/errors.ts';
import { openDatabase, type Database } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrate.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { auditLedger } from '../ledger-audit.ts';
import { WalletLedger } from '../ledger.ts';
import { walletMigrations } from '../migrations/index.ts';
import type { WalletSchema } from '../schema.ts';

type Command =
  | { kind: 'transfer'; from: number; to: number; amount: bigint }
  | { kind: 'reserve'; wallet: number; amount: bigint }
  | { kind: 'release'; hold: number }
  | { kind: 'capture'; hold: number; to: number };

const WALLETS = 5; // four USD wallets and one EUR wallet, so currency mismatches happen too
const amount = fc.bigInt({ min: 1n, max: 4_000n });
const wallet = fc.integer({ min: 0, max: WALLETS - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('transfer' as const), from: wallet, to: wallet, amount }),
  fc.record({ kind: fc.constant('reserve' as const), wallet, amount }),
  fc.record({ kind: fc.constant('release' as const), hold: fc.nat(20) }),
  fc.record({ kind: fc.constant('capture' as const), hold: fc.nat(20), to: wallet }),
);
// Commands run in concurrent waves: every wave's commands race each other.
const waves = fc.array(fc.array(command, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 });

/** Refusals a correct ledger may give for a random command; anything else is a bug. */
const EXPECTED_REFUSALS = new Set(['INSUFFICIENT_FUNDS', 'CURRENCY_MISMATCH', 'SAME_WALLET', 'HOLD_CAPTURED', 'HOLD_NOT_ACTIVE']);

for (const target of await testDatabases()) {
  describe(`ledger properties on ${target.name}`, { skip: target.skip }, () => {
    let database: Database<WalletSchema>;
    let ledger: WalletLedger;
    let cleanup: () => Promise<void>;

    before(async () => {
      const created = await target.create();
      cleanup = created.cleanup;
      database = await openDatabase<WalletSchema>(created.config);
      await migrateToLatest(database.db, walletMigrations);
      ledger = new WalletLedger(database, { holdTtlSeconds: 600 });
    });

    after(async () => {
      await database?.close();
      await cleanup?.();
    });

    test('random concurrent transfers, reserves, releases and captures conserve money and keep every entry balanced', async () => {
      await fc.assert(
        fc.asyncProperty(waves, async (plan) => {
          const ids: string[] = [];
          const funded = new Map<string, bigint>();
          for (let i = 0; i < WALLETS; i++) {
            const currency = i === WALLETS - 1 ? 'EUR' : 'USD';
            const w = await ledger.openWallet({ userId: `prop-${randomUUID()}`, currency });
            const deposit = BigInt(2_000 + i * 1_000);
            await ledger.updateBalance({ walletId: w.id, amount: { minor: deposit } });
            funded.set(currency, (funded.get(currency) ?? 0n) + deposit);
            ids.push(w.id);
          }
          const holds: string[] = [];

          const run = async (cmd: Command): Promise<void> => {
            try {
              switch (cmd.kind) {
                case 'transfer':
                  if (cmd.from === cmd.to) return;
                  await ledger.transfer({ fromWalletId: ids[cmd.from]!, toWalletId: ids[cmd.to]!, amount: { minor: cmd.amount } });
                  return;
                case 'reserve':
                  holds.push((await ledger.reserve({ walletId: ids[cmd.wallet]!, amount: { minor: cmd.amount } })).id);
                  return;
                case 'release':
                  if (holds.length) await ledger.release({ holdId: holds[cmd.hold % holds.length]! });
                  return;
                case 'capture': {
                  if (!holds.length) return;
                  const hold = await ledger.getHold(holds[cmd.hold % holds.length]!);
                  if (hold.walletId === ids[cmd.to]) return;
                  await ledger.capture({ holdId: hold.id, toWalletId: ids[cmd.to]! });
                  return;
                }
              }
            } catch (err) {
              if (isPayMeshError(err) && EXPECTED_REFUSALS.has(err.code)) return;
              throw err;
            }
          };

          for (const wave of plan) await Promise.all(wave.map(run));

          // Compensate what is still held, as a saga would, so nothing stays frozen.
          for (const holdId of holds) {
            const hold = await ledger.getHold(holdId);
            if (hold.status === 'active') await ledger.release({ holdId });
          }

          const totals = new Map<string, bigint>();
          for (const id of ids) {
            const w = await ledger.getWallet(id);
            assert.ok(w.availableMinor >= 0n, `wallet ${id} available is negative`);
            assert.equal(w.frozenMinor, 0n, `wallet ${id} keeps frozen funds after every hold ended`);
            totals.set(w.currency, (totals.get(w.currency) ?? 0n) + w.balanceMinor);
          }
          assert.deepEqual(totals, funded, 'total money per currency is unchanged');
        }),
        { numRuns: target.name === 'sqlite' ? 100 : 50 },
      );
      const audit = await auditLedger(database.db);
      assert.deepEqual(audit.violations, [], 'every journal entry balances and every wallet matches its journal');
    });
  });
}
