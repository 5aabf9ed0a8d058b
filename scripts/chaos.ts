/**
 * `npm run chaos [-- --duration 60] [-- --seed 1234] [-- --postgres[=url]]`
 *
 * Runs the platform as separate processes under a steady stream of payments
 * between a few users, SIGKILLs random services at random moments (the
 * broker and the wallet among them) and restarts them, for a bounded time.
 * Some faults are not kills: a service hangs (SIGSTOP, SIGCONT a few seconds
 * later), so timeouts, breakers and leases are exercised; the broker is killed
 * while sends are in flight, which are then checked (every send it acknowledged
 * must be on the queue after its restart); on PostgreSQL, the server cuts the
 * services' connections (pg_terminate_backend).
 * Then it lets the flow drain (bounded) and checks what must hold whatever
 * crashed: money per currency unchanged, every accepted payment ended, no
 * hold left frozen, no ledger entry or capture duplicated, every message
 * processed or sitting in a dead-letter queue. It prints a timeline of what it
 * did and the verdict, and exits non-zero on any violation.
 *
 * The seed fixes the schedule (which service dies, after which pause, for how
 * long) and each client's payments (who pays whom, how much); how these
 * interleave with the services' own timing (restarts take as long as they
 * take) is not reproducible, so a failing seed is a strong hint rather than
 * a guaranteed replay. Options:
 *   --duration <s>        chaos time (default 60)
 *   --seed <n>            default: random, printed
 *   --drain-timeout <s>   how long the flow may take to settle afterwards (default 240)
 *   --users <n>           default 6
 *   --hold-ttl <s>        how long a reservation holds funds (default the platform's 900; 10 makes holds expire under stalled sagas)
 *   --clients <n>         concurrent payment senders (default 6)
 *   --postgres[=url]      run every service on PostgreSQL (a fresh schema set)
 *   --keep-data           keep the platform's data directory for inspection
 */
import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { sql } from 'kysely';
import pg from 'pg';
import { databaseChoiceFromArgs, databaseEnv, dropDatabases, OPEN_RATE_LIMITS, requirePostgres, type DatabaseChoice } from '../bench/platform-setup.ts';
import { createSqsClient } from '../messaging/aws.ts';
import type { PaymentSchema } from '../services/payment/schema.ts';
import { auditLedger } from '../services/wallet/ledger-audit.ts';
import type { WalletSchema } from '../services/wallet/schema.ts';
import { databaseConfigFromEnv, openDatabase, type Database } from '../storage/database.ts';
import { ApiClient } from '../test/support/api.ts';
import { startPlatform, type Platform } from './platform.ts';

export interface ChaosOptions {
  seed: number;
  durationSeconds: number;
  drainTimeoutSeconds: number;
  users: number;
  clients: number;
  database: DatabaseChoice;
  /** Seconds a reservation holds funds (PAYMENT_HOLD_TTL_SECONDS, at least 10): short, and holds expire under sagas stalled by an outage. */
  holdTtlSeconds?: number;
  /**
   * Services hit first, in this order (e.g. the broker and the wallet, so a short run surely hits them); the rest at
   * random. `name` is killed; `name:hang` hangs; `broker:mid-commit` is the broker killed with sends in flight.
   */
  firstVictims?: string[];
  keepData?: boolean;
  /** Progress lines (the timeline is also in the report). */
  log?: (line: string) => void;
}

export interface TimelineEntry {
  /** Seconds since the chaos started. */
  at: number;
  what: string;
}

export interface ChaosReport {
  seed: number;
  timeline: TimelineEntry[];
  kills: Record<string, number>;
  /** The faults other than plain kills. */
  faults: {
    /** Services stopped (SIGSTOP) for a few seconds, then continued, by service. */
    hangs: Record<string, number>;
    /** Broker kills while sends are in flight (counted in `kills` too), and how many of those sends it acknowledged. */
    brokerKillsMidCommit: number;
    acknowledgedSends: number;
    /** Times the PostgreSQL server cut the services' connections, and how many it cut. */
    connectionCuts: number;
    connectionsCut: number;
  };
  payments: {
    attempted: number;
    accepted: number;
    refused: number;
    abandoned: number;
    completed: number;
    failed: number;
    clientRetries: number;
    /** 409s: a retry found the Idempotency-Key still held by an earlier attempt (perhaps one a crash cut short). */
    inProgressAnswers: number;
    /** The longest a client retried before its 202. */
    longestAcceptMs: number;
  };
  /** What sits in dead-letter queues after the drain: accounted for, listed, not a violation by itself. */
  deadLetters: Array<{ queue: string; count: number; samples: string[] }>;
  drainSeconds: number;
  violations: string[];
  passed: boolean;
}

/** Every service the harness may kill: the broker and the wallet among them. */
export const VICTIMS = ['broker', 'wallet', 'payment', 'payment-v2', 'transaction', 'notification', 'user', 'gateway', 'audit', 'schema-registry'] as const;

/**
 * A small seeded PRNG (mulberry32): reproducible schedules need a seed, and
 * Math.random takes none. No declared dependency offers one.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many services may be down (or hung) at the same time. */
const MAX_DOWN = 2;

