import type { FastifyInstance } from 'fastify';
import { HEALTH_PATHS } from '../../discovery/catalog.ts';

/** One thing the gateway needs to serve traffic; `check` rejects when it is not reachable. */
export interface ReadinessCheck {
  name: string;
  check: (signal: AbortSignal) => Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
}

/** A dependency's /healthz answers 200 (alive and reachable; its own readiness is its business, so failures do not cascade). */
export function httpHealthCheck(name: string, baseUrl: string): ReadinessCheck {
  return {
    name,
    async check(signal) {
      const response = await fetch(`${baseUrl}${HEALTH_PATHS.alive}`, { signal });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`/healthz answered ${response.status}`);
    },
  };
}

/** Runs every check at once, each bounded by `timeoutMs`. */
export async function checkReadiness(checks: ReadinessCheck[], timeoutMs: number): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await check(AbortSignal.timeout(timeoutMs));
        return [name, 'ok'] as const;
      } catch (err) {
        const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((err as Error).message || String(err));
        return [name, `unreachable: ${reason}`.slice(0, 200)] as const;
      }
    }),
  );
  return { ready: results.every(([, result]) => result === 'ok'), checks: Object.fromEntries(results) };
}

/** GET /readyz: 200 when the gateway's database and every service it calls answer, else 503 naming what does not. */
export function readinessRoute(app: FastifyInstance, readiness: (() => Promise<ReadinessReport>) | undefined): void {
  app.get(HEALTH_PATHS.ready, { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) => {
    const report = readiness ? await readiness() : { ready: true, checks: {} };
    if (report.ready) return { status: 'ready', checks: report.checks };
    const failing = Object.entries(report.checks).filter(([, result]) => result !== 'ok').map(([name, result]) => `${name} ${result}`);
    return reply.code(503).send({ status: 'not_ready', detail: failing.join('; '), checks: report.checks });
  });
}
