import { AVRO_SUBJECTS, AvroContract, currentSchemaFile, InvalidMessageError, readAvroSchema } from './avro.ts';
import { fromDouble, MAX_AMOUNT_MINOR, minorUnits, toDouble } from './money.ts';

/**
 * The seed's TransactionEvent as PayMesh holds it once read: money as integer
 * minor units, always. `amount` is the seed's double, derived from
 * `amount_minor`, kept only so seed-shaped consumers keep working.
 */
export interface TransactionEvent {
  transaction_id: string;
  event_type: string;
  sender_id: string;
  receiver_id: string;
  amount: number;
  currency: string;
  /** Milliseconds since the Unix epoch. */
  timestamp: bigint;
  metadata: Record<string, string>;
  amount_minor: bigint;
}

const TEXT_FIELDS = ['transaction_id', 'event_type', 'sender_id', 'receiver_id'] as const;

/**
 * The TransactionEvent contract for one schema version: the current one by
 * default; an older file stands for a service that has not been upgraded.
 */
export function transactionEventContract(schemaFile: string = currentSchemaFile(AVRO_SUBJECTS.transactionEvent)): AvroContract<TransactionEvent> {
  return new AvroContract<TransactionEvent>({
    subject: AVRO_SUBJECTS.transactionEvent.subject,
    schema: readAvroSchema(schemaFile),
    fromSeedJson,
    refine,
  });
}

/**
 * The rules the schema cannot say. The same for every schema version: data
 * written before amount_minor existed carries only the double, which is
 * accepted only when it converts exactly (contracts/money.ts fromDouble).
 */
function refine(record: Record<string, unknown>): TransactionEvent {
  for (const field of TEXT_FIELDS) {
    if (record[field] === '') throw new InvalidMessageError(`TransactionEvent.${field} must not be empty`, field);
  }
  const currency = record.currency as string;
  const amount = record.amount as number;
  const written = record.amount_minor as bigint | null | undefined;
  const minor = moneyRule(() => {
    minorUnits(currency);
    return written ?? fromDouble(amount, currency);
  });
  if (minor < 0n || minor > MAX_AMOUNT_MINOR) throw new InvalidMessageError(`TransactionEvent.amount_minor ${minor} is outside 0..${MAX_AMOUNT_MINOR}`, 'amount_minor');
  // Both present: the double must be exactly the seed's view of the integer, or one of them is wrong.
  if (written != null && toDouble(written, currency) !== amount) {
    throw new InvalidMessageError(`TransactionEvent.amount ${amount} disagrees with amount_minor ${written} ${currency}`, 'amount');
  }
  const timestamp = record.timestamp as bigint;
  if (timestamp < 0n) throw new InvalidMessageError('TransactionEvent.timestamp must not be negative', 'timestamp');
  return {
    transaction_id: record.transaction_id as string,
    event_type: record.event_type as string,
    sender_id: record.sender_id as string,
    receiver_id: record.receiver_id as string,
    amount: toDouble(minor, currency),
    currency,
    timestamp,
    metadata: { ...(record.metadata as Record<string, string>) },
    amount_minor: minor,
  };
}

/** core/money's PayMeshErrors become message errors: for a message they are permanent, not a 400. */
function moneyRule<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof InvalidMessageError) throw err;
    const e = err as { message?: string; field?: string };
    throw new InvalidMessageError(`TransactionEvent: ${e.message ?? String(err)}`, e.field);
  }
}

/**
 * The seed's SQSMessageHandler sends no `metadata` (its Avro schema has the
 * map, its JSON leaves it out) and passes its `timestamp` through as given,
 * which in the seed is an ISO 8601 text from `datetime.utcnow().isoformat()`:
 * no offset, meaning UTC. Whole-number timestamps are taken as milliseconds.
 */
function fromSeedJson(object: Record<string, unknown>): Record<string, unknown> {
  const out = { ...object };
  if (out.metadata === undefined) out.metadata = {};
  if (typeof out.timestamp === 'string' && !/^-?\d+$/.test(out.timestamp)) {
    const iso = out.timestamp;
    const hasOffset = /(Z|[+-]\d\d:?\d\d)$/i.test(iso);
    const millis = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?/.test(iso) ? Date.parse(hasOffset ? iso : `${iso}Z`) : Number.NaN;
    if (Number.isNaN(millis)) throw new InvalidMessageError(`TransactionEvent.timestamp '${iso}' is neither epoch milliseconds nor an ISO 8601 time`, 'timestamp');
    out.timestamp = millis;
  }
  return out;
}

/**
 * EventBridge details stay JSON (EventBridge requires it) but say the same
 * thing as a TransactionEvent: checks a `Transaction <event>` detail against
 * the same schema and rules before it is published. The event type is the
 * detail-type's suffix; the detail's other text fields (saga_id, status,
 * wallet ids...) are the metadata map. Returns the event it stands for.
 */
export function checkTransactionDetail(
  detailType: string,
  detail: Record<string, unknown>,
  contract: AvroContract<TransactionEvent> = defaultContract(),
): TransactionEvent {
  const match = /^Transaction (.+)$/.exec(detailType);
  if (!match) throw new InvalidMessageError(`detail-type '${detailType}' is not a Transaction <event>`);
  const { transaction_id, sender_id, receiver_id, amount, amount_minor, currency, timestamp, ...rest } = detail;
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new InvalidMessageError(`detail.${key} must be text to travel in TransactionEvent.metadata`, key);
    metadata[key] = value;
  }
  const body = { transaction_id, event_type: match[1], sender_id, receiver_id, amount, amount_minor, currency, timestamp, metadata };
  return contract.fromJson(JSON.stringify(body));
}

let cached: AvroContract<TransactionEvent> | undefined;
function defaultContract(): AvroContract<TransactionEvent> {
  cached ??= transactionEventContract();
  return cached;
}
