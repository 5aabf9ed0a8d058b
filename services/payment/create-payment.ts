import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { UserClient, UserProfile } from '../../clients/user-client.ts';
import type { WalletClient } from '../../clients/wallet-client.ts';
import { alreadyExists, conflict, failedPrecondition, invalidArgument, notFound, type PayMeshError } from '../../contracts/errors.ts';
import { formatMinor, minorUnits, requirePositiveAmount, toDouble } from '../../contracts/money.ts';
import { encodePaymentInitiated } from '../../contracts/payment-messages.ts';
import { QUEUES } from '../../contracts/topology.ts';
import { addToOutbox } from '../../messaging/outbox.ts';
import { withSpan, type Span } from '../../observability/tracing.ts';
import { isUniqueViolation } from '../../storage/database.ts';
import { inTransaction } from '../../storage/transaction.ts';
import type { PartyLookups } from './party-lookups.ts';
import type { PaymentRow, PaymentSchema } from './schema.ts';

export interface CreatePaymentInput {
  senderId: string;
  receiverId?: string;
  receiverEmail?: string;
  amountMinor: bigint;
  currency: string;
  note?: string;
  paymentMethodId?: string;
  idempotencyKey: string;
}

export interface CreatePaymentDeps {
  db: Kysely<PaymentSchema>;
  users: UserClient;
  wallets: WalletClient;
  /** The parties and their wallets, as the user and wallet services answered (kept in memory: PartyLookups). */
  lookups: PartyLookups;
  /** Largest payment, in major units of any currency (e.g. 10000 → 10,000.00 USD, 10,000 JPY). */
  maxAmountMajor: number;
  version: string;
  /** Starts driving the saga of a payment just accepted (not awaited). */
  startSaga: (paymentId: string) => void;
}

const MAX_NOTE = 280;

/**
 * Validates a payment, records it as `pending` and queues the seed's
 * `payment_initiated` message in the same transaction. The saga takes it from
 * there. Returns the payment and whether it was created by this call.
 * Traced as the seed's `payment.process`, with `payment.validate` (user_id,
 * amount, validation_result) and `payment.execute` (transaction_id) inside.
 */
export async function createPayment(deps: CreatePaymentDeps, input: CreatePaymentInput): Promise<{ payment: PaymentRow; created: boolean }> {
  return withSpan('payment.process', { attributes: { user_id: input.senderId, currency: input.currency } }, async () => {
    const checked = await withSpan('payment.validate', { attributes: { user_id: input.senderId, amount: amountTag(input), currency: input.currency } }, (span) =>
      recordValidation(span, validatePayment(deps, input)),
    );
    if ('replay' in checked) return checked.replay;
    return withSpan('payment.execute', {}, (span) => executePayment(deps, input, checked, span));
  });
}

async function recordValidation<T>(span: Span, validation: Promise<T>): Promise<T> {
  try {
    const result = await validation;
    span.setAttribute('validation_result', true);
    return result;
  } catch (err) {
    span.setAttribute('validation_result', false);
    throw err;
  }
}

function amountTag(input: CreatePaymentInput): string {
  try {
    return formatMinor(input.amountMinor, input.currency);
  } catch {
    return input.amountMinor.toString();
  }
}

type Parties = { receiver: UserProfile; senderWalletId: string; receiverWalletId: string };
type Validated = { replay: { payment: PaymentRow; created: boolean } } | Parties;

async function validatePayment(deps: CreatePaymentDeps, input: CreatePaymentInput): Promise<Validated> {
  const digits = minorUnits(input.currency);
  requirePositiveAmount(input.amountMinor);
  const limit = BigInt(deps.maxAmountMajor) * 10n ** BigInt(digits);
  if (input.amountMinor > limit) {
    throw failedPrecondition('AMOUNT_OVER_LIMIT', `a payment may be at most ${deps.maxAmountMajor} ${input.currency}`);
  }
  if (input.note !== undefined && input.note.length > MAX_NOTE) throw invalidArgument('INVALID_NOTE', `note must be at most ${MAX_NOTE} characters`, 'note');
  if (!input.receiverId === !input.receiverEmail) {
    throw invalidArgument('RECEIVER_REQUIRED', 'send exactly one of receiver_id or receiver_email', 'receiver_id');
  }

  const replay = await findByKey(deps.db, input.senderId, input.idempotencyKey);
  if (replay) return { replay: { payment: sameRequestOrThrow(replay, input), created: false } };
  const selfPayment = () => invalidArgument('SELF_PAYMENT', 'you cannot pay yourself', input.receiverId ? 'receiver_id' : 'receiver_email');
  if (input.receiverId === input.senderId) throw selfPayment();

  // The lookups do not depend on each other (by email, the receiver's wallet waits for the receiver): all at once,
  // then judged in a fixed order, so the answer does not depend on which one came back first. Most are answered
  // from memory (PartyLookups) for parties seen recently.
  const receiver = resolveReceiver(deps.lookups, input);
  const [found, methodOk, senderWallet, receiverWallet] = await Promise.allSettled([
    receiver,
    input.paymentMethodId ? deps.users.validatePaymentMethod(input.paymentMethodId, input.senderId) : Promise.resolve(true),
    deps.lookups.walletOf(input.senderId, input.currency),
    input.receiverId ? deps.lookups.walletOf(input.receiverId, input.currency) : receiver.then((r) => deps.lookups.walletOf(r.id, input.currency)),
  ]);
  const receiverProfile = settled(found);
  if (receiverProfile.id === input.senderId) throw selfPayment();
  if (!settled(methodOk)) throw failedPrecondition('PAYMENT_METHOD_INVALID', 'payment_method_id is not one of your usable payment methods');
  const senderWalletId = settled(senderWallet);
  if (!senderWalletId) throw failedPrecondition('NO_WALLET_IN_CURRENCY', `you have no ${input.currency} wallet to pay from`);
  const receiverWalletId = settled(receiverWallet) ?? (await openReceivingWallet(deps, receiverProfile.id, input.currency));
  return { receiver: receiverProfile, senderWalletId, receiverWalletId };
}

