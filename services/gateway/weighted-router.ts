import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import { loadWeightedRoute, type WeightedRoute, type WeightedTarget } from '../../contracts/routing.ts';
import { counter } from '../../observability/metrics.ts';

const routed = counter('gateway_weighted_route_total', 'Requests routed by weighted target', ['route', 'target']);

/**
 * Splits traffic across the routing file's weighted targets, sticky per user:
 * a user's hash picks a point in the weight range, so the same user keeps
 * landing on the same version while the weights stay put. The file is
 * re-read when its modification time changes (checked at most once a second),
 * so editing the weights moves traffic without a restart; a bad edit is
 * logged and the last good route kept.
 */
export class WeightedRouter {
  private readonly file: string;
  private readonly log: Logger;
  private route: WeightedRoute;
  private mtimeMs: number;
  private checkedAt = 0;

  constructor(file: string, log: Logger) {
    this.file = file;
    this.log = log;
    this.route = loadWeightedRoute(file);
    this.mtimeMs = statSync(file).mtimeMs;
  }

  current(): WeightedRoute {
    this.refresh();
    return this.route;
  }

  pick(stickyKey: string): WeightedTarget {
    const route = this.current();
    const total = route.targets.reduce((sum, t) => sum + t.weight, 0);
    const point = createHash('sha256').update(stickyKey).digest().readUInt32BE(0) % total;
    let cumulative = 0;
    for (const target of route.targets) {
      cumulative += target.weight;
      if (point < cumulative) {
        routed.inc({ route: route.routeName, target: target.node });
        return target;
      }
    }
    return route.targets[route.targets.length - 1]!;
  }

  private refresh(): void {
    const now = Date.now();
    if (now - this.checkedAt < 1000) return;
    this.checkedAt = now;
    try {
      const mtimeMs = statSync(this.file).mtimeMs;
      if (mtimeMs === this.mtimeMs) return;
      // Remember the change even if it is bad, so a broken file is reported once, not every second.
      this.mtimeMs = mtimeMs;
      this.route = loadWeightedRoute(this.file);
      this.log.info({ targets: this.route.targets }, 'weighted routing reloaded');
    } catch (err) {
      this.log.error({ err }, 'routing file unreadable; keeping the last good weights');
    }
  }
}
