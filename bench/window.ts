import type { Platform } from '../scripts/platform.ts';
import { cpuSecondsOf, type BenchRow } from './measure.ts';
import type { DatabaseChoice } from './platform-setup.ts';
import { countSyscalls, type SyscallCounts } from './syscalls.ts';

/** What the platform's processes spent over a measured window. */
export interface WindowCounts {
  /** CPU milliseconds (user + system) of each service over the window; 0 where /proc does not tell. */
  cpuMs: Map<string, number>;
  /** The broker's requests over the window, by action. */
  brokerRequests: Map<string, number>;
  /** SQL statements each service ran through its query builder over the window (db_statements_total). */
  statements: Map<string, number>;
  /** fsyncs and writes of each service over the window; absent without perf. */
  syscalls?: Map<string, SyscallCounts>;
}

/**
 * Starts counting what every service of the platform spends: CPU from /proc,
 * the broker's broker_requests_total, and (with perf) each process's fsyncs
 * and writes. Synchronous to start, so it can run inside a benchmark's
 * "measurement starts now" callback; `close` ends the window.
 */
export function openWindow(platform: Platform, pids: Map<string, number>, { syscalls }: { syscalls: boolean }): { close(): Promise<WindowCounts> } {
  const cpuBefore = new Map([...pids].map(([name, pid]) => [name, cpuSecondsOf(pid)]));
  const counter = syscalls ? countSyscalls(pids) : undefined;
  const brokerBefore = brokerRequests(platform);
  const statementsBefore = statementCounts(platform, [...pids.keys()]);
  return {
    async close() {
      const brokerAfter = await brokerRequests(platform);
      const statementsAfter = await statementCounts(platform, [...pids.keys()]);
      const before = await brokerBefore;
      const statementsFrom = await statementsBefore;
      const cpuMs = new Map(
        [...pids].map(([name, pid]) => {
          const [from, to] = [cpuBefore.get(name), cpuSecondsOf(pid)];
          return [name, from === undefined || to === undefined ? 0 : (to - from) * 1000];
        }),
      );
      const requests = new Map([...brokerAfter].map(([action, n]) => [action, n - (before.get(action) ?? 0)]));
      const statements = new Map([...statementsAfter].map(([name, n]) => [name, n - (statementsFrom.get(name) ?? 0)]));
      return { cpuMs, brokerRequests: requests, statements, syscalls: await counter?.stop() };
    },
  };
}

/** The broker's broker_requests_total by action, from its /metrics. */
async function brokerRequests(p: Platform): Promise<Map<string, number>> {
  const text = await (await fetch(`${p.env.PAYMESH_BROKER_URL}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^broker_requests_total\{.*action="([^"]+)".*\} (\d+)/.exec(line);
    if (match) counts.set(match[1]!, Number(match[2]));
  }
  return counts;
}

/** Each service's db_statements_total, from its /metrics (the wallet's on its GraphQL listener); services without one are left out. */
async function statementCounts(p: Platform, services: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  await Promise.all(
    services.map(async (name) => {
      const base = name === 'wallet' ? p.env.WALLET_GRAPHQL_URL : name === 'broker' ? undefined : p.url(name);
      if (!base) return;
      const text = await fetch(`${base}/metrics`).then((r) => r.text()).catch(() => '');
      const match = /^db_statements_total(?:\{[^}]*\})? (\d+)/m.exec(text);
      if (match) counts.set(name, Number(match[1]));
    }),
  );
  return counts;
}

/**
 * A window's counts divided by the payments made in it, as rows: CPU by
 * service, broker requests by action, fsyncs and writes by service (`label`
 * goes in front of each row's name, to tell one run's rows from another's).
 */
export function perPaymentRows(counts: WindowCounts, payments: number, database: DatabaseChoice, label = ''): BenchRow[] {
  const rows: BenchRow[] = [];
  const cpu = [...counts.cpuMs].map(([name, ms]) => ({ name, ms: ms / payments })).sort((a, b) => b.ms - a.ms);
  rows.push({
    name: `${label}CPU per payment, by service`,
    value: `${cpu.reduce((t, s) => t + s.ms, 0).toFixed(1)} ms`,
    note: cpu.length > 0 ? cpu.map((s) => `${s.name} ${s.ms.toFixed(1)}`).join(', ') : 'not measured (needs Linux /proc)',
  });
  if (counts.brokerRequests.size > 0) {
    const perAction = [...counts.brokerRequests].map(([action, n]) => [action, n / payments] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    rows.push({
      name: `${label}broker requests per payment`,
      value: perAction.reduce((t, [, n]) => t + n, 0).toFixed(1),
      note: `by action: ${perAction.map(([a, n]) => `${a} ${n.toFixed(1)}`).join(', ')}`,
    });
  }
  if (counts.statements.size > 0) {
    const perService = [...counts.statements].map(([name, n]) => [name, n / payments] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    rows.push({
      name: `${label}SQL statements per payment, by service`,
      value: perService.reduce((t, [, n]) => t + n, 0).toFixed(1),
      note: `through each service's query builder, BEGIN and COMMIT not counted (db_statements_total; the broker's own store is not counted): ${perService.map(([name, n]) => `${name} ${n.toFixed(1)}`).join(', ')}`,
    });
  }
  const syscalls = counts.syscalls;
  if (syscalls) {
    const per = (n: number) => (n / payments).toFixed(1);
    const ranked = (key: 'flushes' | 'writes') => [...syscalls].sort((a, b) => b[1][key] - a[1][key]).filter(([, c]) => c[key] > 0);
    const total = (key: 'flushes' | 'writes') => [...syscalls.values()].reduce((t, c) => t + c[key], 0);
    rows.push(
      total('flushes') > 0 || database.kind === 'sqlite'
        ? { name: `${label}fsyncs per payment, by service`, value: per(total('flushes')), note: `fsync + fdatasync (perf): ${ranked('flushes').map(([n, c]) => `${n} ${per(c.flushes)}`).join(', ')}` }
        : { name: `${label}fsyncs per payment, by service`, value: '-', note: "PostgreSQL's own server processes flush its WAL; the services' processes are the ones counted" },
      { name: `${label}writes per payment, by service`, value: per(total('writes')), note: `write + writev + pwrite64, files and sockets (perf): ${ranked('writes').map(([n, c]) => `${n} ${per(c.writes)}`).join(', ')}` },
    );
  }
  return rows;
}
