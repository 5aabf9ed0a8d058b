import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { conflict, invalidArgument, PayMeshError } from '../../core/errors.ts';
import { problemFor } from '../../core/http-problem.ts';
import type { GatewaySchema } from './migrations/index.ts';

const KEY = /^[\x21-\x7e]{8,200}$/;

export interface IdempotencyLease {
  /**
   * How long an in-progress record holds its key unless renewed. A request
   * whose gateway crashed stops renewing, and its key may run again this long
   * after: the client's retry is not refused for long.
   */
  leaseMs: number;
  /** How often a request still running renews its record, however long its downstream calls take. */
  renewEveryMs: number;
}

const DEFAULT_LEASE: IdempotencyLease = { leaseMs: 15_000, renewEveryMs: 5_000 };

export interface IdempotentResponse {
  status: number;
  body: unknown;
  replayed: boolean;
}

/**
 * The IETF Idempotency-Key semantics for money-moving POSTs: a replay returns
 * the first response, the same key with another body is 422, the same key
 * while the first request still runs is 409. Downstream calls reuse the key,
 * so even re-running a request whose record went stale moves money once.
 */
export class IdempotencyStore {
  private readonly db: Kysely<GatewaySchema>;
  private readonly lease: IdempotencyLease;

  constructor(db: Kysely<GatewaySchema>, lease: IdempotencyLease = DEFAULT_LEASE) {
    this.db = db;
    this.lease = lease;
  }

  async run(
    userId: string,
    key: string | undefined,
    request: { method: string; path: string; body: unknown },
    work: () => Promise<{ status: number; body: unknown }>,
  ): Promise<IdempotentResponse> {
    if (!key) throw invalidArgument('IDEMPOTENCY_KEY_REQUIRED', 'send an Idempotency-Key header (8 to 200 printable characters) with this request', 'Idempotency-Key');
    if (!KEY.test(key)) throw invalidArgument('INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 8 to 200 printable ASCII characters', 'Idempotency-Key');
    const hash = requestHash(request);
    const now = new Date().toISOString();

    const claimed = await this.db
      .insertInto('idempotency_requests')
      .values({ user_id: userId, key, request_hash: hash, state: 'in_progress', status_code: null, response_body: null, created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!claimed) {
      const existing = await this.db.selectFrom('idempotency_requests').selectAll().where('user_id', '=', userId).where('key', '=', key).executeTakeFirstOrThrow();
      if (existing.request_hash !== hash) {
        throw conflict('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request');
      }
      if (existing.state === 'completed') {
        return { status: Number(existing.status_code), body: JSON.parse(existing.response_body ?? 'null'), replayed: true };
      }
      const inProgress = () => new PayMeshError('already_exists', 'IDEMPOTENCY_REQUEST_IN_PROGRESS', 'a request with this Idempotency-Key is still being processed; retry shortly');
      if (Date.now() - Date.parse(existing.updated_at) <= this.lease.leaseMs) throw inProgress();
      // Its lease ran out: the request that held it died. Take it over, unless a concurrent retry just did.
      const taken = await this.db
        .updateTable('idempotency_requests')
        .set({ updated_at: now })
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .where('state', '=', 'in_progress')
        .where('updated_at', '=', existing.updated_at)
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) !== 1) throw inProgress();
    }

    const renewal = setInterval(() => {
      this.db
        .updateTable('idempotency_requests')
        .set({ updated_at: new Date().toISOString() })
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .where('state', '=', 'in_progress')
        .execute()
        .catch(() => {
          // A missed renewal only shortens the lease; the downstream call is idempotent on the same key.
        });
    }, this.lease.renewEveryMs);
    let outcome: { status: number; body: unknown };
    try {
      outcome = await work();
    } catch (err) {
      const problem = problemFor(err);
      // Client errors are answers too: a replay gets the same one. Failures of ours are not: the key is freed for a retry.
      if (!problem || problem.status >= 500) {
        await this.db.deleteFrom('idempotency_requests').where('user_id', '=', userId).where('key', '=', key).execute();
        throw err;
      }
      outcome = { status: problem.status, body: problem };
    } finally {
      clearInterval(renewal);
    }
    await this.db
      .updateTable('idempotency_requests')
      .set({ state: 'completed', status_code: BigInt(outcome.status), response_body: JSON.stringify(outcome.body), updated_at: new Date().toISOString() })
      .where('user_id', '=', userId)
      .where('key', '=', key)
      .execute();
    return { ...outcome, replayed: false };
  }
}

/** What tells "the same request again" from "another request with the same key": method, path and body. */
export function requestHash(request: { method: string; path: string; body: unknown }): string {
  return createHash('sha256').update(`${request.method} ${request.path}\n${JSON.stringify(request.body ?? null)}`).digest('hex');
}

/** Runs a money-moving route under the request's Idempotency-Key and sends the (first) response. */
export async function replyIdempotently(
  store: IdempotencyStore,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: string,
  work: (key: string) => Promise<{ status: number; body: unknown }>,
): Promise<FastifyReply> {
  const key = request.headers['idempotency-key'] as string | undefined;
  const outcome = await store.run(userId, key, { method: request.method, path: request.url, body: request.body }, () => work(key!));
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  if (outcome.status >= 400) reply.type('application/problem+json');
  return reply.code(outcome.status).send(outcome.body);
}
