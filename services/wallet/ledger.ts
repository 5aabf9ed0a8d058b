import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { failedPrecondition, invalidArgument, notFound, alreadyExists, PayMeshError } from '../../contracts/errors.ts';
import { fromDouble, MAX_BALANCE_MINOR, minorUnits, requirePositiveAmount, MAX_AMOUNT_MINOR } from '../../contracts/money.ts';
import { isUniqueViolation, type Database } from '../../storage/database.ts';
import { inTransaction } from '../../storage/transaction.ts';
import { applyOnce, validateIdempotencyKey } from './idempotency.ts';
import type { Bucket, EntryKind, HoldRow, HoldStatus, WalletRow, WalletSchema, WalletStatus } from './schema.ts';

/** An amount as a client sent it: precise minor units, or a seed-style double that must convert exactly. */
export type AmountInput = { minor: bigint; double?: number } | { double: number };

export interface WalletView {
  id: string;
  userId: string;
  currency: string;
  availableMinor: bigint;
  frozenMinor: bigint;
  balanceMinor: bigint;
  status: WalletStatus;
  statusReason: string | null;
  createdAt: string;
}

export interface HoldView {
  id: string;
  walletId: string;
  currency: string;
  amountMinor: bigint;
  status: HoldStatus;
  expiresAt: string;
  toWalletId: string | null;
  reference: string | null;
  /** The journal entry the call that returned this view booked, if any. */
  entryId: string | null;
}

export interface LedgerOptions {
  /** How long a reservation holds funds before the sweeper releases it. */
  holdTtlSeconds: number;
  clock?: () => Date;
}

interface LineInput {
  walletId: string | null;
  bucket: Bucket;
  amount: bigint;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
const MAX_HOLD_TTL_SECONDS = 7 * 24 * 3600;
const MAX_REFERENCE_LENGTH = 200;

/**
 * The double-entry ledger behind every wallet. Each movement is one journal
 * entry whose lines sum to zero per currency; a wallet's available and frozen
 * columns are the running sums of its lines, updated in the same transaction.
 */
export class WalletLedger {
  private readonly database: Database<WalletSchema>;
  private readonly holdTtlSeconds: number;
  private readonly clock: () => Date;

  constructor(database: Database<WalletSchema>, options: LedgerOptions) {
    this.database = database;
    this.holdTtlSeconds = options.holdTtlSeconds;
    this.clock = options.clock ?? (() => new Date());
  }

  async openWallet(input: { userId: string; currency: string; idempotencyKey?: string }): Promise<WalletView> {
    const userId = requireUserId(input.userId);
    minorUnits(input.currency);
    const key = validateIdempotencyKey(input.idempotencyKey);
    return this.run(async (trx, now) =>
      applyOnce(trx, key, 'OpenWallet', { userId, currency: input.currency }, now, async () => {
        const existing = await trx
          .selectFrom('wallets')
          .select('id')
          .where('user_id', '=', userId)
          .where('currency', '=', input.currency)
          .executeTakeFirst();
        if (existing) {
          throw alreadyExists('WALLET_EXISTS', `user ${userId} already has a ${input.currency} wallet (${existing.id})`);
        }
        const row: WalletRow = {
          id: randomUUID(),
          user_id: userId,
          currency: input.currency,
          available: 0n,
          frozen: 0n,
          status: 'active',
          status_reason: null,
          created_at: now,
          updated_at: now,
        };
        await trx.insertInto('wallets').values(row).execute();
        return toWalletView(row);
      }),
    );
  }

  async getWallet(walletId: string): Promise<WalletView> {
    const id = requireUuid(walletId, 'wallet_id');
    const row = await this.database.db.selectFrom('wallets').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw walletNotFound(id);
    return toWalletView(row);
  }

  async listWallets(userId: string): Promise<WalletView[]> {
    const id = requireUserId(userId);
    const rows = await this.database.db
      .selectFrom('wallets')
      .selectAll()
      .where('user_id', '=', id)
      .orderBy('currency')
      .execute();
    return rows.map(toWalletView);
  }

