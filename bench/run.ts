/**
 * `npm run bench [-- --quick] [-- --postgres[=url]] [-- --profile]`: measures
 * PayMesh on this machine and writes the figures to bench/results/latest.md.
 * Figures live here, never in tests.
 *
 * --quick     shorter runs, done in about a minute
 * --postgres  every service on PostgreSQL (DATABASE_URL, a fresh schema set,
 *             dropped afterwards); default URL postgres://postgres@127.0.0.1:5432/test
 *             or BENCH_DATABASE_URL
 * --profile   each service runs under `node --cpu-prof`; the profiles and a
 *             summary of where their CPU went land in bench/results/profile/
 * --e2e-only  only the payments (the closed loop with CPU per service,
 *             the open loop at half its peak, payments one at a time): for
 *             measuring a change to the hot path before and after
 *
 * Every row's note ends with the load average its section ran under: on a
 * shared machine throughput and latency move with it.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPlatform, type Platform } from '../scripts/platform.ts';
import { benchBaseline } from './baseline.ts';
import { benchBrokerHop } from './broker-hop.ts';
import { benchBroker, type BullMqResult } from './broker.ts';
import { benchOpenLoop } from './e2e-open-loop.ts';
import { benchSequential } from './e2e-sequential.ts';
import { benchEndToEnd, openPayers, type EndToEndResult, type Payers } from './e2e.ts';
import { benchGatewayRead } from './gateway.ts';
import { formatMs, formatRate, sleep, underLoad, watchLoad, type BenchRow, type LatencySummary } from './measure.ts';
import { databaseChoiceFromArgs, databaseEnv, dropDatabases, OPEN_RATE_LIMITS, platformPids, requirePostgres } from './platform-setup.ts';
import { monotonicMicros, summarizeProfiles } from './profile-summary.ts';
import { perfAvailable } from './syscalls.ts';
import { benchWalletGrpc } from './wallet.ts';
import { openWindow, perPaymentRows } from './window.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const profile = argv.includes('--profile');
const e2eOnly = argv.includes('--e2e-only');
const database = databaseChoiceFromArgs(argv, 'bench');
const databaseLabel = database.kind === 'postgres' ? `PostgreSQL (${database.url.replace(/\/\/[^@]*@/, '//')}, schema set ${database.schemaPrefix}_*)` : 'SQLite (WAL, synchronous=FULL), one file per service';
const settings = quick
  ? { users: 8, clients: 8, seconds: 6, warmUp: 1, openLoopSeconds: 4, oneAtATime: 50, readSeconds: 2, readConcurrency: 16, hops: 100 }
  : { users: 16, clients: 16, seconds: 30, warmUp: 3, openLoopSeconds: 10, oneAtATime: 200, readSeconds: 5, readConcurrency: 16, hops: 500 };
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
const countingSyscalls = perfAvailable();
try {
  const pids = platformPids(platform.dataDir);
  for (const [name, pid] of pids) serviceByPid.set(pid, name);
  const payers = await openPayers(platform, settings.users);
  try {
    const e2e = await benchPeak(platform, payers, pids);
    transfers = e2e.completed;
    completedPerSecond = e2e.completedPerSecond;
    await benchHalfPeak(payers, e2e);
    await benchOneAtATime(platform, payers, pids);
  } finally {
    payers.close();
  }
  if (!e2eOnly) await benchReads(platform);
} finally {
  await stopPlatform(platform, profile);
  await dropDatabases(database);
}

/**
 * The platform's peak: every client with one payment in flight (a closed
 * loop), with what each service spent over the measured window.
 */
async function benchPeak(platform: Platform, payers: Payers, pids: Map<string, number>): Promise<EndToEndResult> {
  log(`end-to-end payments: ${settings.clients} clients for ${settings.seconds} s`);
  let window: ReturnType<typeof openWindow> | undefined;
  let load: ReturnType<typeof watchLoad> | undefined;
  const e2e = await benchEndToEnd(payers, {
    clients: settings.clients,
    seconds: settings.seconds,
    warmUp: settings.warmUp,
    onMeasureStart: () => {
      load = watchLoad();
      loadWindow.from = monotonicMicros();
      window = openWindow(platform, pids, { syscalls: countingSyscalls });
    },
  });
  loadWindow.to = monotonicMicros();
  const counts = await window!.close();
  const c = e2e.completionLatency;
  rows.push(
    ...underLoad(load!.stop(), [
      {
        name: 'end-to-end payments accepted',
        value: formatRate(e2e.acceptedPerSecond, 'payments'),
        note: `POST /v1/payments → 202; ${e2e.accepted} payments from ${e2e.options.clients} concurrent clients (closed loop: one payment in flight each) between ${e2e.users} users; 202 latency p50 ${formatMs(e2e.acceptLatency.p50)}, p99 ${formatMs(e2e.acceptLatency.p99)}`,
      },
      {
        name: 'end-to-end payments completed',
        value: formatRate(e2e.completedPerSecond, 'payments'),
        note: `saga done (reserve, capture, events) and told to the sender; ${e2e.completed} completed, ${e2e.failed} failed, ${e2e.byPolling} learnt by polling instead of the WebSocket push`,
      },
      {
        name: 'end-to-end latency (request → completion seen by the client)',
        value: percentiles(c),
        note: `from sending the POST to the sender's WebSocket push of payment_sent; max ${formatMs(c.max)}`,
      },
      ...perPaymentRows(counts, e2e.accepted, database),
    ]),
  );
  return e2e;
}

