import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Database } from '../../storage/database.ts';
import { withoutWaitingForDisk } from '../../storage/transaction.ts';
import type { GatewaySchema } from './migrations/index.ts';

/**
 * Fixed-window counters for the limits that guard credentials (logins and
 * sign-ups). They must hold across every gateway task behind the load
 * balancer, or N tasks would allow N times the attempts, so on a platform
 * they live in the gateway's database; the general per-user and per-address
 * throttle (rate-limit.ts) stays in each task's memory, where a miss costs
 * nothing but some extra load.
 */
export interface LimitCounters {
  /** Counts one attempt under `key` in the window that holds `now`; the attempts so far in it and when it ends. */
  hit(key: string, windowMs: number, now: number): Promise<{ count: number; resetsAt: number }>;
}

/** Counters every gateway task on the same database shares. */
export class DatabaseLimitCounters implements LimitCounters {
  private readonly database: Database<GatewaySchema>;
  private lastPruned = 0;

  constructor(database: Database<GatewaySchema>) {
    this.database = database;
  }

  async hit(key: string, windowMs: number, now: number): Promise<{ count: number; resetsAt: number }> {
    const windowStart = now - (now % windowMs);
    // Not waiting for the disk: a counter lost in a power cut only grants a few more attempts.
    const row = await withoutWaitingForDisk(this.database, async (db) => {
      if (now - this.lastPruned > PRUNE_EVERY_MS) {
        this.lastPruned = now;
        await db.deleteFrom('access_counters').where('window_start', '<', now - MAX_WINDOW_MS).execute();
      }
      return db
        .insertInto('access_counters')
        .values({ key, window_start: windowStart, count: 1 })
        .onConflict((conflict) =>
          conflict.column('key').doUpdateSet({
            count: sql`case when access_counters.window_start = excluded.window_start then access_counters.count + 1 else 1 end`,
            window_start: sql`excluded.window_start`,
          }),
        )
        .returning(['count', 'window_start'])
        .executeTakeFirstOrThrow();
    });
    return { count: Number(row.count), resetsAt: Number(row.window_start) + windowMs };
  }
}

const PRUNE_EVERY_MS = 60_000;
/** The longest window any limit uses; counters older than it are dead. */
const MAX_WINDOW_MS = 60 * 60_000;

/** Counters of one process, for tests and tools that build the gateway without a database. */
export class MemoryLimitCounters implements LimitCounters {
  private readonly windows = new Map<string, { start: number; count: number }>();

  async hit(key: string, windowMs: number, now: number): Promise<{ count: number; resetsAt: number }> {
    const start = now - (now % windowMs);
    const current = this.windows.get(key);
    const next = current && current.start === start ? { start, count: current.count + 1 } : { start, count: 1 };
    this.windows.set(key, next);
    return { count: next.count, resetsAt: start + windowMs };
  }
}

export interface AccessLimit {
  /** What the key counts, e.g. `login:client`; the request's value is appended. */
  scope: string;
  max: number;
  /** The value counted for this request (the client address, the account's email), or undefined to skip. */
  key: (request: FastifyRequest) => string | undefined;
}

/**
 * A preHandler refusing a request once any of `limits` is used up in its
 * minute: a 429 RATE_LIMITED problem with Retry-After, as the general
 * throttle answers. Every attempt counts, the refused ones too.
 */
export function accessLimits(counters: LimitCounters, limits: AccessLimit[], clock: () => number = Date.now) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const now = clock();
    for (const limit of limits) {
      const value = limit.key(request);
      if (value === undefined) continue;
      const { count, resetsAt } = await counters.hit(`${limit.scope}:${value}`, WINDOW_MS, now);
      if (count > limit.max) {
        const retryAfter = Math.max(1, Math.ceil((resetsAt - now) / 1000));
        reply.header('retry-after', String(retryAfter));
        throw Object.assign(new Error(`too many requests (at most ${limit.max} a minute); retry in ${retryAfter} s`), { statusCode: 429, code: 'RATE_LIMITED' });
      }
    }
  };
}

const WINDOW_MS = 60_000;