  /** Suspends a wallet or makes it active again. Idempotent: setting the status it already has changes nothing. */
  async setWalletStatus(input: { walletId: string; status: string; reason?: string; idempotencyKey?: string }): Promise<WalletView> {
    const walletId = requireUuid(input.walletId, 'wallet_id');
    if (input.status !== 'active' && input.status !== 'suspended') {
      throw invalidArgument('INVALID_STATUS', `status must be 'active' or 'suspended', got '${String(input.status).slice(0, 32)}'`, 'status');
    }
    const status: WalletStatus = input.status;
    const reason = optionalReference(input.reason) ?? null;
    const key = validateIdempotencyKey(input.idempotencyKey);
    return this.run(async (trx, now) => {
      const wallet = (await this.lockWallets(trx, [walletId])).get(walletId)!;
      return applyOnce(trx, key, 'SetWalletStatus', { walletId, status, reason }, now, async () => {
        const changed: WalletRow = { ...wallet, status, status_reason: status === 'active' ? null : reason, updated_at: now };
        await trx
          .updateTable('wallets')
          .set({ status: changed.status, status_reason: changed.status_reason, updated_at: now })
          .where('id', '=', walletId)
          .execute();
        return toWalletView(changed);
      });
    });
  }

  /** Money in (positive amount) or out (negative) of a wallet, against the external funding account. */
  async updateBalance(input: {
    walletId: string;
    amount: AmountInput;
    currency?: string;
    idempotencyKey?: string;
    reference?: string;
  }): Promise<{ entryId: string; wallet: WalletView }> {
    const walletId = requireUuid(input.walletId, 'wallet_id');
    const key = validateIdempotencyKey(input.idempotencyKey);
    const reference = optionalReference(input.reference);
    return this.run(async (trx, now) => {
      const wallets = await this.lockWallets(trx, [walletId]);
      const wallet = wallets.get(walletId)!;
      requireActive(wallet);
      const currency = requireWalletCurrency(wallet, input.currency);
      const amount = resolveAmount(input.amount, currency, { allowNegative: true });
      if (amount === 0n) throw invalidArgument('INVALID_AMOUNT', 'amount must not be zero', 'amount');
      requirePositiveAmount(amount < 0n ? -amount : amount);
      const request = { walletId, amount, currency, reference };
      return applyOnce(trx, key, 'UpdateBalance', request, now, async () => {
        const entryId = await this.postEntry(trx, wallets, now, {
          kind: amount > 0n ? 'top_up' : 'withdrawal',
          currency,
          reference,
          lines: [
            { walletId, bucket: 'available', amount },
            { walletId: null, bucket: 'funding', amount: -amount },
          ],
        });
        return { entryId, wallet: toWalletView(wallets.get(walletId)!) };
      });
    });
  }

  async transfer(input: {
    fromWalletId: string;
    toWalletId: string;
    amount: AmountInput;
    currency?: string;
    idempotencyKey?: string;
    reference?: string;
  }): Promise<{ entryId: string }> {
    const from = requireUuid(input.fromWalletId, 'from_wallet_id');
    const to = requireUuid(input.toWalletId, 'to_wallet_id');
    if (from === to) throw invalidArgument('SAME_WALLET', 'from_wallet_id and to_wallet_id must differ', 'to_wallet_id');
    const key = validateIdempotencyKey(input.idempotencyKey);
    const reference = optionalReference(input.reference);
    return this.run(async (trx, now) => {
      const wallets = await this.lockWallets(trx, [from, to]);
      const source = wallets.get(from)!;
      const target = wallets.get(to)!;
      const currency = requireWalletCurrency(source, input.currency);
      requireSameCurrency(source, target);
      requireActive(source);
      requireActive(target);
      const amount = requirePositiveAmount(resolveAmount(input.amount, currency));
      return applyOnce(trx, key, 'TransferFunds', { from, to, amount, currency, reference }, now, async () => {
        const entryId = await this.postEntry(trx, wallets, now, {
          kind: 'transfer',
          currency,
          reference,
          lines: [
            { walletId: from, bucket: 'available', amount: -amount },
            { walletId: to, bucket: 'available', amount },
          ],
        });
        return { entryId };
      });
    });
  }

