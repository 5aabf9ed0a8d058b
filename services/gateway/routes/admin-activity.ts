import type { FastifyInstance } from 'fastify';
import { registry } from '../../../observability/metrics.ts';
import type { GatewayDeps } from '../deps.ts';
import type { ActivitySample, ActivityView } from './admin-api.ts';

interface Totals {
  accepted: number;
  /** Per payment deployment (its counters restart with it), by outcome. */
  outcomes: Map<string, { completed: number; failed: number }>;
}

/** This gateway's accepted payments: `api_request_duration`'s count for POST /v1/payments answered 202. */
async function acceptedPayments(): Promise<number> {
  const metric = registry.getSingleMetric('api_request_duration');
  if (!metric) return 0;
  // A histogram's values carry their series name (_bucket, _sum, _count).
  const { values } = (await metric.get()) as { values: Array<{ value: number; labels: Record<string, string | number | undefined>; metricName?: string }> };
  return values
    .filter((v) => v.metricName === 'api_request_duration_count' && v.labels.route === '/v1/payments' && v.labels.method === 'POST' && String(v.labels.status) === '202')
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * `saga_completion_rate{outcome=...}` from one service's Prometheus text.
 * Read by a line pattern rather than a parser library: it is one counter of
 * a format whose sample lines are `name{labels} value`.
 */
export function sagaOutcomes(exposition: string): { completed: number; failed: number } {
  const totals = { completed: 0, failed: 0 };
  for (const line of exposition.split('\n')) {
    const sample = /^saga_completion_rate\{([^}]*)\}\s+(\S+)/.exec(line);
    const outcome = sample && /(?:^|,)outcome="(completed|failed)"/.exec(sample[1]!)?.[1];
    if (outcome === 'completed' || outcome === 'failed') totals[outcome] += Number(sample![2]) || 0;
  }
  return totals;
}

/** A counter's growth between two readings; a smaller reading means the process restarted and counts from zero. */
const growth = (before: number, after: number) => (after >= before ? after - before : after);

/**
 * Samples, every few seconds, the payments this gateway accepted and the
 * sagas each payment deployment ended, and keeps the last minutes of them for
 * the console's chart (`GET /admin/activity`). From metrics: the gateway's own
 * registry and the payment services' /metrics, which it can reach wherever it runs.
 */
export class ActivitySampler {
  readonly intervalMs: number;
  private readonly keep: number;
  private readonly paymentTargets: () => Array<{ node: string; url: string }>;
  private readonly samples: ActivitySample[] = [];
  private last: Totals | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(options: { paymentTargets: () => Array<{ node: string; url: string }>; intervalMs?: number; keepMinutes?: number }) {
    this.paymentTargets = options.paymentTargets;
    this.intervalMs = options.intervalMs ?? 5000;
    this.keep = Math.ceil(((options.keepMinutes ?? 10) * 60_000) / this.intervalMs);
  }

  start(): void {
    const tick = () => {
      this.running = this.sampleOnce().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  view(): ActivityView {
    return { interval_seconds: this.intervalMs / 1000, samples: [...this.samples] };
  }

  async sampleOnce(now = new Date()): Promise<void> {
    const outcomes = new Map(this.last?.outcomes);
    await Promise.all(
      this.paymentTargets().map(async ({ node, url }) => {
        try {
          const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) });
          if (response.ok) outcomes.set(node, sagaOutcomes(await response.text()));
          else await response.body?.cancel();
        } catch {
          // Unreachable this time: its last reading stands, so nothing is counted twice when it answers again.
        }
      }),
    );
    const current: Totals = { accepted: await acceptedPayments(), outcomes };
    const previous = this.last;
    this.last = current;
    if (!previous) return;
    let completed = 0;
    let failed = 0;
    for (const [node, now] of current.outcomes) {
      const before = previous.outcomes.get(node);
      // First heard of now: its totals so far are a baseline, not this interval's.
      if (!before) continue;
      completed += growth(before.completed, now.completed);
      failed += growth(before.failed, now.failed);
    }
    const seconds = this.intervalMs / 1000;
    this.samples.push({ at: now.toISOString(), payments_per_second: Math.round((growth(previous.accepted, current.accepted) / seconds) * 100) / 100, completed, failed });
    if (this.samples.length > this.keep) this.samples.splice(0, this.samples.length - this.keep);
  }
}

export function activityRoutes(app: FastifyInstance, sampler: ActivitySampler): void {
  app.get('/admin/activity', { schema: { hide: true } }, async () => sampler.view());
}

/** The sampler for a gateway: the routing file's payment deployments, at the addresses the gateway calls them. */
export function activitySamplerFor(deps: Pick<GatewayDeps, 'paymentRouter' | 'paymentClients'>): ActivitySampler {
  return new ActivitySampler({
    paymentTargets: () => (deps.paymentRouter?.current().targets ?? []).map((t) => ({ node: t.node, url: deps.paymentClients(t.node).baseUrl })),
  });
}
