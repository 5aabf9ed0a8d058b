import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import { conflict, invalidArgument } from '../../contracts/errors.ts';
import type { WalletSchema } from './schema.ts';

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

export function validateIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined || key === '') return undefined;
  if (!KEY_PATTERN.test(key)) {
    throw invalidArgument(
      'INVALID_IDEMPOTENCY_KEY',
      'idempotency_key must be 1 to 200 printable ASCII characters without spaces',
      'idempotency_key',
    );
  }
  return key;
}

/**
 * Runs a mutation at most once per idempotency key, inside the caller's
 * transaction: the key row and the effect commit together, so a crash can
 * never leave one without the other. A replay with the same request gets the
 * first response; the same key with a different request is refused.
 */
export async function applyOnce<T>(
  trx: Transaction<WalletSchema>,
  key: string | undefined,
  operation: string,
  request: unknown,
  nowIso: string,
  effect: () => Promise<T>,
): Promise<T> {
  if (key === undefined) return effect();
  const requestHash = hashRequest(operation, request);
  const existing = await trx
    .selectFrom('idempotency_keys')
    .select(['operation', 'request_hash', 'response'])
    .where('key', '=', key)
    .executeTakeFirst();
  if (existing) {
    if (existing.operation !== operation || existing.request_hash !== requestHash) {
      throw conflict(
        'IDEMPOTENCY_KEY_REUSED',
        `idempotency key '${key}' was already used for a different ${existing.operation} request`,
      );
    }
    return decode(existing.response) as T;
  }
  const result = await effect();
  await trx
    .insertInto('idempotency_keys')
    .values({ key, operation, request_hash: requestHash, response: encode(result), created_at: nowIso })
    .execute();
  return result;
}

function hashRequest(operation: string, request: unknown): string {
  return createHash('sha256').update(operation).update('\0').update(encode(request)).digest('hex');
}

// Responses hold bigints, which JSON cannot carry; tag them so they come back as bigints.
function encode(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v));
}

function decode(text: string): unknown {
  return JSON.parse(text, (_k, v) =>
    v && typeof v === 'object' && typeof v.$bigint === 'string' && Object.keys(v).length === 1 ? BigInt(v.$bigint) : v,
  );
}