  /** Moves funds from available to frozen under a hold that expires unless captured or released. */
  async reserve(input: {
    walletId: string;
    amount: AmountInput;
    currency?: string;
    idempotencyKey?: string;
    reference?: string;
    ttlSeconds?: number;
  }): Promise<HoldView> {
    const walletId = requireUuid(input.walletId, 'wallet_id');
    const key = validateIdempotencyKey(input.idempotencyKey);
    const reference = optionalReference(input.reference);
    const ttl = input.ttlSeconds || this.holdTtlSeconds;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_HOLD_TTL_SECONDS) {
      throw invalidArgument('INVALID_TTL', `ttl_seconds must be between 1 and ${MAX_HOLD_TTL_SECONDS}`, 'ttl_seconds');
    }
    return this.run(async (trx, now) => {
      const wallets = await this.lockWallets(trx, [walletId]);
      const wallet = wallets.get(walletId)!;
      requireActive(wallet);
      const currency = requireWalletCurrency(wallet, input.currency);
      const amount = requirePositiveAmount(resolveAmount(input.amount, currency));
      const request = { walletId, amount, currency, reference, ttl: input.ttlSeconds ?? 0 };
      return applyOnce(trx, key, 'ReserveFunds', request, now, async () => {
        const hold: HoldRow = {
          id: randomUUID(),
          wallet_id: walletId,
          currency,
          amount,
          status: 'active',
          reference: reference ?? null,
          expires_at: new Date(Date.parse(now) + ttl * 1000).toISOString(),
          to_wallet_id: null,
          created_at: now,
          updated_at: now,
        };
        await trx.insertInto('holds').values(hold).execute();
        const entryId = await this.postEntry(trx, wallets, now, {
          kind: 'reserve',
          currency,
          holdId: hold.id,
          reference,
          lines: [
            { walletId, bucket: 'available', amount: -amount },
            { walletId, bucket: 'frozen', amount },
          ],
        });
        return toHoldView(hold, entryId);
      });
    });
  }

  /**
   * Compensation: returns a hold's funds to available. Releasing a hold that is
   * already released or expired succeeds without a new entry, so a retried
   * compensation is harmless; a captured hold cannot be released.
   */
  async release(input: { holdId: string; idempotencyKey?: string; reason?: string }): Promise<HoldView> {
    const holdId = requireUuid(input.holdId, 'hold_id');
    const key = validateIdempotencyKey(input.idempotencyKey);
    return this.run(async (trx, now) =>
      applyOnce(trx, key, 'ReleaseFunds', { holdId }, now, async () => {
        const hold = await this.lockHold(trx, holdId);
        if (hold.status === 'released' || hold.status === 'expired') return toHoldView(hold, null);
        if (hold.status === 'captured') {
          throw failedPrecondition('HOLD_CAPTURED', `hold ${holdId} was already captured and cannot be released`);
        }
        // The reason only labels the release's journal entry, and a release must never fail for its label: the saga
        // passes the capture's refusal as the reason, which may itself quote a 200-character suspension reason. So a
        // reason past the reference limit is cut to it, where refusing it left the payment compensating for ever with
        // the sender's money frozen (found by the fuzzer).
        const entryId = await this.settleHold(trx, hold, now, 'released', clippedReference(input.reason) ?? hold.reference);
        return toHoldView({ ...hold, status: 'released', updated_at: now }, entryId);
      }),
    );
  }

