import type { Kysely } from 'kysely';
import type { WalletSchema } from './schema.ts';

export interface LedgerAudit {
  /** Sum of wallet balances (available + frozen) per currency. */
  walletTotals: Map<string, bigint>;
  /** Everything that is wrong; empty when the ledger is sound. */
  violations: string[];
}

/**
 * Recomputes the ledger's invariants from the journal: every entry balances,
 * each wallet's columns equal the sum of its lines, frozen equals its active
 * holds, nothing is negative, and wallets plus funding sum to zero per currency.
 * Used by tests, the crash and chaos harnesses, and operators.
 */
export async function auditLedger(db: Kysely<WalletSchema>): Promise<LedgerAudit> {
  const violations: string[] = [];

  const unbalanced = await db
    .selectFrom('journal_lines')
    .select(['entry_id', 'currency', (eb) => eb.fn.sum<bigint>('amount').as('total')])
    .groupBy(['entry_id', 'currency'])
    .execute();
  for (const row of unbalanced) {
    if (BigInt(row.total) !== 0n) violations.push(`entry ${row.entry_id} is unbalanced by ${row.total} ${row.currency}`);
  }

  const entriesWithoutLines = await db
    .selectFrom('journal_entries')
    .leftJoin('journal_lines', 'journal_lines.entry_id', 'journal_entries.id')
    .select('journal_entries.id')
    .where('journal_lines.entry_id', 'is', null)
    .execute();
  for (const row of entriesWithoutLines) violations.push(`entry ${row.id} has no lines`);

  const wallets = await db.selectFrom('wallets').selectAll().execute();
  const lineSums = await db
    .selectFrom('journal_lines')
    .select(['wallet_id', 'bucket', (eb) => eb.fn.sum<bigint>('amount').as('total')])
    .where('wallet_id', 'is not', null)
    .groupBy(['wallet_id', 'bucket'])
    .execute();
  const sums = new Map(lineSums.map((r) => [`${r.wallet_id}/${r.bucket}`, BigInt(r.total)]));
  const activeHolds = await db
    .selectFrom('holds')
    .select(['wallet_id', (eb) => eb.fn.sum<bigint>('amount').as('total')])
    .where('status', '=', 'active')
    .groupBy('wallet_id')
    .execute();
  const held = new Map(activeHolds.map((r) => [r.wallet_id, BigInt(r.total)]));

  const walletTotals = new Map<string, bigint>();
  for (const w of wallets) {
    const available = BigInt(w.available);
    const frozen = BigInt(w.frozen);
    if (available < 0n) violations.push(`wallet ${w.id} has negative available ${available}`);
    if (frozen < 0n) violations.push(`wallet ${w.id} has negative frozen ${frozen}`);
    const availableLines = sums.get(`${w.id}/available`) ?? 0n;
    const frozenLines = sums.get(`${w.id}/frozen`) ?? 0n;
    if (availableLines !== available) violations.push(`wallet ${w.id} available ${available} != journal ${availableLines}`);
    if (frozenLines !== frozen) violations.push(`wallet ${w.id} frozen ${frozen} != journal ${frozenLines}`);
    const holds = held.get(w.id) ?? 0n;
    if (holds !== frozen) violations.push(`wallet ${w.id} frozen ${frozen} != active holds ${holds}`);
    walletTotals.set(w.currency, (walletTotals.get(w.currency) ?? 0n) + available + frozen);
  }

  const funding = await db.selectFrom('funding_accounts').selectAll().execute();
  const fundingLines = await db
    .selectFrom('journal_lines')
    .select(['currency', (eb) => eb.fn.sum<bigint>('amount').as('total')])
    .where('bucket', '=', 'funding')
    .groupBy('currency')
    .execute();
  const fundingByLines = new Map(fundingLines.map((r) => [r.currency, BigInt(r.total)]));
  const currencies = new Set([...walletTotals.keys(), ...funding.map((f) => f.currency)]);
  for (const currency of currencies) {
    const account = funding.find((f) => f.currency === currency);
    const balance = account ? BigInt(account.balance) : 0n;
    if ((fundingByLines.get(currency) ?? 0n) !== balance) {
      violations.push(`funding ${currency} balance ${balance} != journal ${fundingByLines.get(currency) ?? 0n}`);
    }
    const total = (walletTotals.get(currency) ?? 0n) + balance;
    if (total !== 0n) violations.push(`${currency}: wallets plus funding sum to ${total}, not zero`);
  }

  return { walletTotals, violations };
}
