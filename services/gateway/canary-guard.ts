import type { Logger } from 'pino';
import { isPayMeshError } from '../../contracts/errors.ts';
import { ConfigReader } from '../../core/config.ts';
import { gauge } from '../../observability/metrics.ts';

const haltedGauge = gauge('gateway_canary_halted', 'Whether the gateway stopped sending new payments to a payment version (1) or not (0)', ['target']);

/**
 * When the gateway stops sending new payments to a payment version (one
 * machine; on AWS the per-version alarms roll the ECS deployment back).
 * Read from GATEWAY_CANARY_* (docs/operations.md).
 */
export interface CanaryGuardSettings {
  /** GATEWAY_CANARY_WINDOW_SECONDS: the window the rates are measured over. */
  windowMs: number;
  /** GATEWAY_CANARY_MAX_SAGA_FAILURE_PERCENT: failed sagas among those that ended in the window. */
  maxSagaFailureRate: number;
  /** GATEWAY_CANARY_MAX_5XX_PERCENT: 5xx (or unreachable) answers among the gateway's payment calls to the version. */
  max5xxRate: number;
  /** GATEWAY_CANARY_MIN_SAMPLES: fewer calls, or fewer ended sagas, in the window decide nothing. */
  minSamples: number;
  /** GATEWAY_CANARY_COOLDOWN_SECONDS: 0 (default) resumes only when an operator says so; else resumes on its own after this long. */
  cooldownMs: number;
  /** GATEWAY_CANARY_POLL_MS: how often each version's saga outcomes are read from its /metrics. */
  pollMs: number;
  /** GATEWAY_CANARY_GUARD: off disables it. */
  enabled: boolean;
}

export function canaryGuardSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): CanaryGuardSettings {
  const read = new ConfigReader(env);
  const settings: CanaryGuardSettings = {
    enabled: read.onOff('GATEWAY_CANARY_GUARD', true),
    windowMs: read.int('GATEWAY_CANARY_WINDOW_SECONDS', 300, 5, 86_400) * 1000,
    maxSagaFailureRate: read.int('GATEWAY_CANARY_MAX_SAGA_FAILURE_PERCENT', 50, 1, 100) / 100,
    max5xxRate: read.int('GATEWAY_CANARY_MAX_5XX_PERCENT', 20, 1, 100) / 100,
    minSamples: read.int('GATEWAY_CANARY_MIN_SAMPLES', 20, 1, 1_000_000),
    cooldownMs: read.int('GATEWAY_CANARY_COOLDOWN_SECONDS', 0, 0, 86_400) * 1000,
    pollMs: read.int('GATEWAY_CANARY_POLL_MS', 10_000, 100, 3_600_000),
  };
  read.done('gateway');
  return settings;
}

export interface Halt {
  since: string;
  reason: 'saga_failure_rate' | 'http_5xx_rate';
  /** The rate that crossed the threshold, and the threshold (fractions). */
  rate: number;
  threshold: number;
  /** When it resumes on its own (a cool-down), if it does. */
  resumesAt: string | undefined;
}

export interface GuardTargetStatus {
  halted: Halt | null;
  window: { seconds: number; requests: number; http5xx: number; sagasCompleted: number; sagasFailed: number };
}

/** A version's cumulative saga outcomes as its /metrics last said them. */
interface SagaSample {
  at: number;
  completed: number;
  failed: number;
}

/**
 * Watches each payment version the gateway routes to: the share of 5xx
 * answers to the gateway's payment calls, and the share of failed sagas among
 * those that ended (from the version's own `saga_completion_rate` counters),
 * both over a sliding window. A version above either threshold is halted: the
 * weighted router sends it no new payments (its users go to the other
 * versions by their weights) until an operator resumes it (POST
 * /admin/routing/resume) or, if a cool-down is set, until that has passed.
 */
export class CanaryGuard {
  readonly settings: CanaryGuardSettings;
  private readonly log: Logger;
  private readonly calls = new Map<string, Array<{ at: number; failed: boolean }>>();
  private readonly sagas = new Map<string, SagaSample[]>();
  private readonly halts = new Map<string, Halt>();
  private timer: NodeJS.Timeout | undefined;

  constructor(settings: CanaryGuardSettings, log: Logger) {
    this.settings = settings;
    this.log = log;
  }

  /** The outcome of one payment call the gateway made to a version: a 5xx, an unreachable version or an open breaker counts against it. */
  recordCall(node: string, error: unknown, now = Date.now()): void {
    if (!this.settings.enabled) return;
    const failed = error !== undefined && !(isPayMeshError(error) && error.kind !== 'unavailable' && error.kind !== 'internal');
    const calls = this.calls.get(node) ?? [];
    calls.push({ at: now, failed });
    this.calls.set(node, calls);
    this.evaluate(node, now);
  }

