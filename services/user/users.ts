import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { alreadyExists, invalidArgument, isPayMeshError, PayMeshError, unauthenticated } from '../../contracts/errors.ts';
import { USER_EVENTS } from '../../contracts/events.ts';
import { isSupportedCurrency } from '../../contracts/money.ts';
import type { OutboxRow } from '../../messaging/outbox-schema.ts';
import { addToOutbox } from '../../messaging/outbox.ts';
import { isUniqueViolation } from '../../storage/database.ts';
import { inTransaction } from '../../storage/transaction.ts';
import { normaliseEmail } from './email.ts';
import { userEvent } from './events.ts';
import { asId } from './ids.ts';
import type { PasswordHasher } from './passwords.ts';
import type { Role, UserRow, UserSchema } from './schema.ts';

/** What the user service's operations need; tests pass real ones built for the test. */
export interface UserDeps {
  db: Kysely<UserSchema>;
  passwords: PasswordHasher;
  now: () => Date;
  /** Called after a commit that wrote to the outbox, so the relay publishes without waiting for its poll. */
  /** Hands the outbox rows a committed transaction wrote (with handOff) to the relay. */
  onOutboxWritten: (rows: OutboxRow[]) => void;
}

export interface SignUpInput {
  email: string;
  password: string;
  first_name: string;
  last_name: string;
  default_currency: string;
}

export interface UserProfile {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  default_currency: string;
  role: Role;
  created_at: string;
}

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

export function presentUser(row: UserRow): UserProfile {
  return {
    id: row.id,
    email: row.email,
    first_name: row.first_name,
    last_name: row.last_name,
    default_currency: row.default_currency,
    role: row.role,
    created_at: row.created_at,
  };
}

export const userNotFound = (): PayMeshError => new PayMeshError('not_found', 'USER_NOT_FOUND', 'no such user', 'id');

const invalidCredentials = () => unauthenticated('INVALID_CREDENTIALS', 'email or password is incorrect');

function checkName(raw: string, field: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > 100 || /\p{Cc}/u.test(name)) {
    throw invalidArgument('INVALID_NAME', `${field} must be 1 to 100 characters without control characters`, field);
  }
  return name;
}

function checkPassword(password: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH || password.trim() === '') {
    throw invalidArgument('INVALID_PASSWORD', `password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`, 'password');
  }
}

function checkCurrency(currency: string): string {
  if (!isSupportedCurrency(currency)) {
    throw invalidArgument('INVALID_CURRENCY', 'default_currency must be an ISO 4217 code such as USD', 'default_currency');
  }
  return currency;
}

