import type { FastifyInstance } from 'fastify';
import type { CanaryTarget, PlatformStatus, ReadinessCheckView, ServiceStatus } from '../../../contracts/admin-api.ts';
import { releaseVersion } from '../../../core/http-app.ts';
import { HEALTH_PATHS } from '../../../discovery/catalog.ts';
import { readiness } from '../../../observability/health.ts';
import type { GatewayDeps } from '../deps.ts';
import type { AdminDeps } from './admin-deps.ts';

const PROBE_TIMEOUT_MS = 2000;

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), headers: { accept: 'application/json' } });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { detail: text.slice(0, 200) };
  }
  return { status: response.status, body };
}

/** /readyz checks come as `{status, required, detail}` (services) or `'ok' | reason` (the gateway): one shape for the console. */
function checksOf(raw: unknown): Record<string, ReadinessCheckView> {
  if (!raw || typeof raw !== 'object') return {};
  return Object.fromEntries(
    Object.entries(raw as Record<string, unknown>).map(([name, value]) => {
      const check = (value ?? {}) as { status?: string; required?: boolean; detail?: string };
      return [name, { status: check.status === 'ok' ? 'ok' : 'failing', required: check.required !== false, ...(check.detail ? { detail: String(check.detail) } : {}) }];
    }),
  );
}

/** One service's /healthz (release, uptime) and /readyz (its checks), asked at once. */
async function probe(name: string, url: string): Promise<ServiceStatus> {
  const [health, ready] = await Promise.allSettled([getJson(`${url}${HEALTH_PATHS.alive}`), getJson(`${url}${HEALTH_PATHS.ready}`)]);
  if (ready.status === 'rejected') {
    const err = ready.reason as Error;
    return { name, address: url, state: 'unreachable', version: null, uptime_seconds: null, checks: {}, detail: err.name === 'TimeoutError' ? `no answer within ${PROBE_TIMEOUT_MS} ms` : err.message };
  }
  const about = health.status === 'fulfilled' ? health.value.body : {};
  return {
    name,
    address: url,
    state: ready.value.status === 200 ? 'ready' : 'not_ready',
    version: typeof about.version === 'string' ? about.version : null,
    uptime_seconds: typeof about.uptime_seconds === 'number' ? about.uptime_seconds : null,
    checks: checksOf(ready.value.body.checks),
  };
}

/**
 * GET /admin/status: every service's readiness, release and uptime, and the
 * payment service's canary weights. The services the public API calls are
 * asked at the addresses it uses; the others (broker, schema registry,
 * wallet's HTTP listener, audit) at theirs.
 */
export function platformRoutes(app: FastifyInstance, deps: GatewayDeps, admin: AdminDeps): void {
  app.get('/admin/status', { schema: { hide: true } }, async (): Promise<PlatformStatus> => {
    const route = deps.paymentRouter?.status();
    const targets = route?.route.targets ?? [];
    const byName = (name: string) => admin.extraStatusTargets.filter((t) => t.name === name);
    const asked = [
      ...byName('broker'),
      ...byName('schema-registry'),
      ...byName('wallet'),
      { name: 'user', url: deps.users.baseUrl },
      ...targets.map((t) => ({ name: t.node, url: deps.paymentClients(t.node).baseUrl })),
      { name: 'transaction', url: deps.transactions.baseUrl },
      { name: 'notification', url: deps.notifications.baseUrl },
      ...byName('audit'),
    ];
    const [services, own] = await Promise.all([Promise.all(asked.map((t) => probe(t.name, t.url))), deps.readiness ? readiness(deps.readiness.checks(), deps.readiness.timeoutMs) : undefined]);
    const gateway: ServiceStatus = {
      name: 'gateway',
      address: null,
      state: !own || own.ready ? 'ready' : 'not_ready',
      version: releaseVersion(),
      uptime_seconds: Math.round(process.uptime()),
      checks: checksOf(own?.checks),
    };
    const total = targets.reduce((sum, t) => sum + t.weight, 0);
    const canary: CanaryTarget[] = targets.map((t) => ({ node: t.node, hostname: t.hostname, weight: t.weight, percent: total > 0 ? Math.round((t.weight / total) * 1000) / 10 : 0 }));
    const all = [...services, gateway];
    return {
      checked_at: new Date().toISOString(),
      ready: all.every((s) => s.state === 'ready'),
      services: all,
      canary: { route: route?.route.virtualService ?? '', targets: canary, loaded_at: route?.loadedAt ?? null, rejected: route?.rejected ?? null },
    };
  });
}