function settled<T>(outcome: PromiseSettledResult<T>): T {
  if (outcome.status === 'rejected') throw outcome.reason;
  return outcome.value;
}

async function executePayment(
  deps: CreatePaymentDeps,
  input: CreatePaymentInput,
  { receiver, senderWalletId, receiverWalletId }: Parties,
  span: Span,
): Promise<{ payment: PaymentRow; created: boolean }> {
  const now = new Date().toISOString();
  const payment: PaymentRow = {
    id: randomUUID(),
    sender_id: input.senderId,
    receiver_id: receiver.id,
    sender_wallet_id: senderWalletId,
    receiver_wallet_id: receiverWalletId,
    amount: input.amountMinor,
    currency: input.currency,
    note: input.note ?? null,
    status: 'pending',
    failure_reason: null,
    hold_id: null,
    idempotency_key: input.idempotencyKey,
    accepted_by: deps.version,
    created_at: now,
    updated_at: now,
  };
  span.setAttribute('transaction_id', payment.id);
  const initiated = encodePaymentInitiated({
    event_type: 'payment_initiated',
    transaction_id: payment.id,
    sender_id: payment.sender_id,
    receiver_id: payment.receiver_id,
    amount: toDouble(payment.amount, payment.currency),
    amount_minor: payment.amount.toString(),
    currency: payment.currency,
    timestamp: Date.parse(now),
    metadata: { sender_wallet_id: payment.sender_wallet_id, receiver_wallet_id: payment.receiver_wallet_id, accepted_by: deps.version },
  });
  try {
    await inTransaction(deps.db, async (trx) => {
      await trx.insertInto('payments').values(payment).execute();
      await trx.insertInto('payment_history').values({ payment_id: payment.id, seq: 1n, status: payment.status, detail: 'accepted', at: payment.created_at }).execute();
      const message = { queue: QUEUES.paymentProcessing, body: initiated.body, eventType: 'payment_initiated', priority: 'high' as const, attributes: initiated.attributes };
      // Not handed over: the relay's poll sends these in batches (no one waits on this fallback queue).
      await addToOutbox(trx, [{ queueMessage: message }], now);
    });
  } catch (err) {
    // The same key raced in from another request: answer as a replay.
    if (!isUniqueViolation(err)) throw err;
    const winner = await findByKey(deps.db, input.senderId, input.idempotencyKey);
    if (!winner) throw err;
    return { payment: sameRequestOrThrow(winner, input), created: false };
  }
  // The saga starts here, in this process, once the 202 is on its way. payment_initiated is still published, as the
  // seed's flow does, for another process to take the saga over should this one die; that only happens after the saga
  // has been still for its idle time, so the relay's next poll sends it, in a batch with the others accepted meanwhile.
  deps.startSaga(payment.id);
  return { payment, created: true };
}

async function findByKey(db: Kysely<PaymentSchema>, senderId: string, key: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('sender_id', '=', senderId).where('idempotency_key', '=', key).executeTakeFirst();
}

function sameRequestOrThrow(existing: PaymentRow, input: CreatePaymentInput): PaymentRow {
  const same =
    BigInt(existing.amount) === input.amountMinor &&
    existing.currency === input.currency &&
    (existing.note ?? undefined) === (input.note ?? undefined) &&
    (!input.receiverId || existing.receiver_id === input.receiverId);
  if (!same) throw conflict('IDEMPOTENCY_KEY_REUSED', 'this idempotency key was already used for a different payment');
  return existing;
}

async function resolveReceiver(lookups: PartyLookups, input: CreatePaymentInput): Promise<UserProfile> {
  const missing = (): PayMeshError =>
    notFound('RECEIVER_NOT_FOUND', input.receiverEmail ? `no user with email ${input.receiverEmail}` : `no user ${input.receiverId}`);
  if (input.receiverEmail) {
    const found = await lookups.userByEmail(input.receiverEmail.toLowerCase());
    if (!found) throw missing();
    return found;
  }
  try {
    return await lookups.user(input.receiverId!);
  } catch (err) {
    if ((err as PayMeshError).kind === 'not_found' || (err as PayMeshError).kind === 'invalid_argument') throw missing();
    throw err;
  }
}

/** A wallet in the currency for a receiver who has none yet (opened once, whoever asks first). */
async function openReceivingWallet(deps: Pick<CreatePaymentDeps, 'wallets' | 'lookups'>, receiverId: string, currency: string): Promise<string> {
  try {
    return (await deps.wallets.openWallet(receiverId, currency, `receive-wallet:${receiverId}:${currency}`)).id;
  } catch (err) {
    if ((err as PayMeshError).code !== 'WALLET_EXISTS') throw err;
    const raced = await deps.lookups.walletOf(receiverId, currency);
    if (!raced) throw alreadyExists('WALLET_EXISTS', `could not find ${receiverId}'s ${currency} wallet`);
    return raced;
  }
}