/**
 * Latency with headroom: an open loop at half the peak the closed loop
 * measured, where queueing should not dominate (the platform is busy half
 * the time), for the fixed time in settings.
 */
async function benchHalfPeak(payers: Payers, peak: EndToEndResult): Promise<void> {
  const rate = Math.max(1, peak.completedPerSecond / 2);
  log(`half the peak: payments started at ${rate.toFixed(1)}/s for ${settings.openLoopSeconds} s (open loop)`);
  // The closed loop's trailing events (receivers' notifications, audit, transaction records) finish first.
  await sleep(1000);
  const load = watchLoad();
  const open = await benchOpenLoop(payers, { rate, seconds: settings.openLoopSeconds });
  const c = open.completionLatency;
  rows.push(
    ...underLoad(load.stop(), [
      {
        name: 'latency at half the peak (open loop, request → completion seen by the client)',
        value: percentiles(c),
        note: `${open.started} payments started on a fixed schedule at ${rate.toFixed(1)}/s (half the closed loop's ${formatRate(peak.completedPerSecond, 'payments')}) for ${settings.openLoopSeconds} s by ${payers.count} users in turn, none waiting for another; each timed from when it was due to the sender's push of payment_sent; 202 latency p50 ${formatMs(open.acceptLatency.p50)}, p99 ${formatMs(open.acceptLatency.p99)}; max ${formatMs(c.max)}; ${open.failed} failed, ${open.byPolling} learnt by polling; latest start ${formatMs(open.maxStartLagMs)} behind schedule`,
      },
      {
        name: 'payments at half the peak (open loop), achieved',
        value: formatRate(open.completedPerSecond, 'payments'),
        note: `completed, from the first start to the last completion; started ${formatRate(open.startedPerSecond, 'payments')} against ${rate.toFixed(1)}/s scheduled`,
      },
    ]),
  );
}

/**
 * Payments one at a time on the otherwise idle platform: the flow's own
 * latency, and what one payment costs when it shares nothing with others.
 */
async function benchOneAtATime(platform: Platform, payers: Payers, pids: Map<string, number>): Promise<void> {
  log(`payments one at a time: ${settings.oneAtATime}`);
  await sleep(1000);
  let window: ReturnType<typeof openWindow> | undefined;
  let load: ReturnType<typeof watchLoad> | undefined;
  const one = await benchSequential(payers, {
    payments: settings.oneAtATime,
    warmUp: 3,
    onMeasureStart: () => {
      load = watchLoad();
      window = openWindow(platform, pids, { syscalls: countingSyscalls });
    },
  });
  const counts = await window!.close();
  const c = one.completionLatency;
  rows.push(
    ...underLoad(load!.stop(), [
      {
        name: 'payments one at a time (request → completion seen by the client)',
        value: percentiles(c),
        note: `${one.payments} payments sent one after another by one client, the next POST once the previous payment's payment_sent push arrived, on the otherwise idle platform; 202 latency p50 ${formatMs(one.acceptLatency.p50)}, p99 ${formatMs(one.acceptLatency.p99)}; max ${formatMs(c.max)}; ${one.failed} failed, ${one.byPolling} learnt by polling; ${one.seconds.toFixed(1)} s in all`,
      },
      ...perPaymentRows(counts, one.payments, database, 'one at a time: '),
    ]),
  );
}

function percentiles(s: LatencySummary): string {
  return `p50 ${formatMs(s.p50)} · p95 ${formatMs(s.p95)} · p99 ${formatMs(s.p99)}`;
}

async function benchReads(platform: Platform): Promise<void> {
  log(`wallet gRPC: ${settings.readConcurrency} calls in flight for ${settings.readSeconds} s each`);
  const grpcLoad = watchLoad();
  const grpc = await benchWalletGrpc(platform.url('wallet'), { seconds: settings.readSeconds, concurrency: settings.readConcurrency });
  rows.push(
    ...underLoad(grpcLoad.stop(), [
      { name: 'wallet gRPC GetBalance', value: formatRate(grpc.getBalancePerSecond, 'calls'), note: `the platform's wallet process, ${grpc.concurrency} calls in flight on one channel` },
      {
        name: 'bare grpc-js GetBalance, same response',
        value: formatRate(grpc.bareGetBalancePerSecond, 'calls'),
        note: `a bare @grpc/grpc-js server in its own process answering the wallet's BalanceResponse (wallet.proto), same client and concurrency; wallet/bare ratio ${(grpc.getBalancePerSecond / grpc.bareGetBalancePerSecond).toFixed(2)}`,
      },
      { name: 'wallet gRPC TransferFunds', value: formatRate(grpc.transferPerSecond, 'transfers'), note: 'durable, an idempotency key each' },
    ]),
  );

  log(`gateway reads: ${settings.readConcurrency} concurrent clients for ${settings.readSeconds} s each`);
  const readsLoad = watchLoad();
  const reads = await benchGatewayRead(platform, { seconds: settings.readSeconds, concurrency: settings.readConcurrency });
  rows.push(
    ...underLoad(readsLoad.stop(), [
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
    ]),
  );
}