/** Sign-up: validates everything first, hashes the password, writes the user and `User registered` in one transaction. */
export async function registerUser(deps: UserDeps, input: SignUpInput, role: Role = 'user'): Promise<UserProfile> {
  const email = normaliseEmail(input.email);
  checkPassword(input.password);
  const firstName = checkName(input.first_name, 'first_name');
  const lastName = checkName(input.last_name, 'last_name');
  const currency = checkCurrency(input.default_currency);

  const emailTaken = () => alreadyExists('EMAIL_TAKEN', 'an account with this email already exists');
  // Checked before hashing so a taken address costs no scrypt work; the unique constraint settles races.
  if (await findUserRowByEmail(deps.db, email)) throw emailTaken();
  const passwordHash = await deps.passwords.hash(input.password);

  const now = deps.now();
  const row: UserRow = {
    id: randomUUID(),
    email,
    first_name: firstName,
    last_name: lastName,
    default_currency: currency,
    role,
    password_hash: passwordHash,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
  let written: OutboxRow[];
  try {
    written = await inTransaction(deps.db, async (trx) => {
      await trx.insertInto('users').values(row).execute();
      return addToOutbox(trx, [userEvent(USER_EVENTS.registered, row, now)], now.toISOString(), { handOff: true });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw emailTaken();
    throw err;
  }
  deps.onOutboxWritten(written);
  return presentUser(row);
}

/**
 * Operators are made by whoever runs the service (a CLI, a deployment job),
 * never through the HTTP API.
 */
export function createOperator(deps: UserDeps, input: SignUpInput): Promise<UserProfile> {
  return registerUser(deps, input, 'operator');
}

/**
 * The first operator of an installation, made only while there is none: the
 * operator made, or undefined when one exists already (including one made at
 * the same moment by another replica or start).
 */
export async function ensureFirstOperator(deps: UserDeps, input: SignUpInput): Promise<UserProfile | undefined> {
  const existing = await deps.db.selectFrom('users').select('id').where('role', '=', 'operator').executeTakeFirst();
  if (existing) return undefined;
  try {
    return await createOperator(deps, input);
  } catch (err) {
    if (isPayMeshError(err) && err.code === 'EMAIL_TAKEN') return undefined;
    throw err;
  }
}

async function findUserRowByEmail(db: Kysely<UserSchema>, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function findUserRow(db: Kysely<UserSchema>, rawId: string): Promise<UserRow | undefined> {
  const id = asId(rawId);
  if (!id) return undefined;
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getUser(db: Kysely<UserSchema>, id: string): Promise<UserProfile> {
  const row = await findUserRow(db, id);
  if (!row) throw userNotFound();
  return presentUser(row);
}

/** Zero or one users: "pay by email" looks the receiver up here. */
export async function findUsersByEmail(db: Kysely<UserSchema>, rawEmail: string): Promise<UserProfile[]> {
  const row = await findUserRowByEmail(db, normaliseEmail(rawEmail));
  return row ? [presentUser(row)] : [];
}

/** Changes names; an update that changes nothing writes nothing and publishes nothing. */
export async function updateProfile(deps: UserDeps, rawId: string, patch: { first_name?: string; last_name?: string }): Promise<UserProfile> {
  if (patch.first_name === undefined && patch.last_name === undefined) {
    throw invalidArgument('NOTHING_TO_UPDATE', 'give first_name, last_name or both', 'first_name');
  }
  const changes = {
    ...(patch.first_name !== undefined ? { first_name: checkName(patch.first_name, 'first_name') } : {}),
    ...(patch.last_name !== undefined ? { last_name: checkName(patch.last_name, 'last_name') } : {}),
  };
  const id = asId(rawId);
  if (!id) throw userNotFound();
  const now = deps.now();
  const outcome = await inTransaction(deps.db, async (trx) => {
    const current = await trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!current) throw userNotFound();
    const changed = Object.entries(changes).filter(([field, value]) => current[field as keyof typeof changes] !== value);
    if (changed.length === 0) return { row: current, written: [] };
    const row = { ...current, ...changes, updated_at: now.toISOString() };
    await trx.updateTable('users').set({ ...changes, updated_at: row.updated_at }).where('id', '=', id).execute();
    const event = userEvent(USER_EVENTS.updated, row, now, { changed_fields: changed.map(([field]) => field).join(',') });
    return { row, written: await addToOutbox(trx, [event], now.toISOString(), { handOff: true }) };
  });
  deps.onOutboxWritten(outcome.written);
  return presentUser(outcome.row);
}

/**
 * Login check. An unknown email spends the same scrypt work as a wrong
 * password and gets the same answer. A hash made with weaker parameters than
 * today's is replaced while the password is at hand.
 */
export async function verifyCredentials(deps: UserDeps, rawEmail: string, password: string): Promise<UserProfile> {
  let email: string | undefined;
  try {
    email = normaliseEmail(rawEmail);
  } catch {
    // A malformed email is just another unknown one: same answer, same work.
  }
  const row = email === undefined ? undefined : await findUserRowByEmail(deps.db, email);
  if (!row) {
    await deps.passwords.burn(password);
    throw invalidCredentials();
  }
  const { ok, needsRehash } = await deps.passwords.verify(password, row.password_hash);
  if (!ok) throw invalidCredentials();
  if (needsRehash) {
    // Not a change anyone subscribes to, so no event; compare-and-set keeps a concurrent rehash harmless.
    const upgraded = await deps.passwords.hash(password);
    await deps.db.updateTable('users').set({ password_hash: upgraded }).where('id', '=', row.id).where('password_hash', '=', row.password_hash).execute();
  }
  return presentUser(row);
}