  /** A version's cumulative saga outcomes (its `saga_completion_rate{outcome}` counters). */
  recordSagaTotals(node: string, totals: { completed: number; failed: number }, now = Date.now()): void {
    if (!this.settings.enabled) return;
    let samples = this.sagas.get(node) ?? [];
    const last = samples[samples.length - 1];
    // A restarted version starts its counters again: so does its window.
    if (last && (totals.completed < last.completed || totals.failed < last.failed)) samples = [];
    samples.push({ at: now, ...totals });
    this.sagas.set(node, samples);
    this.evaluate(node, now);
  }

  isHalted(node: string, now = Date.now()): boolean {
    const halt = this.halts.get(node);
    if (!halt) return false;
    if (halt.resumesAt && Date.parse(halt.resumesAt) <= now) {
      this.resume(node, 'cool-down over');
      return false;
    }
    return true;
  }

  /** An operator (or the cool-down) lets the version have new payments again; its window starts afresh. */
  resume(node: string, why = 'operator'): boolean {
    const halt = this.halts.get(node);
    this.halts.delete(node);
    this.calls.delete(node);
    const last = this.sagas.get(node)?.at(-1);
    this.sagas.set(node, last ? [last] : []);
    haltedGauge.set({ target: node }, 0);
    if (halt) this.log.warn({ target: node, why }, 'payment version resumed: it gets new payments again');
    return halt !== undefined;
  }

  status(nodes: string[], now = Date.now()): Record<string, GuardTargetStatus> {
    return Object.fromEntries(
      nodes.map((node) => {
        const { requests, http5xx, completed, failed } = this.window(node, now);
        return [node, { halted: this.isHalted(node, now) ? this.halts.get(node)! : null, window: { seconds: this.settings.windowMs / 1000, requests, http5xx, sagasCompleted: completed, sagasFailed: failed } }];
      }),
    );
  }

  /** Reads each version's saga outcomes from its /metrics every `pollMs`. */
  start(targets: () => Array<{ node: string; url: string }>): void {
    if (!this.settings.enabled) return;
    const poll = async () => {
      await Promise.all(
        targets().map(async ({ node, url }) => {
          try {
            const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000), headers: { accept: 'text/plain' } });
            if (response.ok) this.recordSagaTotals(node, sagaTotals(await response.text()));
          } catch {
            // Unreachable: its calls' failures are counted where they happen.
          }
        }),
      );
    };
    this.timer = setInterval(() => void poll(), this.settings.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private window(node: string, now: number) {
    const from = now - this.settings.windowMs;
    const calls = (this.calls.get(node) ?? []).filter((c) => c.at >= from);
    this.calls.set(node, calls);
    // The oldest sample still in the window (or the last one before it) against the newest.
    const samples = this.sagas.get(node) ?? [];
    const firstInside = samples.findIndex((s) => s.at >= from);
    const kept = firstInside <= 0 ? samples : samples.slice(firstInside - 1);
    this.sagas.set(node, kept);
    const first = kept[0];
    const last = kept[kept.length - 1];
    return {
      requests: calls.length,
      http5xx: calls.filter((c) => c.failed).length,
      completed: first && last ? last.completed - first.completed : 0,
      failed: first && last ? last.failed - first.failed : 0,
    };
  }

  private evaluate(node: string, now: number): void {
    if (this.isHalted(node, now)) return;
    const { requests, http5xx, completed, failed } = this.window(node, now);
    const { minSamples, max5xxRate, maxSagaFailureRate } = this.settings;
    let halt: Pick<Halt, 'reason' | 'rate' | 'threshold'> | undefined;
    if (completed + failed >= minSamples && failed / (completed + failed) > maxSagaFailureRate) {
      halt = { reason: 'saga_failure_rate', rate: failed / (completed + failed), threshold: maxSagaFailureRate };
    } else if (requests >= minSamples && http5xx / requests > max5xxRate) {
      halt = { reason: 'http_5xx_rate', rate: http5xx / requests, threshold: max5xxRate };
    }
    if (!halt) return;
    const resumesAt = this.settings.cooldownMs > 0 ? new Date(now + this.settings.cooldownMs).toISOString() : undefined;
    this.halts.set(node, { since: new Date(now).toISOString(), ...halt, resumesAt });
    haltedGauge.set({ target: node }, 1);
    this.log.error({ target: node, ...halt, resumesAt }, 'payment version halted: no new payments go to it until it is resumed');
  }
}

/** Sums a Prometheus exposition's `saga_completion_rate` samples by outcome. */
export function sagaTotals(text: string): { completed: number; failed: number } {
  const totals = { completed: 0, failed: 0 };
  for (const line of text.split('\n')) {
    const match = /^saga_completion_rate\{([^}]*)\}\s+(\S+)/.exec(line);
    const outcome = match && /(?:^|,)outcome="(completed|failed)"/.exec(match[1]!)?.[1];
    if (outcome === 'completed' || outcome === 'failed') totals[outcome] += Number(match![2]);
  }
  return totals;
}
