import type { Kysely } from 'kysely';
import { DEFAULT_BUS } from './common.ts';
import type { EventBridgeSchema } from './schema.ts';
import type { TargetSpec } from './targets.ts';

/** An enabled rule with its parsed pattern and its targets, in target-id order. */
export interface RuleRoute {
  name: string;
  pattern: Record<string, unknown>;
  targets: TargetSpec[];
}

/** An enabled archive; without a pattern it takes every event of its bus. */
export interface ArchiveRoute {
  name: string;
  pattern: Record<string, unknown> | undefined;
}

export interface BusRoutes {
  rules: RuleRoute[];
  archives: ArchiveRoute[];
}

/** Every bus that exists (the default one always does) with what it routes to. */
export type Routes = ReadonlyMap<string, BusRoutes>;

/**
 * The buses, enabled rules, targets and archives, read from the database
 * once and kept in memory: PutEvents is called far more often than any of
 * them changes, and reading them per call was most of its cost. One broker
 * process owns the database, so the actions that change them invalidate the
 * table (EventBridge's own `handle`), and the next PutEvents reads it again.
 * A PutEvents already under way when a rule changes routes by the table it
 * started with; AWS also takes a moment to apply rule changes.
 */
export class RoutingTable {
  private readonly db: Kysely<EventBridgeSchema>;
  private readonly parse: (pattern: string) => Record<string, unknown>;
  private routes: Routes | undefined;
  private loading: Promise<Routes> | undefined;
  private generation = 0;

  constructor(db: Kysely<EventBridgeSchema>, parse: (pattern: string) => Record<string, unknown>) {
    this.db = db;
    this.parse = parse;
  }

  /** After any change to buses, rules, targets or archives. */
  invalidate(): void {
    this.generation++;
    this.routes = undefined;
  }

  current(): Routes | Promise<Routes> {
    if (this.routes) return this.routes;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<Routes> {
    for (;;) {
      const generation = this.generation;
      const [buses, rules, targets, archives] = await Promise.all([
        this.db.selectFrom('eb_event_buses').select('name').execute(),
        this.db.selectFrom('eb_rules').select(['bus_name', 'name', 'event_pattern']).where('state', '=', 'ENABLED').orderBy('bus_name').orderBy('name').execute(),
        this.db.selectFrom('eb_targets').select(['bus_name', 'rule_name', 'spec']).orderBy('target_id').execute(),
        this.db.selectFrom('eb_archives').select(['bus_name', 'name', 'event_pattern']).where('state', '=', 'ENABLED').orderBy('name').execute(),
      ]);
      const routes = new Map<string, BusRoutes>([[DEFAULT_BUS, { rules: [], archives: [] }]]);
      for (const bus of buses) routes.set(bus.name, { rules: [], archives: [] });
      const targetsOf = new Map<string, TargetSpec[]>();
      for (const t of targets) {
        const key = `${t.bus_name}\u0000${t.rule_name}`;
        targetsOf.set(key, [...(targetsOf.get(key) ?? []), JSON.parse(t.spec) as TargetSpec]);
      }
      for (const rule of rules) {
        const ruleTargets = targetsOf.get(`${rule.bus_name}\u0000${rule.name}`);
        // A rule without targets or pattern routes nothing.
        if (!ruleTargets || !rule.event_pattern) continue;
        routes.get(rule.bus_name)?.rules.push({ name: rule.name, pattern: this.parse(rule.event_pattern), targets: ruleTargets });
      }
      for (const archive of archives) {
        routes.get(archive.bus_name)?.archives.push({ name: archive.name, pattern: archive.event_pattern ? this.parse(archive.event_pattern) : undefined });
      }
      // A change committed while this was being read: read again, so no change is missed.
      if (generation !== this.generation) continue;
      this.routes = routes;
      return routes;
    }
  }
}
