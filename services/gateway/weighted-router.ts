import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { loadWeightedRoute, type WeightedRoute, type WeightedTarget } from '../../contracts/routing.ts';
import { counter } from '../../observability/metrics.ts';
import type { CanaryGuard, GuardTargetStatus } from './canary-guard.ts';

const routed = counter('gateway_weighted_route_total', 'Requests routed by weighted target', ['route', 'target']);

/** What operators see of the router (GET /admin/routing). */
export interface RoutingStatus {
  file: string;
  route: WeightedRoute;
  loadedAt: string;
  /** The last edit that could not be used, if the file has not been fixed since. */
  rejected: { at: string; error: string } | undefined;
  /**
   * Per target: whether the canary guard halted it (no new payments) and its window's
   * rates; `effective` is the weights picks use now. Absent without a guard.
   */
  guard?: { targets: Record<string, GuardTargetStatus>; effective: Array<{ node: string; weight: number }> };
}

/**
 * Splits traffic across the routing file's weighted targets, sticky per user:
 * a user's hash picks a point in the weight range, so the same user keeps
 * landing on the same version while the weights stay put. The file is
 * re-read when its content changes (checked at most once a second; content,
 * not modification time, whose granularity can hide a quick second edit), so editing the weights moves traffic without a restart; a bad edit (one
 * that does not parse, or that `validate` refuses, e.g. a target no one can
 * resolve) is logged and the last good route kept.
 */
export class WeightedRouter {
  private readonly file: string;
  private readonly log: Logger;
  private readonly validate: (route: WeightedRoute) => void;
  private route: WeightedRoute;
  private loadedAt = new Date();
  private rejected: RoutingStatus['rejected'];
  private text: string;
  private checkedAt = 0;
  private readonly checkIntervalMs: number;
  private guard: CanaryGuard | undefined;

  constructor(file: string, log: Logger, validate: (route: WeightedRoute) => void = () => {}, checkIntervalMs = 1000) {
    this.file = file;
    this.log = log;
    this.validate = validate;
    this.checkIntervalMs = checkIntervalMs;
    this.text = readFileSync(file, 'utf8');
    this.route = this.load();
  }

  /** A version the guard halts gets no new payments while another target with weight is not halted. */
  useGuard(guard: CanaryGuard): void {
    this.guard = guard;
  }

  /** The guard, if any, hears how each payment call to a target went. */
  recordCall(node: string, error?: unknown): void {
    this.guard?.recordCall(node, error);
  }

  status(): RoutingStatus {
    this.refresh();
    const status: RoutingStatus = { file: this.file, route: this.route, loadedAt: this.loadedAt.toISOString(), rejected: this.rejected };
    if (this.guard) {
      status.guard = { targets: this.guard.status(this.route.targets.map((t) => t.node)), effective: this.effectiveTargets(this.route).map((t) => ({ node: t.node, weight: t.weight })) };
    }
    return status;
  }

  current(): WeightedRoute {
    this.refresh();
    return this.route;
  }

  pick(stickyKey: string): WeightedTarget {
    const route = this.current();
    const targets = this.effectiveTargets(route);
    const total = targets.reduce((sum, t) => sum + t.weight, 0);
    const point = createHash('sha256').update(stickyKey).digest().readUInt32BE(0) % total;
    let cumulative = 0;
    for (const target of targets) {
      cumulative += target.weight;
      if (point < cumulative) {
        routed.inc({ route: route.routeName, target: target.node });
        return target;
      }
    }
    return targets[targets.length - 1]!;
  }

  /** The route's targets with the halted ones at weight 0, unless that would leave no weight at all (then the file's weights). */
  private effectiveTargets(route: WeightedRoute): WeightedTarget[] {
    if (!this.guard) return route.targets;
    const guard = this.guard;
    const targets = route.targets.map((t) => (t.weight > 0 && guard.isHalted(t.node) ? { ...t, weight: 0 } : t));
    return targets.some((t) => t.weight > 0) ? targets : route.targets;
  }

  private refresh(): void {
    const now = Date.now();
    if (now - this.checkedAt < this.checkIntervalMs) return;
    this.checkedAt = now;
    try {
      const text = readFileSync(this.file, 'utf8');
      if (text === this.text) return;
      // Remember the change even if it is bad, so a broken file is reported once, not every second.
      this.text = text;
      this.route = this.load();
      this.loadedAt = new Date(now);
      this.rejected = undefined;
      this.log.info({ targets: this.route.targets }, 'weighted routing reloaded');
    } catch (err) {
      const error = (err as Error).message;
      if (this.rejected?.error === error) return;
      this.rejected = { at: new Date(now).toISOString(), error };
      this.log.error({ err }, 'routing file unusable; keeping the last good weights');
    }
  }

  private load(): WeightedRoute {
    const route = loadWeightedRoute(this.file);
    this.validate(route);
    return route;
  }
}
