/** The wallet service's tables, as Kysely sees them. Only this service touches them. */
export interface WalletSchema {
  wallets: WalletRow;
  holds: HoldRow;
  journal_entries: JournalEntryRow;
  journal_lines: JournalLineRow;
  funding_accounts: FundingAccountRow;
  idempotency_keys: IdempotencyKeyRow;
}

export interface WalletRow {
  id: string;
  user_id: string;
  currency: string;
  available: bigint;
  frozen: bigint;
  status: WalletStatus;
  status_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** A suspended wallet neither sends nor receives; releasing its holds still returns its own money. */
export type WalletStatus = 'active' | 'suspended';

export type HoldStatus = 'active' | 'captured' | 'released' | 'expired';

export interface HoldRow {
  id: string;
  wallet_id: string;
  currency: string;
  amount: bigint;
  status: HoldStatus;
  reference: string | null;
  expires_at: string;
  to_wallet_id: string | null;
  created_at: string;
  updated_at: string;
}

export type EntryKind = 'top_up' | 'withdrawal' | 'transfer' | 'reserve' | 'release' | 'expire' | 'capture';

export interface JournalEntryRow {
  id: string;
  kind: EntryKind;
  currency: string;
  hold_id: string | null;
  reference: string | null;
  created_at: string;
}

/** Which balance a journal line moves: a wallet's available or frozen part, or the external funding account. */
export type Bucket = 'available' | 'frozen' | 'funding';

export interface JournalLineRow {
  entry_id: string;
  line_no: bigint;
  wallet_id: string | null;
  bucket: Bucket;
  currency: string;
  /** Signed change of the account's balance; the lines of an entry sum to zero. */
  amount: bigint;
}

/**
 * Money outside PayMesh, per currency. Its balance is the negative of all
 * money ever brought in, so wallets plus funding always sum to zero.
 */
export interface FundingAccountRow {
  currency: string;
  balance: bigint;
}

export interface IdempotencyKeyRow {
  key: string;
  operation: string;
  request_hash: string;
  response: string;
  created_at: string;
}