if (e2eOnly) {
  console.log(['| measure | value | note |', '|---|---|---|', ...rows.map((r) => `| ${r.name} | ${r.value} | ${r.note ?? ''} |`)].join('\n'));
  if (profile) writeFileSync(path.join(profileDir, 'summary.md'), summarizeProfiles(profileDir, serviceByPid, loadWindow));
  process.exit(0);
}

log(`baseline: ${transfers} bare ledger transfers on the same database kind`);
const baselineLoad = watchLoad();
const baseline = await benchBaseline(database, Math.max(transfers, 100), settings.clients);
const e2eRate = completedPerSecond;
rows.splice(
  3,
  0,
  ...underLoad(baselineLoad.stop(), [
    {
      name: 'baseline: bare ledger transfers',
      value: formatRate(baseline.perSecond, 'transfers'),
      note: `${baseline.transfers} WalletLedger.transfer calls in-process (one transaction each: lock both wallets, journal entry and lines, balances, idempotency key), ${settings.clients} concurrent callers, same database kind`,
    },
  ]),
  {
    name: '**headline: end-to-end completed ÷ baseline**',
    value: `**${(e2eRate / baseline.perSecond).toFixed(3)}**`,
    note: `a completed payment through the whole flow costs ${(baseline.perSecond / e2eRate).toFixed(0)}× a bare ledger transfer`,
  },
);

log('broker vs BullMQ (the local Redis, then a Redis with appendfsync always)');
const queuesLoad = watchLoad();
const queues = await benchBroker({ quick });
rows.push(
  ...underLoad(queuesLoad.stop(), [
    {
      name: 'broker durable messages (send+receive+delete)',
      value: formatRate(queues.broker.perSecond, 'msg'),
      note: `embedded broker over the AWS SDK (HTTP), SQLite WAL, every send fsynced before its ack; ${queues.setup}${
        queues.broker.serverCpuSeconds === undefined ? '' : `; broker CPU ${((queues.broker.serverCpuSeconds * 1e6) / queues.broker.messages).toFixed(0)} µs/message`
      }`,
    },
    bullMqRow('BullMQ on Redis (same work)', queues.bullmq, 'local Redis 127.0.0.1:6379', queues.broker.perSecond),
    bullMqRow(
      'BullMQ on Redis with appendfsync always (same work)',
      queues.bullmqDurable,
      'a redis-server of its own (free loopback port, temporary --dir, no RDB; every write fsynced before Redis replies, as the broker fsyncs a send before acknowledging it)',
      queues.broker.perSecond,
    ),
  ]),
);

log(`broker hop latency: ${settings.hops} messages one at a time, then as many bare SQLite commits`);
const hopLoad = watchLoad();
const hop = await benchBrokerHop({ hops: settings.hops });
rows.push(
  ...underLoad(hopLoad.stop(), [
    {
      name: 'broker hop latency (SendMessage → a waiting receiver has it)',
      value: `p50 ${formatMs(hop.hop.p50)} · p99 ${formatMs(hop.hop.p99)}`,
      note: `embedded broker in its own process over the AWS SDK; one consumer long-polling (ReceiveMessage, WaitTimeSeconds 20, up to 10 messages, then DeleteMessageBatch), one producer sending one ${hop.bodyBytes}-byte message at a time (SendMessage) ${hop.pauseMs} ms after the consumer polls again; ${hop.hops} hops; max ${formatMs(hop.hop.max)}`,
    },
    {
      name: 'bare SQLite commit, same body and disk',
      value: `p50 ${formatMs(hop.sqliteCommit.p50)} · p99 ${formatMs(hop.sqliteCommit.p99)}`,
      note: `node:sqlite, WAL, synchronous=FULL, one INSERT of the same body per transaction, a file in the broker's temporary directory; ${hop.hops} commits; max ${formatMs(hop.sqliteCommit.max)}`,
    },
  ]),
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

/** A BullMQ row: its rate, where its Redis ran and how durably, and the broker/BullMQ ratio named by that durability. */
function bullMqRow(name: string, bull: BullMqResult | string, where: string, brokerPerSecond: number): BenchRow {
  if (typeof bull === 'string') return { name, value: '-', note: bull };
  const ratio = (brokerPerSecond / bull.perSecond).toFixed(2);
  return { name, value: formatRate(bull.perSecond, 'msg'), note: `${where} with ${bull.persistence}; broker/BullMQ-${bull.durable ? 'durable' : 'volatile'} ratio ${ratio}` };
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
