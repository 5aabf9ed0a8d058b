/**
 * Several services' Prometheus text expositions as one: each family's HELP
 * and TYPE once, then every service's samples (each already labelled with
 * its `service`). A target that cannot be scraped is reported in
 * `paymesh_scrape_up` rather than failing the whole page.
 */

/**
 * The services whose /metrics the gateway's /metrics/all gathers on one machine, by their seed names.
 * The wallet's HTTP listener serves the wallet process's metrics, gRPC ones included.
 */
export const ONE_MACHINE_METRICS_SOURCES = [
  'user-service.paypal.local',
  'payment-service.paypal.local',
  'payment-service-v2.paypal.local',
  'transaction-service.paypal.local',
  'notification-service.paypal.local',
  'audit-service.paypal.local',
  'schema-registry.paypal.local',
  'wallet-graphql.paypal.local',
];

export interface ScrapeTarget {
  /** A name for the target (its discovery name), used in `paymesh_scrape_up`. */
  name: string;
  /** The metrics URL, e.g. http://127.0.0.1:8001/metrics. */
  url: string;
}

interface Family {
  help?: string;
  type?: string;
  samples: Set<string>;
}

/** Merges exposition texts by metric family; comment lines other than HELP/TYPE are dropped. */
export function mergeExpositions(texts: string[]): string {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) {
      found = { samples: new Set() };
      families.set(name, found);
    }
    return found;
  };
  for (const text of texts) {
    let current: Family | undefined;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (meta) {
        current = family(meta[2]!);
        if (meta[1] === 'HELP') current.help ??= line;
        else current.type ??= line;
        continue;
      }
      if (line.startsWith('#')) continue;
      // A sample belongs to the family announced before it (histogram _bucket/_sum/_count included).
      (current ?? family(line.split(/[{ ]/)[0]!)).samples.add(line);
    }
  }
  const out: string[] = [];
  for (const f of families.values()) {
    if (f.help) out.push(f.help);
    if (f.type) out.push(f.type);
    out.push(...f.samples);
  }
  return `${out.join('\n')}\n`;
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Scrapes every target at once (each bounded by `timeoutMs`) and merges them with `local` (this process's own text). */
export async function federate(local: string, targets: ScrapeTarget[], timeoutMs = 2000): Promise<string> {
  // Two names for one process (user and account service, say) are scraped once.
  const unique = [...new Map(targets.map((t) => [t.url, t])).values()];
  const results = await Promise.all(
    unique.map(async (target) => {
      try {
        const response = await fetch(target.url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'text/plain' } });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return { target, text: await response.text(), up: 1 };
      } catch {
        return { target, text: '', up: 0 };
      }
    }),
  );
  const up = [
    '# HELP paymesh_scrape_up Whether the gateway could read a service\'s /metrics for /metrics/all (1 yes, 0 no)',
    '# TYPE paymesh_scrape_up gauge',
    ...results.map((r) => `paymesh_scrape_up{target="${escapeLabel(r.target.name)}"} ${r.up}`),
  ].join('\n');
  return mergeExpositions([local, ...results.map((r) => r.text), up]);
}
