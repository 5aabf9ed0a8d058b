import type { OutboxTables } from '../../messaging/outbox-schema.ts';
import type { CardStatus } from './cards.ts';

export type Role = 'user' | 'operator';

export interface UserRow {
  id: string;
  /** Trimmed and lower-cased; unique. */
  email: string;
  first_name: string;
  last_name: string;
  default_currency: string;
  role: Role;
  /** PHC-format scrypt hash, parameters included. */
  password_hash: string;
  created_at: string;
  updated_at: string;
}

/** A card reduced to what may be kept: no number, no CVC. */
export interface PaymentMethodRow {
  id: string;
  user_id: string;
  brand: string;
  last4: string;
  /** bigint on SQLite (node:sqlite reads integers as bigint), number on PostgreSQL. */
  exp_month: number | bigint;
  exp_year: number | bigint;
  status: CardStatus;
  created_at: string;
}

export interface UserSchema extends OutboxTables {
  users: UserRow;
  payment_methods: PaymentMethodRow;
}
