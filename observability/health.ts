import type { FastifyInstance } from 'fastify';
import { HEALTH_PATHS } from '../discovery/catalog.ts';

/**
 * Readiness of one process, assembled from what it runs: the service's
 * database check (given to createHttpApp), and checks that shared parts
 * register themselves (a queue consumer needs the broker; a client's breaker
 * reports its dependency). `required` checks decide the status; the others
 * are reported so an operator sees a degraded dependency without the
 * supervisor or load balancer taking this instance out of rotation for
 * someone else's outage (which would only spread it).
 */
export interface ReadinessCheck {
  name: string;
  required: boolean;
  /** Resolves (with a detail to report, or nothing) when it is fine; `signal` aborts when the time for an answer is up. */
  check: (signal: AbortSignal) => Promise<string | void>;
}

const checks = new Map<string, ReadinessCheck>();

/** Registers (or replaces, by name) a readiness check for this process. */
export function addReadinessCheck(check: ReadinessCheck): void {
  checks.set(check.name, check);
}

export function removeReadinessCheck(name: string): void {
  checks.delete(name);
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, { status: 'ok' | 'failing'; required: boolean; detail?: string }>;
  /** The required checks that fail, each with why: what a supervisor or an operator reads first. */
  failing: string[];
}

/** Runs the process's checks and `local` ones at once, each given `timeoutMs` to answer. */
export async function readiness(local: ReadinessCheck[] = [], timeoutMs = 2000): Promise<Readiness> {
  const all = [...local, ...checks.values()];
  const results = await Promise.all(
    all.map(async (c) => {
      try {
        const detail = await answerWithin(c, timeoutMs);
        return [c.name, { status: 'ok' as const, required: c.required, ...(detail ? { detail } : {}) }] as const;
      } catch (err) {
        return [c.name, { status: 'failing' as const, required: c.required, detail: ((err as Error).message || String(err)).slice(0, 200) }] as const;
      }
    }),
  );
  const failing = results.filter(([, r]) => r.status === 'failing' && r.required).map(([name, r]) => `${name} ${r.detail}`);
  return { ready: failing.length === 0, checks: Object.fromEntries(results), failing };
}

function answerWithin(c: ReadinessCheck, ms: number): Promise<string | void> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    c.check(controller.signal).finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`no answer within ${ms} ms`));
      }, ms);
    }),
  ]);
}

/** A dependency's /healthz answers 200: alive and reachable (its own readiness is its business, so failures do not cascade). */
export function httpHealthCheck(name: string, baseUrl: string, required: boolean): ReadinessCheck {
  return {
    name,
    required,
    async check(signal) {
      const response = await fetch(`${baseUrl}${HEALTH_PATHS.alive}`, { signal }).catch((err: unknown) => {
        throw new Error(`unreachable: ${(err as Error).message}`);
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`unreachable: /healthz answered ${response.status}`);
    },
  };
}

/** The /readyz body: 200 `{status: 'ready', checks}`, or 503 `{status: 'not_ready', detail, checks}` with `detail` naming what fails. */
export function readinessBody(result: Readiness): { status: 'ready' | 'not_ready'; detail?: string; checks: Readiness['checks'] } {
  return result.ready ? { status: 'ready', checks: result.checks } : { status: 'not_ready', detail: result.failing.join('; '), checks: result.checks };
}

/** GET /readyz from the process's checks and `local` ones (the service's database, the gateway's dependencies). */
export function readinessRoute(
  app: FastifyInstance,
  local: ReadinessCheck[] | (() => ReadinessCheck[]) = [],
  options: { timeoutMs?: number; routeConfig?: Record<string, unknown> } = {},
): void {
  app.get(HEALTH_PATHS.ready, { schema: { hide: true }, config: { trace: false, ...options.routeConfig } }, async (_request, reply) => {
    const result = await readiness(typeof local === 'function' ? local() : local, options.timeoutMs);
    return reply.code(result.ready ? 200 : 503).send(readinessBody(result));
  });
}