  /**
   * Completes a reserved transfer: the hold's frozen funds go to the receiver's
   * available balance. Capturing again to the same receiver returns the first
   * capture; an expired, released or differently captured hold is refused.
   */
  async capture(input: { holdId: string; toWalletId: string; idempotencyKey?: string }): Promise<HoldView> {
    const holdId = requireUuid(input.holdId, 'hold_id');
    const to = requireUuid(input.toWalletId, 'to_wallet_id');
    const key = validateIdempotencyKey(input.idempotencyKey);
    return this.run(async (trx, now) =>
      applyOnce(trx, key, 'CaptureFunds', { holdId, to }, now, async () => {
        const hold = await this.lockHold(trx, holdId);
        if (hold.status === 'captured') {
          if (hold.to_wallet_id === to) return toHoldView(hold, null);
          throw failedPrecondition('HOLD_CAPTURED', `hold ${holdId} was already captured to another wallet`);
        }
        if (hold.status !== 'active') {
          throw failedPrecondition('HOLD_NOT_ACTIVE', `hold ${holdId} was ${hold.status} and can no longer be captured`);
        }
        if (hold.expires_at <= now) {
          throw failedPrecondition('HOLD_EXPIRED', `hold ${holdId} expired at ${hold.expires_at}`);
        }
        if (hold.wallet_id === to) throw invalidArgument('SAME_WALLET', 'a hold cannot be captured to its own wallet', 'to_wallet_id');
        const wallets = await this.lockWallets(trx, [hold.wallet_id, to]);
        requireSameCurrency(wallets.get(hold.wallet_id)!, wallets.get(to)!);
        requireActive(wallets.get(hold.wallet_id)!);
        requireActive(wallets.get(to)!);
        const entryId = await this.postEntry(trx, wallets, now, {
          kind: 'capture',
          currency: hold.currency,
          holdId,
          reference: hold.reference ?? undefined,
          lines: [
            { walletId: hold.wallet_id, bucket: 'frozen', amount: -hold.amount },
            { walletId: to, bucket: 'available', amount: hold.amount },
          ],
        });
        const captured: HoldRow = { ...hold, status: 'captured', to_wallet_id: to, updated_at: now };
        await trx
          .updateTable('holds')
          .set({ status: 'captured', to_wallet_id: to, updated_at: now })
          .where('id', '=', holdId)
          .execute();
        return toHoldView(captured, entryId);
      }),
    );
  }

  async getHold(holdId: string): Promise<HoldView> {
    const id = requireUuid(holdId, 'hold_id');
    const hold = await this.database.db.selectFrom('holds').selectAll().where('id', '=', id).executeTakeFirst();
    if (!hold) throw notFound('HOLD_NOT_FOUND', `hold ${id} does not exist`);
    return toHoldView(hold, null);
  }

  /** Releases holds past their expiry; returns how many it released. Safe to run from several processes. */
  async expireDueHolds(limit = 100): Promise<number> {
    const now = this.clock().toISOString();
    const due = await this.database.db
      .selectFrom('holds')
      .select('id')
      .where('status', '=', 'active')
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
    let expired = 0;
    for (const { id } of due) {
      const done = await this.run(async (trx, at) => {
        const hold = await this.lockHold(trx, id);
        // Captured or released between the scan and the lock: nothing to do.
        if (hold.status !== 'active' || hold.expires_at > at) return false;
        await this.settleHold(trx, hold, at, 'expired', hold.reference);
        return true;
      });
      if (done) expired++;
    }
    return expired;
  }

  private async settleHold(
    trx: Transaction<WalletSchema>,
    hold: HoldRow,
    now: string,
    status: 'released' | 'expired',
    reference: string | null | undefined,
  ): Promise<string> {
    const wallets = await this.lockWallets(trx, [hold.wallet_id]);
    const entryId = await this.postEntry(trx, wallets, now, {
      kind: status === 'released' ? 'release' : 'expire',
      currency: hold.currency,
      holdId: hold.id,
      reference: reference ?? undefined,
      lines: [
        { walletId: hold.wallet_id, bucket: 'frozen', amount: -hold.amount },
        { walletId: hold.wallet_id, bucket: 'available', amount: hold.amount },
      ],
    });
    await trx.updateTable('holds').set({ status, updated_at: now }).where('id', '=', hold.id).execute();
    return entryId;
  }

