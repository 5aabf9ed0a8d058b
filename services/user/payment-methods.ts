import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { PayMeshError } from '../../contracts/errors.ts';
import { USER_EVENTS } from '../../contracts/events.ts';
import { addToOutbox } from '../../messaging/outbox.ts';
import { inTransaction } from '../../storage/transaction.ts';
import { isExpired, summariseCard, type CardStatus } from './cards.ts';
import { userEvent } from './events.ts';
import { asId } from './ids.ts';
import type { PaymentMethodRow, UserSchema } from './schema.ts';
import { findUserRow, userNotFound, type UserDeps } from './users.ts';

export interface PaymentMethodView {
  id: string;
  user_id: string;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  status: CardStatus;
  created_at: string;
}

export function presentPaymentMethod(row: PaymentMethodRow): PaymentMethodView {
  return {
    id: row.id,
    user_id: row.user_id,
    brand: row.brand,
    last4: row.last4,
    exp_month: Number(row.exp_month),
    exp_year: Number(row.exp_year),
    status: row.status,
    created_at: row.created_at,
  };
}

export interface CardInput {
  number: string;
  exp_month: number;
  exp_year: number;
  cvc?: string;
}

/** Checks the card, keeps only brand, last four and expiry, and records `User payment method added` in the same transaction. */
export async function addPaymentMethod(deps: UserDeps, userId: string, card: CardInput): Promise<PaymentMethodView> {
  const now = deps.now();
  const summary = summariseCard(card, now);
  const row = await inTransaction(deps.db, async (trx) => {
    const user = await findUserRow(trx, userId);
    if (!user) throw userNotFound();
    const method: PaymentMethodRow = { id: randomUUID(), user_id: user.id, ...summary, created_at: now.toISOString() };
    await trx.insertInto('payment_methods').values(method).execute();
    const extra = { payment_method_id: method.id, brand: method.brand, last4: method.last4 };
    const written = await addToOutbox(trx, [userEvent(USER_EVENTS.paymentMethodAdded, user, now, extra)], now.toISOString(), { handOff: true });
    return { method, written };
  });
  deps.onOutboxWritten(row.written);
  return presentPaymentMethod(row.method);
}

export async function listPaymentMethods(db: Kysely<UserSchema>, userId: string): Promise<PaymentMethodView[]> {
  const user = await findUserRow(db, userId);
  if (!user) throw userNotFound();
  const rows = await db.selectFrom('payment_methods').selectAll().where('user_id', '=', user.id).orderBy('created_at').orderBy('id').execute();
  return rows.map(presentPaymentMethod);
}

/**
 * The seed's check: the method exists, is this user's, is active and has not
 * expired. Another user's method is indistinguishable from an unknown one.
 */
export async function validatePaymentMethod(
  deps: Pick<UserDeps, 'db' | 'now'>,
  rawMethodId: string,
  rawUserId: string,
): Promise<{ valid: true; payment_method: PaymentMethodView }> {
  const methodId = asId(rawMethodId);
  const userId = asId(rawUserId);
  const row =
    methodId && userId
      ? await deps.db.selectFrom('payment_methods').selectAll().where('id', '=', methodId).where('user_id', '=', userId).executeTakeFirst()
      : undefined;
  if (!row) throw new PayMeshError('not_found', 'PAYMENT_METHOD_NOT_FOUND', 'this user has no such payment method', 'method_id');
  if (row.status !== 'active') {
    throw new PayMeshError('failed_precondition', 'PAYMENT_METHOD_DECLINED', 'the card issuer declined this payment method', 'method_id');
  }
  if (isExpired(Number(row.exp_month), Number(row.exp_year), deps.now())) {
    throw new PayMeshError('failed_precondition', 'PAYMENT_METHOD_EXPIRED', 'this payment method has expired', 'method_id');
  }
  return { valid: true, payment_method: presentPaymentMethod(row) };
}
