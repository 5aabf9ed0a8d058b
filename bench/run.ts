/**
 * `npm run bench [-- --quick] [-- --postgres[=url]] [-- --profile]`: measures
 * PayMesh on this machine and writes the figures to bench/results/latest.md.
 * Figures live here, never in tests.
 *
 * --quick     shorter runs, done in under a minute
 * --postgres  every service on PostgreSQL (DATABASE_URL, a fresh schema set,
 *             dropped afterwards); default URL postgres://postgres@127.0.0.1:5432/test
 *             or BENCH_DATABASE_URL
 * --profile   each service runs under `node --cpu-prof`; the profiles and a
 *             summary of where their CPU went land in bench/results/profile/
 * --e2e-only  only the end-to-end payments (with CPU per service): for
 *             measuring a change to the hot path before and after
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPlatform, type Platform } from '../scripts/platform.ts';
import { benchBaseline } from './baseline.ts';
import { benchBroker } from './broker.ts';
import { benchEndToEnd } from './e2e.ts';
import { benchGatewayRead } from './gateway.ts';
import { cpuSecondsOf, formatMs, formatRate } from './measure.ts';
import { databaseChoiceFromArgs, databaseEnv, dropDatabases, OPEN_RATE_LIMITS, platformPids, requirePostgres } from './platform-setup.ts';
import { monotonicMicros, summarizeProfiles } from './profile-summary.ts';
import { countSyscalls, perfAvailable, type SyscallCounter } from './syscalls.ts';
import { benchWalletGrpc } from './wallet.ts';

export interface BenchRow {
  name: string;
  value: string;
  note?: string;
}

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const profile = argv.includes('--profile');
const e2eOnly = argv.includes('--e2e-only');
const database = databaseChoiceFromArgs(argv, 'bench');
const databaseLabel = database.kind === 'postgres' ? `PostgreSQL (${database.url.replace(/\/\/[^@]*@/, '//')}, schema set ${database.schemaPrefix}_*)` : 'SQLite (WAL, synchronous=FULL), one file per service';
const settings = quick
  ? { users: 8, clients: 8, seconds: 6, warmUp: 1, readSeconds: 2, readConcurrency: 16 }
  : { users: 16, clients: 16, seconds: 30, warmUp: 3, readSeconds: 5, readConcurrency: 16 };
const resultsDir = path.join(import.meta.dirname, 'results');
const profileDir = path.join(resultsDir, 'profile');

await requirePostgres(database);
const rows: BenchRow[] = [];
const log = (message: string) => console.error(`[bench] ${message}`);

if (profile) {
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
}
log(`starting the platform on ${databaseLabel}${profile ? ' under --cpu-prof' : ''}`);
const platform = await startPlatform({
  env: {
    ...databaseEnv(database),
    ...OPEN_RATE_LIMITS,
    ...(profile ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`.trim() } : {}),
  },
});
let transfers = 0;
let completedPerSecond = 0;
const serviceByPid = new Map<number, string>();
const loadWindow = { from: 0, to: 0 };
try {
  const pids = platformPids(platform.dataDir);
  for (const [name, pid] of pids) serviceByPid.set(pid, name);
  let cpuBefore = new Map<string, number | undefined>();
  let syscalls: SyscallCounter | undefined;
  let brokerRequestsBefore: Promise<Map<string, number>> = Promise.resolve(new Map());
  const countingSyscalls = perfAvailable();
  log(`end-to-end payments: ${settings.clients} clients for ${settings.seconds} s`);
  const e2e = await benchEndToEnd(platform, { users: settings.users, clients: settings.clients, seconds: settings.seconds, warmUp: settings.warmUp, onMeasureStart: () => {
      cpuBefore = new Map([...pids].map(([name, pid]) => [name, cpuSecondsOf(pid)]));
      loadWindow.from = monotonicMicros();
      if (countingSyscalls) syscalls = countSyscalls(pids);
      brokerRequestsBefore = brokerRequests(platform);
    },
  });
  const brokerRequestsAfter = await brokerRequests(platform);
  const brokerBefore = await brokerRequestsBefore;
  loadWindow.to = monotonicMicros();
  const syscallCounts = await syscalls?.stop();
  const cpuPerPayment = [...pids]
    .map(([name, pid]) => {
      const before = cpuBefore.get(name);
      const after = cpuSecondsOf(pid);
      return { name, ms: before === undefined || after === undefined ? 0 : ((after - before) * 1000) / e2e.accepted };
    })
    .sort((a, b) => b.ms - a.ms);
  transfers = e2e.completed;
  completedPerSecond = e2e.completedPerSecond;
  const c = e2e.completionLatency;
  rows.push(
    {
      name: 'end-to-end payments accepted',
      value: formatRate(e2e.acceptedPerSecond, 'payments'),
      note: `POST /v1/payments → 202; ${e2e.accepted} payments from ${e2e.options.clients} concurrent clients (closed loop: one payment in flight each) between ${e2e.options.users} users; 202 latency p50 ${formatMs(e2e.acceptLatency.p50)}, p99 ${formatMs(e2e.acceptLatency.p99)}`,
    },
    {
      name: 'end-to-end payments completed',
      value: formatRate(e2e.completedPerSecond, 'payments'),
      note: `saga done (reserve, capture, events) and told to the sender; ${e2e.completed} completed, ${e2e.failed} failed, ${e2e.byPolling} learnt by polling instead of the WebSocket push`,
    },
    {
      name: 'end-to-end latency (request → completion seen by the client)',
      value: `p50 ${formatMs(c.p50)} · p95 ${formatMs(c.p95)} · p99 ${formatMs(c.p99)}`,
      note: `from sending the POST to the sender's WebSocket push of payment_sent; max ${formatMs(c.max)}`,
    },
    {
      name: 'CPU per payment, by service',
      value: `${cpuPerPayment.reduce((t, s) => t + s.ms, 0).toFixed(1)} ms`,
      note: cpuPerPayment.length > 0 ? cpuPerPayment.map((s) => `${s.name} ${s.ms.toFixed(1)}`).join(', ') : 'not measured (needs Linux /proc)',
    },
  );
  if (brokerRequestsAfter.size > 0) {
    const perAction = [...brokerRequestsAfter].map(([action, n]) => [action, (n - (brokerBefore.get(action) ?? 0)) / e2e.accepted] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    rows.push({
      name: 'broker requests per payment',
      value: perAction.reduce((t, [, n]) => t + n, 0).toFixed(1),
      note: `by action: ${perAction.map(([a, n]) => `${a} ${n.toFixed(1)}`).join(', ')}`,
    });
  }
  if (syscallCounts) {
    const per = (n: number) => (n / e2e.accepted).toFixed(1);
    const ranked = (key: 'flushes' | 'writes') => [...syscallCounts].sort((a, b) => b[1][key] - a[1][key]).filter(([, c]) => c[key] > 0);
    const total = (key: 'flushes' | 'writes') => [...syscallCounts.values()].reduce((t, c) => t + c[key], 0);
    rows.push(
      total('flushes') > 0 || database.kind === 'sqlite'
        ? { name: 'fsyncs per payment, by service', value: per(total('flushes')), note: `fsync + fdatasync (perf): ${ranked('flushes').map(([n, c]) => `${n} ${per(c.flushes)}`).join(', ')}` }
        : { name: 'fsyncs per payment, by service', value: '-', note: "PostgreSQL's own server processes flush its WAL; the services' processes are the ones counted" },
      { name: 'writes per payment, by service', value: per(total('writes')), note: `write + writev + pwrite64, files and sockets (perf): ${ranked('writes').map(([n, c]) => `${n} ${per(c.writes)}`).join(', ')}` },
    );
  }

  if (!e2eOnly) await benchReads(platform);
} finally {
  await stopPlatform(platform, profile);
  await dropDatabases(database);
}

async function benchReads(platform: Platform): Promise<void> {
  log(`wallet gRPC: ${settings.readConcurrency} calls in flight for ${settings.readSeconds} s each`);
  const grpc = await benchWalletGrpc(platform.url('wallet'), { seconds: settings.readSeconds, concurrency: settings.readConcurrency });
  rows.push(
    { name: 'wallet gRPC GetBalance', value: formatRate(grpc.getBalancePerSecond, 'calls'), note: `the platform's wallet process, ${grpc.concurrency} calls in flight on one channel` },
    { name: 'wallet gRPC TransferFunds', value: formatRate(grpc.transferPerSecond, 'transfers'), note: 'durable, an idempotency key each' },
  );

  log(`gateway reads: ${settings.readConcurrency} concurrent clients for ${settings.readSeconds} s each`);
  const reads = await benchGatewayRead(platform, { seconds: settings.readSeconds, concurrency: settings.readConcurrency });
  rows.push(
    {
      name: 'gateway GET /v1/wallets',
      value: formatRate(reads.gatewayPerSecond, 'requests'),
      note: `bearer token, rate limiter, gRPC ListWallets, response schema; ${reads.bodyBytes}-byte JSON; ${reads.concurrency} concurrent keep-alive clients`,
    },
    {
      name: 'bare Fastify, same JSON',
      value: formatRate(reads.bareFastifyPerSecond, 'requests'),
      note: `its own process, same client; gateway/bare ratio ${(reads.gatewayPerSecond / reads.bareFastifyPerSecond).toFixed(2)}`,
    },
  );
}

if (e2eOnly) {
  console.log(['| measure | value | note |', '|---|---|---|', ...rows.map((r) => `| ${r.name} | ${r.value} | ${r.note ?? ''} |`)].join('\n'));
  if (profile) writeFileSync(path.join(profileDir, 'summary.md'), summarizeProfiles(profileDir, serviceByPid, loadWindow));
  process.exit(0);
}

log(`baseline: ${transfers} bare ledger transfers on the same database kind`);
const baseline = await benchBaseline(database, Math.max(transfers, 100), settings.clients);
const e2eRate = completedPerSecond;
rows.splice(
  3,
  0,
  {
    name: 'baseline: bare ledger transfers',
    value: formatRate(baseline.perSecond, 'transfers'),
    note: `${baseline.transfers} WalletLedger.transfer calls in-process (one transaction each: lock both wallets, journal entry and lines, balances, idempotency key), ${settings.clients} concurrent callers, same database kind`,
  },
  {
    name: '**headline: end-to-end completed ÷ baseline**',
    value: `**${(e2eRate / baseline.perSecond).toFixed(3)}**`,
    note: `a completed payment through the whole flow costs ${(baseline.perSecond / e2eRate).toFixed(0)}× a bare ledger transfer`,
  },
);

log('broker vs BullMQ');
const queues = await benchBroker({ quick });
const bull = queues.bullmq;
rows.push(
  {
    name: 'broker durable messages (send+receive+delete)',
    value: formatRate(queues.broker.perSecond, 'msg'),
    note: `embedded broker over the AWS SDK (HTTP), SQLite WAL, every send fsynced before its ack; ${queues.setup}${
      queues.broker.serverCpuSeconds === undefined ? '' : `; broker CPU ${((queues.broker.serverCpuSeconds * 1e6) / queues.broker.messages).toFixed(0)} µs/message`
    }`,
  },
  typeof bull === 'string'
    ? { name: 'BullMQ on Redis (same work)', value: '-', note: bull }
    : {
        name: 'BullMQ on Redis (same work)',
        value: formatRate(bull.perSecond, 'msg'),
        note: `local Redis 127.0.0.1:6379 with ${bull.persistence}; broker/BullMQ ratio ${(queues.broker.perSecond / bull.perSecond).toFixed(2)}`,
      },
);

const header = [
  '# PayMesh benchmark',
  '',
  `${new Date().toISOString()} · ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}) · ${Math.round(os.totalmem() / 2 ** 30)} GiB · Node ${process.version} · database: ${databaseLabel} · ${quick ? 'quick' : 'full'} run · load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  '',
].join('\n');
const table = ['| measure | value | note |', '|---|---|---|', ...rows.map((r) => `| ${r.name} | ${r.value} | ${r.note ?? ''} |`)].join('\n');
let report = `${header}\n${table}\n`;
if (profile) {
  const summary = summarizeProfiles(profileDir, serviceByPid, loadWindow);
  writeFileSync(path.join(profileDir, 'summary.md'), summary);
  report += `\nCPU profiles of every service: bench/results/profile/ (summary.md)\n`;
}
console.log(report);
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'latest.md'), report);

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

/**
 * Stops every service at once. Under --profile they get SIGTERM and the time to
 * write their profiles; otherwise they are killed outright: their data is thrown away.
 */
async function stopPlatform(p: Platform, graceful: boolean): Promise<void> {
  const names = ['gateway', 'payment', 'payment-v2', 'transaction', 'notification', 'audit', 'user', 'wallet', 'schema-registry', 'broker'];
  await Promise.all(names.map((name) => p.kill(name, graceful ? 'SIGTERM' : 'SIGKILL').catch(() => {})));
  await p.stop();
}