  /**
   * Books one balanced journal entry and applies its lines to the locked
   * wallets (updating the map in place) and to the funding account.
   */
  private async postEntry(
    trx: Transaction<WalletSchema>,
    wallets: Map<string, WalletRow>,
    now: string,
    entry: { kind: EntryKind; currency: string; holdId?: string; reference?: string; lines: LineInput[] },
  ): Promise<string> {
    const sum = entry.lines.reduce((total, line) => total + line.amount, 0n);
    if (sum !== 0n) throw new PayMeshError('internal', 'UNBALANCED_ENTRY', `journal entry does not balance (off by ${sum})`);

    const touched = new Map<string, WalletRow>();
    for (const line of entry.lines) {
      if (line.bucket === 'funding') continue;
      const wallet = touched.get(line.walletId!) ?? { ...wallets.get(line.walletId!)! };
      const next = (line.bucket === 'available' ? wallet.available : wallet.frozen) + line.amount;
      if (next < 0n) {
        if (line.bucket === 'available') {
          throw failedPrecondition('INSUFFICIENT_FUNDS', `wallet ${wallet.id} has insufficient available funds`);
        }
        throw new PayMeshError('internal', 'NEGATIVE_FROZEN', `wallet ${wallet.id} would have negative frozen funds`);
      }
      if (wallet.available + wallet.frozen + line.amount > MAX_BALANCE_MINOR) {
        throw failedPrecondition('BALANCE_LIMIT_EXCEEDED', `wallet ${wallet.id} would exceed the maximum balance`);
      }
      if (line.bucket === 'available') wallet.available = next;
      else wallet.frozen = next;
      wallet.updated_at = now;
      touched.set(wallet.id, wallet);
    }

    const entryId = randomUUID();
    await trx
      .insertInto('journal_entries')
      .values({
        id: entryId,
        kind: entry.kind,
        currency: entry.currency,
        hold_id: entry.holdId ?? null,
        reference: entry.reference ?? null,
        created_at: now,
      })
      .execute();
    await trx
      .insertInto('journal_lines')
      .values(
        entry.lines.map((line, index) => ({
          entry_id: entryId,
          line_no: BigInt(index + 1),
          wallet_id: line.walletId,
          bucket: line.bucket,
          currency: entry.currency,
          amount: line.amount,
        })),
      )
      .execute();
    for (const wallet of touched.values()) {
      await trx
        .updateTable('wallets')
        .set({ available: wallet.available, frozen: wallet.frozen, updated_at: now })
        .where('id', '=', wallet.id)
        .execute();
      wallets.set(wallet.id, wallet);
    }
    for (const line of entry.lines) {
      if (line.bucket !== 'funding') continue;
      await trx
        .insertInto('funding_accounts')
        .values({ currency: entry.currency, balance: line.amount })
        .onConflict((oc) => oc.column('currency').doUpdateSet((eb) => ({ balance: eb('funding_accounts.balance', '+', line.amount) })))
        .execute();
    }
    return entryId;
  }

  /** Locks wallets in id order (no deadlocks between opposite transfers) and fails on unknown ids. */
  private async lockWallets(trx: Transaction<WalletSchema>, ids: string[]): Promise<Map<string, WalletRow>> {
    const sorted = [...new Set(ids)].sort();
    const rows = await trx
      .selectFrom('wallets')
      .selectAll()
      .where('id', 'in', sorted)
      .orderBy('id')
      .$if(this.database.dialect === 'postgres', (q) => q.forUpdate())
      .execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const id of ids) if (!byId.has(id)) throw walletNotFound(id);
    return byId;
  }

  private async lockHold(trx: Transaction<WalletSchema>, holdId: string): Promise<HoldRow> {
    const hold = await trx
      .selectFrom('holds')
      .selectAll()
      .where('id', '=', holdId)
      .$if(this.database.dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst();
    if (!hold) throw notFound('HOLD_NOT_FOUND', `hold ${holdId} does not exist`);
    return hold;
  }

  /**
   * One transaction per call. A unique violation means a concurrent twin with
   * the same idempotency key (or wallet) committed first: run again, and the
   * second run sees its result.
   */
  private async run<T>(work: (trx: Transaction<WalletSchema>, nowIso: string) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(this.database.db, (trx) => work(trx, this.clock().toISOString()));
      } catch (err) {
        if (attempt < 3 && isUniqueViolation(err)) continue;
        throw err;
      }
    }
  }
}