/** Of the faults that hit a service, the share that hang it instead of killing it. */
const HANG_SHARE = 0.25;
/** Of the broker's kills, the share made while sends are in flight. */
const MID_COMMIT_SHARE = 0.5;
/** On PostgreSQL, the share of fault slots that cut the services' database connections instead. */
const CONNECTION_CUT_SHARE = 0.15;
/** The queue the broker's mid-commit kills send to (not one of the platform's: the drain and the checks leave it out). */
const PROBE_QUEUE = 'chaos-probe';
/** Clients sending when the broker is killed, and how many of their sends it has acknowledged by then. */
const PROBE_SENDERS = 16;
const PROBE_KILL_AFTER = 20;

type FaultKind = 'kill' | 'hang' | 'mid-commit';

/** `name` or `name:kind` (firstVictims). */
function parseFault(entry: string): { victim: string; kind: FaultKind } {
  const [victim, kind = 'kill'] = entry.split(':') as [string, string?];
  if (!(VICTIMS as readonly string[]).includes(victim)) throw new Error(`unknown service '${victim}' in firstVictims`);
  if (kind !== 'kill' && kind !== 'hang' && kind !== 'mid-commit') throw new Error(`unknown fault '${kind}' for ${victim}`);
  if (kind === 'mid-commit' && victim !== 'broker') throw new Error('only the broker has a mid-commit fault');
  return { victim, kind };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface ChaosUser {
  client: ApiClient;
  id: string;
  currencies: string[];
}

interface AcceptedPayment {
  id: string;
  sender: ChaosUser;
  amountMinor: bigint;
  currency: string;
}

/** Top-ups the harness made, per currency: the money that must still be there at the end. */
type MoneyIn = Map<string, bigint>;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  // Separate streams, so the kill schedule and each client's payments do not depend on how the others interleave.
  const schedule = seededRandom(options.seed);
  const between = (min: number, max: number) => min + schedule() * (max - min);
  const timeline: TimelineEntry[] = [];
  const violations: string[] = [];
  let chaosStart = performance.now();
  const note = (what: string) => {
    const entry = { at: (performance.now() - chaosStart) / 1000, what };
    timeline.push(entry);
    log(`${entry.at.toFixed(1).padStart(6)} s  ${what}`);
  };

  await requirePostgres(options.database);
  const sagaSettings = {
    // Stalled sagas (their wallet call lost in a crash) are driven to an end well within the drain time.
    PAYMENT_SAGA_STEP_TIMEOUT_SECONDS: '20',
    PAYMENT_SAGA_SWEEP_INTERVAL_MS: '1000',
    PAYMENT_DLQ_SWEEP_INTERVAL_MS: '2000',
    ...(options.holdTtlSeconds ? { PAYMENT_HOLD_TTL_SECONDS: String(options.holdTtlSeconds) } : {}),
  };
  // The gateway's breakers try a dead dependency again after 2 s rather than the seed's 30 s: a restarted
  // service is back in seconds here, and the clients' retries should find it rather than an open breaker.
  const breakers = Object.fromEntries(
    ['USER_SERVICE', 'WALLET_SERVICE', 'TRANSACTION_SERVICE', 'NOTIFICATION_SERVICE', 'PAYMENT_SERVICE_V1', 'PAYMENT_SERVICE_V2'].map((p) => [`${p}_BREAKER_HALF_OPEN_MS`, '2000']),
  );
  const platform = await startPlatform({
    env: { ...databaseEnv(options.database), ...OPEN_RATE_LIMITS, GATEWAY_ACCESS_TOKEN_TTL_SECONDS: '86400', ...sagaSettings, ...breakers },
    keepData: options.keepData,
  });
  log(`platform up (data in ${platform.dataDir})`);
  const sqs = createSqsClient({ region: 'us-east-1', endpoint: platform.env.PAYMESH_BROKER_URL!, embedded: true });
  const kills: Record<string, number> = {};
  const faults: ChaosReport['faults'] = { hangs: {}, brokerKillsMidCommit: 0, acknowledgedSends: 0, connectionCuts: 0, connectionsCut: 0 };
  const acknowledgedProbes = new Set<string>();
  const payments = { attempted: 0, accepted: 0, refused: 0, abandoned: 0, completed: 0, failed: 0, clientRetries: 0, inProgressAnswers: 0, longestAcceptMs: 0 };
  const accepted: AcceptedPayment[] = [];
  let deadLetters: ChaosReport['deadLetters'] = [];
  let drainSeconds = 0;
  try {
    const { users, moneyIn } = await setUpUsers(platform, options.users, seededRandom(options.seed + 1));
    const probeUrl = (await sqs.send(new CreateQueueCommand({ QueueName: PROBE_QUEUE }))).QueueUrl!;
    log(`${users.length} users funded: ${[...moneyIn].map(([c, m]) => `${formatMinor(m)} ${c}`).join(', ')}`);

    chaosStart = performance.now();
    const chaosEnd = chaosStart + options.durationSeconds * 1000;
    note(`chaos starts: seed ${options.seed}, ${options.durationSeconds} s, ${options.clients} clients`);

    // The load: each client sends a payment, then another after a short pause, never waiting for the saga.
    let sending = true;
    const clients = Array.from({ length: options.clients }, async (_, index) => {
      const random = seededRandom(options.seed * 31 + 1000 + index);
      while (sending) {
        const sender = users[Math.floor(random() * users.length)]!;
        const others = users.filter((u) => u !== sender);
        const receiver = others[Math.floor(random() * others.length)]!;
        const currency = sender.currencies[Math.floor(random() * sender.currencies.length)]!;
        // Mostly small amounts; now and then more than the sender has, so some sagas fail and compensate.
        const amountMinor = BigInt(random() < 0.1 ? 200_000 + Math.floor(random() * 200_000) : 1 + Math.floor(random() * 2_000));
        const pause = 20 + random() * 230;
        payments.attempted++;
        const outcome = await sendPayment(platform.url('gateway'), sender, receiver, amountMinor, currency, () => payments.clientRetries++, () => payments.inProgressAnswers++);
        if (outcome.kind === 'accepted') {
          payments.accepted++;
          payments.longestAcceptMs = Math.max(payments.longestAcceptMs, outcome.waitedMs);
          accepted.push({ id: outcome.id, sender, amountMinor, currency });
        } else if (outcome.kind === 'refused') payments.refused++;
        else {
          payments.abandoned++;
          note(`a client gave up on a payment after retrying for ${CLIENT_PATIENCE_MS / 1000} s (${outcome.reason}); it is not counted as accepted`);
        }
        await sleep(pause);
      }
    });

    // The chaos: kill a service, leave it down a while, restart it (or hang it a while); every victim in turn before
    // any repeats. Restarts run in the background, so outages overlap (at most MAX_DOWN services down at once).
    // The deck is drawn from its end: the first victims go last in.
    const firstFaults = (options.firstVictims ?? []).map(parseFault);
    const planned = new Map(firstFaults.map((f) => [f.victim, f.kind]));
    let deck: string[] = [...VICTIMS.filter((v) => !planned.has(v))];
    deck = [...shuffle(deck, schedule), ...firstFaults.map((f) => f.victim).reverse()];
    const down = new Set<string>();
    const restarts: Array<Promise<void>> = [];
    while (performance.now() < chaosEnd) {
      await sleep(between(500, 3000));
      if (performance.now() >= chaosEnd) break;
      if (options.database.kind === 'postgres' && planned.size === 0 && schedule() < CONNECTION_CUT_SHARE) {
        const cut = await cutDatabaseConnections(options.database);
        faults.connectionCuts++;
        faults.connectionsCut += cut;
        note(`PostgreSQL cut ${cut} of the services' connections (pg_terminate_backend)`);
        continue;
      }
      if (down.size >= MAX_DOWN) continue;
      if (deck.length === 0) deck = shuffle([...VICTIMS], schedule);
      const index = deck.findLastIndex((name) => !down.has(name));
      if (index < 0) continue;
      const [victim] = deck.splice(index, 1) as [string];
      const kind = planned.get(victim) ?? chooseFault(victim, schedule);
      planned.delete(victim);
      down.add(victim);
      if (kind === 'hang') {
        const hangMs = between(1000, 5000);
        platform.signal(victim, 'SIGSTOP');
        faults.hangs[victim] = (faults.hangs[victim] ?? 0) + 1;
        note(`SIGSTOP ${victim} (hangs for ${(hangMs / 1000).toFixed(1)} s)${down.size > 1 ? `; down now: ${[...down].join(', ')}` : ''}`);
        restarts.push(
          (async () => {
            await sleep(hangMs);
            platform.signal(victim, 'SIGCONT');
            note(`SIGCONT ${victim}`);
            down.delete(victim);
          })(),
        );
        continue;
      }
      const downMs = between(200, 3000);
      if (kind === 'mid-commit') {
        await killBrokerDuringSends(platform, sqs, probeUrl, acknowledgedProbes);
        faults.brokerKillsMidCommit++;
        note(`SIGKILL broker with ${PROBE_SENDERS} sends in flight (restart in ${(downMs / 1000).toFixed(1)} s)`);
      } else {
        await platform.kill(victim, 'SIGKILL');
        note(`SIGKILL ${victim} (restart in ${(downMs / 1000).toFixed(1)} s)${down.size > 1 ? `; down now: ${[...down].join(', ')}` : ''}`);
      }
      kills[victim] = (kills[victim] ?? 0) + 1;
      restarts.push(
        (async () => {
          await sleep(downMs);
          await restart(platform, victim, note, violations);
          down.delete(victim);
        })(),
      );
    }
    await Promise.all(restarts);
    note('chaos over: no more kills; clients stop starting payments');
    sending = false;
    await Promise.all(clients);
    note(`clients done: ${payments.accepted} accepted, ${payments.refused} refused, ${payments.abandoned} abandoned`);

    const drained = await drain(platform, sqs, options.drainTimeoutSeconds * 1000, log);
    drainSeconds = drained.seconds;
    note(drained.settled ? `flow drained in ${drained.seconds.toFixed(1)} s` : `flow did NOT drain within ${options.drainTimeoutSeconds} s: ${drained.waitingFor}`);
    if (!drained.settled) violations.push(`the flow did not drain within ${options.drainTimeoutSeconds} s: ${drained.waitingFor}`);

    const checked = await check(platform, sqs, accepted, moneyIn);
    violations.push(...checked.violations);
    // What the broker acknowledged before it was killed mid-commit was durable: it is all on the queue.
    faults.acknowledgedSends = acknowledgedProbes.size;
    const kept = await takeAll(sqs, probeUrl);
    const lost = [...acknowledgedProbes].filter((id) => !kept.has(id));
    if (lost.length > 0) violations.push(`${lost.length} of ${acknowledgedProbes.size} sends the broker acknowledged before a kill were lost (e.g. ${lost[0]})`);
    deadLetters = checked.deadLetters;
    payments.completed = checked.completed;
    payments.failed = checked.failed;
  } finally {
    sqs.destroy();
    await platform.stop();
    if (!options.keepData) await dropDatabases(options.database);
  }
  return { seed: options.seed, timeline, kills, faults, payments, deadLetters, drainSeconds, violations, passed: violations.length === 0 };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A fault for a victim drawn from the deck: mostly a kill, sometimes a hang, for the broker sometimes a kill during sends. */
function chooseFault(victim: string, schedule: () => number): FaultKind {
  if (schedule() < HANG_SHARE) return 'hang';
  if (victim === 'broker' && schedule() < MID_COMMIT_SHARE) return 'mid-commit';
  return 'kill';
}

/**
 * Kills the broker while sends to the probe queue are in flight: PROBE_SENDERS clients send one after another,
 * and once a few sends are acknowledged (or after half a second) the broker dies, with every sender's latest send
 * being received, written or group-committed. Every acknowledged id goes into `acknowledged`; those it never
 * answered may or may not have been kept.
 */
async function killBrokerDuringSends(platform: Platform, sqs: SQSClient, queueUrl: string, acknowledged: Set<string>): Promise<void> {
  let answered = 0;
  let killed = false;
  let enough!: () => void;
  const enoughAnswered = new Promise<void>((resolve) => (enough = resolve));
  const senders = Array.from({ length: PROBE_SENDERS }, async () => {
    while (!killed) {
      const id = randomUUID();
      try {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: id }), { abortSignal: AbortSignal.timeout(10_000) });
        acknowledged.add(id);
        if (++answered >= PROBE_KILL_AFTER) enough();
      } catch {
        // cut off by the kill: not acknowledged, so not promised
        return;
      }
    }
  });
  await Promise.race([enoughAnswered, sleep(500)]);
  killed = true;
  await platform.kill('broker', 'SIGKILL');
  await Promise.all(senders);
}

