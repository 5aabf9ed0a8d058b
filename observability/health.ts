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
  check: () => Promise<string | void>;
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
}

export async function readiness(local: ReadinessCheck[] = [], timeoutMs = 2000): Promise<Readiness> {
  const all = [...local, ...checks.values()];
  const results = await Promise.all(
    all.map(async (c) => {
      try {
        const detail = await withTimeout(c.check(), timeoutMs, c.name);
        return [c.name, { status: 'ok' as const, required: c.required, ...(detail ? { detail } : {}) }] as const;
      } catch (err) {
        return [c.name, { status: 'failing' as const, required: c.required, detail: (err as Error).message }] as const;
      }
    }),
  );
  return { ready: results.every(([, r]) => r.status === 'ok' || !r.required), checks: Object.fromEntries(results) };
}

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** GET /readyz: 200 `{status: 'ready', checks}` or 503 `{status: 'not_ready', checks}`. */
export function readinessRoute(app: FastifyInstance, database?: () => Promise<void>, routeConfig: Record<string, unknown> = {}): void {
  const local: ReadinessCheck[] = database ? [{ name: 'database', required: true, check: database }] : [];
  app.get(HEALTH_PATHS.ready, { schema: { hide: true }, config: { trace: false, ...routeConfig } }, async (_request, reply) => {
    const result = await readiness(local);
    return reply.code(result.ready ? 200 : 503).send({ status: result.ready ? 'ready' : 'not_ready', checks: result.checks });
  });
}