function resolveAmount(amount: AmountInput, currency: string, opts: { allowNegative?: boolean } = {}): bigint {
  if ('minor' in amount) {
    if (amount.minor < 0n && !opts.allowNegative) {
      throw invalidArgument('INVALID_AMOUNT', 'amount must be greater than zero', 'amount');
    }
    const abs = amount.minor < 0n ? -amount.minor : amount.minor;
    if (abs > MAX_AMOUNT_MINOR) {
      throw invalidArgument('AMOUNT_TOO_LARGE', `amount exceeds the maximum of ${MAX_AMOUNT_MINOR} minor units`, 'amount');
    }
    if (amount.double !== undefined && fromDouble(amount.double, currency, 'amount', opts) !== amount.minor) {
      throw invalidArgument('AMOUNT_MISMATCH', 'amount and amount_minor disagree; send one of them', 'amount');
    }
    return amount.minor;
  }
  return fromDouble(amount.double, currency, 'amount', opts);
}

function requireWalletCurrency(wallet: WalletRow, requested: string | undefined): string {
  if (requested && requested !== wallet.currency) {
    minorUnits(requested);
    throw failedPrecondition(
      'CURRENCY_MISMATCH',
      `wallet ${wallet.id} holds ${wallet.currency}, not ${requested}`,
    );
  }
  return wallet.currency;
}

function requireSameCurrency(source: WalletRow, target: WalletRow): void {
  if (source.currency !== target.currency) {
    throw failedPrecondition(
      'CURRENCY_MISMATCH',
      `wallet ${source.id} holds ${source.currency} but wallet ${target.id} holds ${target.currency}`,
    );
  }
}

function requireActive(wallet: WalletRow): void {
  if (wallet.status === 'suspended') {
    throw failedPrecondition('WALLET_SUSPENDED', `wallet ${wallet.id} is suspended${wallet.status_reason ? ` (${wallet.status_reason})` : ''}`);
  }
}

function requireUuid(value: string, field: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw invalidArgument('INVALID_ID', `${field} must be a UUID, got '${String(value).slice(0, 64)}'`, field);
  }
  return value.toLowerCase();
}

function requireUserId(value: string): string {
  if (typeof value !== 'string' || !USER_ID.test(value)) {
    throw invalidArgument('INVALID_USER_ID', 'user_id must be 1 to 128 letters, digits or _ . : @ -', 'user_id');
  }
  return value;
}

function optionalReference(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > MAX_REFERENCE_LENGTH) {
    throw invalidArgument('INVALID_REFERENCE', `reference must be at most ${MAX_REFERENCE_LENGTH} characters`, 'reference');
  }
  return value;
}

/** A descriptive reference cut to the limit instead of refused. */
function clippedReference(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return value.length > MAX_REFERENCE_LENGTH ? value.slice(0, MAX_REFERENCE_LENGTH).toWellFormed() : value;
}

function walletNotFound(id: string) {
  return notFound('WALLET_NOT_FOUND', `wallet ${id} does not exist`);
}

function toWalletView(row: WalletRow): WalletView {
  const available = BigInt(row.available);
  const frozen = BigInt(row.frozen);
  return {
    id: row.id,
    userId: row.user_id,
    currency: row.currency,
    availableMinor: available,
    frozenMinor: frozen,
    balanceMinor: available + frozen,
    status: row.status ?? 'active',
    statusReason: row.status_reason ?? null,
    createdAt: row.created_at,
  };
}

function toHoldView(row: HoldRow, entryId: string | null): HoldView {
  return {
    id: row.id,
    walletId: row.wallet_id,
    currency: row.currency,
    amountMinor: BigInt(row.amount),
    status: row.status,
    expiresAt: row.expires_at,
    toWalletId: row.to_wallet_id,
    reference: row.reference,
    entryId,
  };
}