/** Receives and deletes everything on a queue; returns the bodies. */
async function takeAll(sqs: SQSClient, queueUrl: string): Promise<Set<string>> {
  const bodies = new Set<string>();
  for (let empty = 0; empty < 2; ) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 600 }));
    if (Messages.length === 0) {
      empty++;
      continue;
    }
    empty = 0;
    for (const m of Messages) bodies.add(m.Body ?? '');
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle! })) }));
  }
  return bodies;
}

/** Has the PostgreSQL server end every connection of this run's services (named paymesh:<schema>, storage/database.ts). */
async function cutDatabaseConnections(choice: Extract<DatabaseChoice, { kind: 'postgres' }>): Promise<number> {
  const admin = new pg.Client({ connectionString: choice.url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ cut: boolean }>(
      'select pg_terminate_backend(pid) as cut from pg_stat_activity where starts_with(application_name, $1) and pid <> pg_backend_pid()',
      [`paymesh:${choice.schemaPrefix}_`],
    );
    return rows.filter((r) => r.cut).length;
  } finally {
    await admin.end();
  }
}

/** Restarts a killed service; a service that cannot come back is itself a finding, and it is tried again. */
async function restart(platform: Platform, victim: string, note: (what: string) => void, violations: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    try {
      await platform.restart(victim);
      note(`restarted ${victim} (ready in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
      return;
    } catch (err) {
      const message = (err as Error).message.split('\n').slice(0, 6).join(' ');
      note(`${victim} failed to restart (attempt ${attempt}): ${message}`);
      if (attempt >= 3) {
        violations.push(`${victim} could not be restarted after a SIGKILL: ${message}`);
        return;
      }
      await sleep(1000);
    }
  }
}

async function setUpUsers(platform: Platform, count: number, random: () => number): Promise<{ users: ChaosUser[]; moneyIn: MoneyIn }> {
  const gateway = platform.url('gateway');
  const users: ChaosUser[] = [];
  const moneyIn: MoneyIn = new Map();
  const add = (currency: string, minor: bigint) => moneyIn.set(currency, (moneyIn.get(currency) ?? 0n) + minor);
  for (let i = 0; i < count; i++) {
    const { client, user } = await ApiClient.signUp(gateway);
    // Amounts vary by user, so balances differ and some payments run out of funds.
    const usd = 1000 + Math.floor(random() * 4000);
    const { methodId } = await client.fund(`${usd}.00`, 'USD');
    add('USD', BigInt(usd) * 100n);
    const currencies = ['USD'];
    if (i % 2 === 0) {
      const opened = await client.post('/v1/wallets', { currency: 'EUR' });
      if (opened.status !== 201) throw new Error(`opening a EUR wallet failed: ${opened.status} ${JSON.stringify(opened.body)}`);
      const eur = 500 + Math.floor(random() * 2000);
      const topUp = await client.post(`/v1/wallets/${opened.body.id}/top-ups`, { amount: `${eur}.00`, currency: 'EUR', payment_method_id: methodId });
      if (topUp.status !== 201) throw new Error(`EUR top-up failed: ${topUp.status} ${JSON.stringify(topUp.body)}`);
      add('EUR', BigInt(eur) * 100n);
      currencies.push('EUR');
    }
    users.push({ client, id: user.id, currencies });
  }
  return { users, moneyIn };
}

/**
 * How long a client keeps retrying one payment (same Idempotency-Key) before
 * it gives up: longer than the gateway takes to consider a key abandoned by a
 * crashed request (it answers 409 until then), so a patient client always
 * learns what became of its payment.
 */
const CLIENT_PATIENCE_MS = 90_000;

type SendOutcome = { kind: 'accepted'; id: string; waitedMs: number } | { kind: 'refused'; status: number } | { kind: 'abandoned'; reason: string };

/**
 * POST /v1/payments as a careful client: one Idempotency-Key per payment,
 * retried with backoff on anything that is not an answer about the payment
 * itself (the connection refused or cut, a timeout, 5xx, 409 while an earlier
 * attempt with the key is still in flight, 429). Only a 202 means accepted.
 */
async function sendPayment(
  gateway: string,
  sender: ChaosUser,
  receiver: ChaosUser,
  amountMinor: bigint,
  currency: string,
  onRetry: () => void,
  onInProgress: () => void,
): Promise<SendOutcome> {
  const key = randomUUID();
  const body = JSON.stringify({ receiver_id: receiver.id, amount: formatMinor(amountMinor), currency });
  const deadline = Date.now() + CLIENT_PATIENCE_MS;
  let delay = 200;
  let last = '';
  for (;;) {
    try {
      const response = await fetch(`${gateway}/v1/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${sender.client.token}`, 'idempotency-key': key },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      if (response.status === 202) return { kind: 'accepted', id: (JSON.parse(text) as { id: string }).id, waitedMs: CLIENT_PATIENCE_MS - (deadline - Date.now()) };
      if (response.status === 409) onInProgress();
      last = `${response.status} ${text.slice(0, 200)}`;
      if (response.status < 500 && response.status !== 409 && response.status !== 429) return { kind: 'refused', status: response.status };
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() + delay > deadline) return { kind: 'abandoned', reason: last };
    onRetry();
    await sleep(delay);
    delay = Math.min(delay * 2, 2000);
  }
}

function formatMinor(minor: bigint): string {
  return `${minor / 100n}.${String(minor % 100n).padStart(2, '0')}`;
}

/** Main queues (not dead-letter queues), by name and URL. */
async function queues(sqs: SQSClient): Promise<Array<{ name: string; url: string; deadLetter: boolean }>> {
  const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({}));
  return QueueUrls.map((url) => {
    const name = url.slice(url.lastIndexOf('/') + 1);
    return { name, url, deadLetter: name.endsWith('-dlq') };
  }).filter((q) => q.name !== PROBE_QUEUE);
}

async function depth(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
}

/** The services whose databases hold an outbox. */
const OUTBOX_SERVICES = ['payment', 'user', 'wallet', 'transaction', 'notification', 'audit', 'gateway'];

async function withDatabase<S, T>(platform: Platform, service: string, use: (database: Database<S>) => Promise<T>): Promise<T> {
  const database = await openDatabase<S>(databaseConfigFromEnv(service, platform.env));
  try {
    return await use(database);
  } finally {
    await database.close();
  }
}

async function unsentOutbox(platform: Platform): Promise<Record<string, number>> {
  const unsent: Record<string, number> = {};
  for (const service of OUTBOX_SERVICES) {
    await withDatabase<any, void>(platform, service, async ({ db }) => {
      try {
        const row = await sql<{ n: number | bigint }>`select count(*) as n from outbox where sent_at is null`.execute(db);
        const n = Number(row.rows[0]?.n ?? 0);
        if (n > 0) unsent[service] = n;
      } catch {
        // this service keeps no outbox
      }
    });
  }
  return unsent;
}

/**
 * Waits until nothing is moving: every payment the payment service knows is
 * terminal, every outbox is sent, the broker has no event deliveries pending
 * and every main queue is empty (in flight and delayed included).
 */
async function drain(platform: Platform, sqs: SQSClient, timeoutMs: number, log: (line: string) => void) {
  const started = performance.now();
  let waitingFor = '';
  let lastReport = 0;
  for (;;) {
    const reasons: string[] = [];
    try {
      const open = await withDatabase<PaymentSchema, Array<{ status: string; n: number | bigint }>>(platform, 'payment', ({ db }) =>
        db.selectFrom('payments').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('status', 'not in', ['completed', 'failed']).groupBy('status').execute(),
      );
      if (open.length > 0) reasons.push(`payments not ended: ${open.map((o) => `${o.n} ${o.status}`).join(', ')}`);
      const unsent = await unsentOutbox(platform);
      if (Object.keys(unsent).length > 0) reasons.push(`unsent outbox rows: ${JSON.stringify(unsent)}`);
      const deliveries = await withDatabase<any, number>(platform, 'broker', async ({ db }) =>
        Number((await sql<{ n: number }>`select count(*) as n from eb_deliveries`.execute(db)).rows[0]?.n ?? 0),
      );
      if (deliveries > 0) reasons.push(`${deliveries} EventBridge deliveries pending in the broker`);
      for (const queue of await queues(sqs)) {
        if (queue.deadLetter) continue;
        const n = await depth(sqs, queue.url);
        if (n > 0) reasons.push(`${n} messages on ${queue.name}`);
      }
    } catch (err) {
      reasons.push(`could not look: ${(err as Error).message}`);
    }
    const seconds = (performance.now() - started) / 1000;
    if (reasons.length === 0) return { settled: true, seconds, waitingFor: '' };
    waitingFor = reasons.join('; ');
    if (seconds * 1000 > timeoutMs) return { settled: false, seconds, waitingFor };
    if (seconds - lastReport >= 10) {
      lastReport = seconds;
      log(`  draining (${seconds.toFixed(0)} s): ${waitingFor}`);
    }
    await sleep(500);
  }
}

/** What a dead-letter queue holds, without taking it away from the DLQ handlers: receive with visibility 0, a few rounds. */
async function listDeadLetters(sqs: SQSClient): Promise<ChaosReport['deadLetters']> {
  const listed: ChaosReport['deadLetters'] = [];
  for (const queue of await queues(sqs)) {
    if (!queue.deadLetter) continue;
    const count = await depth(sqs, queue.url);
    if (count === 0) continue;
    const samples = new Map<string, string>();
    for (let round = 0; round < 3 && samples.size < Math.min(count, 10); round++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }),
      );
      for (const m of Messages) samples.set(m.MessageId!, describeMessage(m.Body ?? '', m.MessageAttributes?.event_type?.StringValue));
    }
    listed.push({ queue: queue.name, count, samples: [...samples.values()] });
  }
  return listed;
}

function describeMessage(body: string, eventType: string | undefined): string {
  try {
    const envelope = JSON.parse(body) as { 'detail-type'?: string; detail?: { transaction_id?: string } };
    if (envelope['detail-type']) return `${envelope['detail-type']} (payment ${envelope.detail?.transaction_id ?? '?'})`;
  } catch {
    // Avro, base64: say what its attributes say
  }
  return `${eventType ?? 'message'} (${body.length} bytes)`;
}

/** The invariants, checked against the services' own databases and the public API. */
async function check(platform: Platform, sqs: SQSClient, accepted: AcceptedPayment[], moneyIn: MoneyIn) {
  const violations: string[] = [];

  // Every accepted payment reached a terminal state, as its sender sees it.
  let completed = 0;
  let failed = 0;
  for (const payment of accepted) {
    const response = await payment.sender.client.get(`/v1/payments/${payment.id}`);
    const status = response.body?.status;
    if (status === 'completed') completed++;
    else if (status === 'failed') failed++;
    else violations.push(`accepted payment ${payment.id} did not end: ${response.status} ${status ?? JSON.stringify(response.body).slice(0, 200)}`);
  }

  const allPayments = await withDatabase<PaymentSchema, Array<{ id: string; status: string; amount: bigint; currency: string; sender_wallet_id: string; receiver_wallet_id: string; hold_id: string | null }>>(
    platform,
    'payment',
    ({ db }) => db.selectFrom('payments').select(['id', 'status', 'amount', 'currency', 'sender_wallet_id', 'receiver_wallet_id', 'hold_id']).execute(),
  );
  for (const p of allPayments) if (p.status !== 'completed' && p.status !== 'failed') violations.push(`payment ${p.id} is still ${p.status}`);
  const acceptedIds = new Set(accepted.map((a) => a.id));
  const known = new Set(allPayments.map((p) => p.id));
  for (const id of acceptedIds) if (!known.has(id)) violations.push(`payment ${id} was accepted (202) but the payment service has no record of it`);

  await withDatabase<WalletSchema, void>(platform, 'wallet', async ({ db }) => {
    // The ledger is sound: balanced entries, balances equal to their lines, frozen equal to active holds, funding mirrors wallets.
    const audit = await auditLedger(db);
    violations.push(...audit.violations.map((v) => `ledger: ${v}`));

    // Money per currency is what was brought in, no more, no less.
    for (const currency of new Set([...moneyIn.keys(), ...audit.walletTotals.keys()])) {
      const expected = moneyIn.get(currency) ?? 0n;
      const actual = audit.walletTotals.get(currency) ?? 0n;
      if (expected !== actual) violations.push(`${currency}: wallets hold ${formatMinor(actual)}, but ${formatMinor(expected)} was topped up (${actual > expected ? 'created' : 'lost'} ${formatMinor(actual > expected ? actual - expected : expected - actual)})`);
    }

    // No hold left frozen.
    const active = await db.selectFrom('holds').select(['id', 'reference', 'amount']).where('status', '=', 'active').execute();
    for (const hold of active) violations.push(`hold ${hold.id} (payment ${hold.reference}) is still active with ${hold.amount} frozen`);

    // No entry applied twice for one payment: one reserve, at most one capture, at most one release or expiry per hold.
    const perReference = await db
      .selectFrom('journal_entries')
      .select(['reference', 'kind', (eb) => eb.fn.countAll<number>().as('n')])
      .where('kind', 'in', ['reserve', 'capture'])
      .where('reference', 'is not', null)
      .groupBy(['reference', 'kind'])
      .execute();
    for (const row of perReference) if (Number(row.n) > 1) violations.push(`payment ${row.reference} has ${row.n} ${row.kind} entries`);
    const settlements = await db
      .selectFrom('journal_entries')
      .select(['hold_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('kind', 'in', ['capture', 'release', 'expire'])
      .groupBy('hold_id')
      .execute();
    for (const row of settlements) if (Number(row.n) > 1) violations.push(`hold ${row.hold_id} was settled ${row.n} times (capture, release or expiry)`);

    // Each payment's outcome is what the ledger did: completed ⇔ captured once; failed ⇔ not captured, nothing held.
    const captures = new Map((await db.selectFrom('journal_entries').select(['reference', 'hold_id']).where('kind', '=', 'capture').execute()).map((e) => [e.reference, e]));
    const holdsByPayment = new Map((await db.selectFrom('holds').select(['reference', 'status', 'amount', 'wallet_id', 'to_wallet_id']).execute()).map((h) => [h.reference, h]));
    for (const p of allPayments) {
      const captured = captures.get(p.id);
      const hold = holdsByPayment.get(p.id);
      if (p.status === 'completed') {
        if (!captured) violations.push(`payment ${p.id} is completed but nothing was captured`);
        else if (hold && (hold.status !== 'captured' || hold.to_wallet_id !== p.receiver_wallet_id || BigInt(hold.amount) !== BigInt(p.amount))) {
          violations.push(`payment ${p.id} is completed but its hold is ${hold.status} to ${hold.to_wallet_id} for ${hold.amount}`);
        }
      } else if (p.status === 'failed') {
        if (captured) violations.push(`payment ${p.id} failed but its funds were captured to the receiver`);
        if (hold && hold.status === 'active') violations.push(`payment ${p.id} failed but its hold is still active`);
      }
    }

    // Each wallet holds what its top-ups and completed payments say, to the minor unit.
    const wallets = await db.selectFrom('wallets').select(['id', 'available', 'frozen']).execute();
    const expected = new Map<string, bigint>();
    const topUps = await db.selectFrom('journal_lines').innerJoin('journal_entries', 'journal_entries.id', 'journal_lines.entry_id').select(['journal_lines.wallet_id', 'journal_lines.amount']).where('journal_entries.kind', 'in', ['top_up', 'withdrawal']).where('journal_lines.bucket', '=', 'available').execute();
    for (const line of topUps) expected.set(line.wallet_id!, (expected.get(line.wallet_id!) ?? 0n) + BigInt(line.amount));
    for (const p of allPayments) {
      if (p.status !== 'completed') continue;
      expected.set(p.sender_wallet_id, (expected.get(p.sender_wallet_id) ?? 0n) - BigInt(p.amount));
      expected.set(p.receiver_wallet_id, (expected.get(p.receiver_wallet_id) ?? 0n) + BigInt(p.amount));
    }
    for (const w of wallets) {
      const balance = BigInt(w.available) + BigInt(w.frozen);
      const should = expected.get(w.id) ?? 0n;
      if (balance !== should) violations.push(`wallet ${w.id} holds ${balance} but its top-ups and completed payments say ${should}`);
    }
  });

  // Every message accounted for: the main queues are empty (checked while draining, again here) and the DLQs are listed.
  for (const queue of await queues(sqs)) {
    if (queue.deadLetter) continue;
    const n = await depth(sqs, queue.url);
    if (n > 0) violations.push(`${n} messages still on ${queue.name}`);
  }
  const unsent = await unsentOutbox(platform);
  for (const [service, n] of Object.entries(unsent)) violations.push(`${n} outbox rows of ${service} were never published`);
  const deadLetters = await listDeadLetters(sqs);

  // The record keepers processed what they were sent: each ended payment is recorded with its outcome.
  const recorded = await withDatabase<any, Map<string, string>>(platform, 'transaction', async ({ db }) =>
    new Map((await db.selectFrom('transactions').select(['id', 'status']).execute()).map((t: { id: string; status: string }) => [t.id, t.status])),
  );
  const deadLettered = new Set(deadLetters.flatMap((d) => d.samples.map((s) => s.match(/payment ([0-9a-f-]{36})/)?.[1]).filter(Boolean)));
  for (const p of allPayments) {
    const status = recorded.get(p.id);
    if (status !== p.status && !deadLettered.has(p.id)) violations.push(`transaction service records payment ${p.id} as ${status ?? 'nothing'}, not ${p.status}`);
  }
  // Every event the payment service published is in the audit log, once (the audit keys records by the outbox id).
  const published = await withDatabase<PaymentSchema, string[]>(platform, 'payment', async ({ db }) =>
    (await db.selectFrom('outbox').select('id').where('kind', '=', 'event').where('sent_at', 'is not', null).execute()).map((r) => r.id),
  );
  const audited = await withDatabase<any, Map<string, number>>(platform, 'audit', async ({ db }) => {
    const rows = await sql<{ event_id: string; n: number | bigint }>`select event_id, count(*) as n from audit_records group by event_id`.execute(db);
    return new Map(rows.rows.map((r) => [r.event_id, Number(r.n)]));
  });
  const notAudited = published.filter((id) => !audited.has(id));
  if (notAudited.length > 0 && deadLetters.length === 0) violations.push(`${notAudited.length} published payment events never reached the audit log (e.g. ${notAudited[0]})`);
  for (const [eventId, n] of audited) if (n > 1) violations.push(`event ${eventId} is in the audit log ${n} times`);
  // Each ended payment was told to its users: the sender and receiver of a completed one, the sender of a failed one.
  const told = await withDatabase<any, Set<string>>(platform, 'notification', async ({ db }) =>
    new Set((await db.selectFrom('notifications').select(['payment_id', 'kind']).where('payment_id', 'is not', null).execute()).map((n: { payment_id: string; kind: string }) => `${n.payment_id}/${n.kind}`)),
  );
  for (const p of allPayments) {
    const kinds = p.status === 'completed' ? ['payment_sent', 'payment_received'] : p.status === 'failed' ? ['payment_failed'] : [];
    for (const kind of kinds) if (!told.has(`${p.id}/${kind}`) && !deadLettered.has(p.id)) violations.push(`payment ${p.id} ${p.status}, but no ${kind} notification was stored`);
  }
  const verified = await fetch(`${platform.url('audit')}/audit/verify`)
    .then((r) => r.json() as Promise<{ ok?: boolean }>)
    .catch((err: Error) => ({ ok: false, error: err.message }));
  if (verified.ok !== true) {
    violations.push(`the audit log's hash chain does not verify: ${JSON.stringify(verified).slice(0, 300)}`);
  }

  return { violations, deadLetters, completed, failed };
}

export function formatReport(report: ChaosReport): string {
  const lines = [
    '',
    `## Chaos run, seed ${report.seed}`,
    '',
    'Timeline:',
    ...report.timeline.map((t) => `  ${t.at.toFixed(1).padStart(6)} s  ${t.what}`),
    '',
    `Kills: ${Object.entries(report.kills).map(([s, n]) => `${s} ×${n}`).join(', ') || 'none'}`,
    `Hangs (SIGSTOP, then SIGCONT): ${Object.entries(report.faults.hangs).map(([s, n]) => `${s} ×${n}`).join(', ') || 'none'}`,
    `Broker killed with sends in flight: ${report.faults.brokerKillsMidCommit}× (${report.faults.acknowledgedSends} sends acknowledged, all checked on the queue after)`,
    `PostgreSQL connections cut: ${report.faults.connectionCuts}× (${report.faults.connectionsCut} connections)`,
    `Payments: ${report.payments.attempted} attempted, ${report.payments.accepted} accepted (202), ${report.payments.refused} refused, ${report.payments.abandoned} abandoned by their client; of the accepted: ${report.payments.completed} completed, ${report.payments.failed} failed; ${report.payments.clientRetries} client retries with the same Idempotency-Key (${report.payments.inProgressAnswers} of them answered 409 in progress); longest wait for a 202 ${(report.payments.longestAcceptMs / 1000).toFixed(1)} s`,
    `Drain: ${report.drainSeconds.toFixed(1)} s`,
    report.deadLetters.length === 0 ? 'Dead-letter queues: empty' : 'Dead-letter queues (accounted for, not lost):',
    ...report.deadLetters.flatMap((d) => [`  ${d.queue}: ${d.count}`, ...d.samples.map((s) => `    - ${s}`)]),
    '',
    report.passed ? `VERDICT: PASS (seed ${report.seed})` : `VERDICT: FAIL (seed ${report.seed}), ${report.violations.length} violation(s):`,
    ...report.violations.slice(0, 50).map((v) => `  ✗ ${v}`),
    ...(report.violations.length > 50 ? [`  … and ${report.violations.length - 50} more`] : []),
  ];
  return lines.join('\n');
}

function numberArg(argv: string[], name: string, fallback: number): number {
  const index = argv.indexOf(name);
  const inline = argv.find((a) => a.startsWith(`${name}=`));
  const raw = inline ? inline.slice(name.length + 1) : index >= 0 ? argv[index + 1] : undefined;
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`);
  return value;
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const seed = numberArg(argv, '--seed', Math.floor(Math.random() * 2 ** 31));
  const options: ChaosOptions = {
    seed,
    durationSeconds: numberArg(argv, '--duration', 60),
    drainTimeoutSeconds: numberArg(argv, '--drain-timeout', 240),
    users: numberArg(argv, '--users', 6),
    holdTtlSeconds: numberArg(argv, '--hold-ttl', 0) || undefined,
    clients: numberArg(argv, '--clients', 6),
    database: databaseChoiceFromArgs(argv, 'chaos'),
    keepData: argv.includes('--keep-data'),
    log: (line) => console.log(line),
  };
  console.log(`chaos: seed ${seed} (reproduce the schedule with --seed ${seed}), ${options.durationSeconds} s, ${options.database.kind}`);
  const report = await runChaos(options);
  console.log(formatReport(report));
  process.exit(report.passed ? 0 : 1);
}
