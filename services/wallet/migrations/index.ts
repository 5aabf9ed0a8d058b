import type { Migration } from 'kysely';
import { ledger } from './0001_ledger.ts';
import { walletStatus } from './0002_wallet_status.ts';

/** Versioned migrations, applied in name order at start-up on SQLite and PostgreSQL alike. */
export const walletMigrations: Record<string, Migration> = {
  '0001_ledger': ledger,
  '0002_wallet_status': walletStatus,
};
