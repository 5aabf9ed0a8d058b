import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { conflict, invalidArgument, PayMeshError } from '../../contracts/errors.ts';
import { problemFor } from '../../core/http-problem.ts';
import { withoutWaitingForDisk, type DatabaseHandle } from '../../storage/transaction.ts';
import type { GatewaySchema } from './migrations/index.ts';

const KEY = /^[\x21-\x7e]{8,200}$/;

export interface IdempotentResponse {
  status: number;
  body: unknown;
  replayed: boolean;
}

/**
 * The IETF Idempotency-Key semantics for money-moving POSTs: a replay returns
 * the first response, the same key with another body is 422, the same key
 * while the first request still runs is 409.
 *
 * What a request costs here is one read and, once it has its answer, one
 * write that does not wait for the disk. A request in progress is known to
 * this gateway process only (no claim row, so no commit before the work
 * starts): the services behind it are idempotent on the same key and keep
 * their own durable record of it (a payment, a ledger entry), so a twin that
 * reaches another gateway replica, or a retry after this one crashed, gets
 * the first outcome from them rather than a second effect. The completed
 * record only saves that round trip; lost in a crash, it costs one.
 */
export class IdempotencyStore {
  private readonly database: DatabaseHandle<GatewaySchema>;
  /** Requests under way in this process, by user and key: their request hash. */
  private readonly inProgress = new Map<string, string>();

  constructor(database: DatabaseHandle<GatewaySchema>) {
    this.database = database;
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
    const slot = `${userId}\u0000${key}`;
    const reused = () => conflict('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request');

    const running = this.inProgress.get(slot);
    if (running !== undefined) {
      if (running !== hash) throw reused();
      throw new PayMeshError('already_exists', 'IDEMPOTENCY_REQUEST_IN_PROGRESS', 'a request with this Idempotency-Key is still being processed; retry shortly');
    }
    this.inProgress.set(slot, hash);
    try {
      const existing = await this.database.db.selectFrom('idempotency_requests').selectAll().where('user_id', '=', userId).where('key', '=', key).executeTakeFirst();
      if (existing) {
        if (existing.request_hash !== hash) throw reused();
        return { status: Number(existing.status_code), body: JSON.parse(existing.response_body ?? 'null'), replayed: true };
      }
      let outcome: { status: number; body: unknown };
      try {
        outcome = await work();
      } catch (err) {
        const problem = problemFor(err);
        // Client errors are answers too: a replay gets the same one. Failures of ours are not: a retry runs again.
        if (!problem || problem.status >= 500) throw err;
        outcome = { status: problem.status, body: problem };
      }
      await this.complete(userId, key, hash, outcome);
      return { ...outcome, replayed: false };
    } finally {
      this.inProgress.delete(slot);
    }
  }

  private async complete(userId: string, key: string, hash: string, outcome: { status: number; body: unknown }): Promise<void> {
    const now = new Date().toISOString();
    // Without waiting for the disk: lost in a crash, the record only costs a retry a round trip to the idempotent service.
    await withoutWaitingForDisk(this.database, (db) =>
      db
        .insertInto('idempotency_requests')
        .values({ user_id: userId, key, request_hash: hash, state: 'completed', status_code: BigInt(outcome.status), response_body: JSON.stringify(outcome.body), created_at: now, updated_at: now })
        // A twin that went through another gateway replica wrote the same outcome first.
        .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
        .execute(),
    );
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
