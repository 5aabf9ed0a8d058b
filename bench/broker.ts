import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { freePort } from '../scripts/platform.ts';
import { spawnService } from '../test/support/processes.ts';
import { cpuSecondsOf } from './measure.ts';

const PRODUCERS = 8;
const CONSUMERS = 8;
const BATCH = 10;
/** Every message's body: a payment event's size. */
export const BODY = JSON.stringify({ event_type: 'payment_initiated', transaction_id: 'x'.repeat(36), amount_minor: '1025', currency: 'USD' });

export interface Result {
  messages: number;
  seconds: number;
  perSecond: number;
  /** CPU seconds the broker process spent, where the platform tells (Linux /proc). */
  serverCpuSeconds?: number;
}

/**
 * Producers send `total` messages in batches while `consumeAll` works them
 * off; the clock stops when the last message is done.
 */
async function measure(total: number, produce: () => Promise<void>, consumeAll: () => Promise<void>): Promise<Result> {
  const started = performance.now();
  const batches = total / BATCH;
  let next = 0;
  const producers = Array.from({ length: PRODUCERS }, async () => {
    while (next < batches) {
      next++;
      await produce();
    }
  });
  await Promise.all([...producers, consumeAll()]);
  const seconds = (performance.now() - started) / 1000;
  return { messages: total, seconds, perSecond: total / seconds };
}

export interface EmbeddedBroker {
  pid: number | undefined;
  /** An AWS SDK SQS client pointed at it; each caller destroys its own. */
  client(): SQSClient;
  kill(): Promise<void>;
}

/** The broker in its own process (as `npm start` runs it) on SQLite in `dir`, without the platform's topology. */
export async function startEmbeddedBroker(dir: string): Promise<EmbeddedBroker> {
  const broker = await spawnService(
    path.join(import.meta.dirname, '..', 'services', 'broker', 'main.ts'),
    { DATA_DIR: dir, BROKER_PORT: '0', BROKER_APPLY_TOPOLOGY: 'false', DATABASE_URL: '', BROKER_DATABASE_URL: '' },
    (line) => (typeof line.address === 'string' ? line.address : undefined),
  );
  const endpoint = `http://${broker.ready}`;
  return {
    pid: broker.child.pid,
    client: () => new SQSClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } }),
    kill: () => broker.kill('SIGTERM'),
  };
}

/** The embedded broker driven through the AWS SDK over HTTP. */
async function benchEmbeddedBroker(total: number): Promise<Result> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-bench-broker-'));
  const broker = await startEmbeddedBroker(dir);
  const sqs = broker.client();
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `bench-${randomUUID()}` }));
    const entries = Array.from({ length: BATCH }, (_, i) => ({ Id: `m${i}`, MessageBody: BODY }));
    const cpuBefore = cpuSecondsOf(broker.pid);
    let consumed = 0;
    let lingering: Promise<unknown> = Promise.resolve();
    const result = await measure(
      total,
      async () => {
        const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries }));
        if (Failed.length > 0) throw new Error(`send failed: ${JSON.stringify(Failed[0])}`);
      },
      () =>
        new Promise<void>((resolve, reject) => {
          const loops = Array.from({ length: CONSUMERS }, async () => {
            while (consumed < total) {
              const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: BATCH, WaitTimeSeconds: 1 }));
              if (Messages.length === 0) continue;
              const { Failed = [] } = await sqs.send(
                new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })) }),
              );
              if (Failed.length > 0) throw new Error(`delete failed: ${JSON.stringify(Failed[0])}`);
              consumed += Messages.length;
              if (consumed >= total) resolve();
            }
          });
          // The other consumers may still be in a long poll when the last message is done.
          lingering = Promise.all(loops).catch(reject);
        }),
    );
    await lingering;
    const cpuAfter = cpuSecondsOf(broker.pid);
    return { ...result, serverCpuSeconds: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore };
  } finally {
    sqs.destroy();
    await broker.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where a BullMQ run finds its Redis. */
interface RedisAddress {
  host: string;
  port: number;
}

export interface BullMqResult extends Result {
  /** How that Redis keeps jobs across a crash, read from its own configuration. */
  persistence: string;
  /** Whether every acknowledged job is on disk (AOF with appendfsync always): the broker's durability. */
  durable: boolean;
}

/**
 * The same work on BullMQ and a Redis: jobs added in bulk of 10 by the same
 * producers, processed and completed by a worker with the same total
 * concurrency. BullMQ 6 talks to Redis through an adapter over a peer
 * client package (ioredis), loaded here only if it is installed.
 */
async function benchBullMq(total: number, redis: RedisAddress): Promise<BullMqResult | string> {
  type RedisClient = { quit(): Promise<unknown>; config(...args: string[]): Promise<unknown> };
  let Redis: new (options: Record<string, unknown>) => RedisClient;
  try {
    const specifier = 'ioredis';
    Redis = ((await import(specifier)) as { default: typeof Redis }).default;
  } catch {
    return 'not run: BullMQ 6 needs its Redis client peer package (ioredis), which is not installed';
  }
  const { Queue, Worker, createIORedisClient } = await import('bullmq');
  // Connections handed to BullMQ stay ours to close: its close() leaves a shared client open (and the process alive).
  const clients: RedisClient[] = [];
  const connect = () => {
    const client = new Redis({ ...redis, maxRetriesPerRequest: null });
    clients.push(client);
    return createIORedisClient(client as never);
  };
  let persistence: { text: string; durable: boolean };
  try {
    persistence = await redisPersistence(connect() as unknown as RedisClient);
  } catch (err) {
    await Promise.all(clients.map((c) => c.quit().catch(() => {})));
    return `not run: Redis at ${redis.host}:${redis.port} did not answer (${(err as Error).message})`;
  }
  const name = `bench-${randomUUID()}`;
  const queue = new Queue(name, { connection: connect() as never });
  let completed = 0;
  let onDone: () => void = () => {};
  const allDone = new Promise<void>((resolve) => (onDone = resolve));
  const worker = new Worker(name, async () => {}, { connection: connect() as never, concurrency: CONSUMERS * BATCH, autorun: false, removeOnComplete: { count: 0 } });
  worker.on('completed', () => {
    if (++completed === total) onDone();
  });
  try {
    const jobs = Array.from({ length: BATCH }, () => ({ name: 'payment', data: BODY, opts: { removeOnComplete: true, removeOnFail: true } }));
    void worker.run();
    return { ...(await measure(total, async () => void (await queue.addBulk(jobs)), () => allDone)), persistence: persistence.text, durable: persistence.durable };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await Promise.all(clients.map((c) => c.quit().catch(() => {})));
  }
}

/** How this Redis keeps data across a crash, from its own configuration: RDB snapshots and the append-only file. */
async function redisPersistence(redis: RedisLike): Promise<{ text: string; durable: boolean }> {
  const [, save] = (await redis.config('GET', 'save')) as [string, string];
  const [, appendonly] = (await redis.config('GET', 'appendonly')) as [string, string];
  const [, fsync] = (await redis.config('GET', 'appendfsync')) as [string, string];
  if (appendonly === 'yes') return { text: `AOF on (appendfsync ${fsync})${save ? `, RDB save "${save}"` : ''}`, durable: fsync === 'always' };
  return {
    text: save ? `no AOF; RDB snapshots only (save "${save}"): acknowledged jobs can be lost on a crash` : 'no persistence (no AOF, no RDB snapshots): nothing survives a Redis crash',
    durable: false,
  };
}

type RedisLike = { config(...args: string[]): Promise<unknown> };

/**
 * A Redis of the benchmark's own with the broker's durability: the
 * append-only file fsynced before every reply (`appendfsync always`), no RDB
 * snapshots, on a free loopback port with its files in a temporary directory,
 * so the local Redis and its configuration are left alone. Without
 * redis-server installed, or when it does not start, `why` says so.
 */
async function startDurableRedis(): Promise<{ address: RedisAddress; stop(): Promise<void> } | { why: string }> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-bench-redis-'));
  const child = spawn('redis-server', ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  // Its log says when it takes connections; the rest of the log is drained and dropped.
  let log = '';
  const ready = await new Promise<true | string>((resolve) => {
    const timer = setTimeout(() => resolve(`not ready in 10 s: ${log.slice(-500)}`), 10_000);
    const done = (outcome: true | string) => (clearTimeout(timer), resolve(outcome));
    child.once('error', (err) => done((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'redis-server is not installed' : err.message));
    child.once('exit', (code) => done(`redis-server exited with ${code}: ${log.slice(-500)}`));
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk) => {
        if (log.length < 10_000) log += String(chunk);
        if (log.includes('Ready to accept connections')) done(true);
      });
    }
  });
  if (ready !== true) {
    await stop();
    return { why: ready };
  }
  return { address: { host: '127.0.0.1', port }, stop };
}

/** BullMQ on a durable Redis started for the run (see startDurableRedis), stopped and removed afterwards. */
async function benchBullMqDurable(total: number): Promise<BullMqResult | string> {
  const redis = await startDurableRedis();
  if ('why' in redis) return `not run: ${redis.why}`;
  try {
    return await benchBullMq(total, redis.address);
  } finally {
    await redis.stop();
  }
}

export interface BrokerComparison {
  total: number;
  broker: Result;
  /** BullMQ on the local Redis (127.0.0.1:6379), whatever its persistence; a string says why it did not run. */
  bullmq: BullMqResult | string;
  /** BullMQ on a Redis with appendfsync always, started for the run. */
  bullmqDurable: BullMqResult | string;
  setup: string;
}

/**
 * The embedded broker and BullMQ doing the same queue work: send, receive,
 * delete in batches of 10. BullMQ runs twice: on the local Redis as it is
 * configured (usually without persistence: volatile jobs against the broker's
 * durable messages), and on a Redis that fsyncs every write before replying,
 * as the broker does before acknowledging a send: equal durability.
 */
export async function benchBroker({ quick }: { quick: boolean }): Promise<BrokerComparison> {
  const total = quick ? 2000 : 20_000;
  const broker = await benchEmbeddedBroker(total);
  const bullmq = await benchBullMq(total, { host: '127.0.0.1', port: 6379 });
  const bullmqDurable = await benchBullMqDurable(total);
  return { total, broker, bullmq, bullmqDurable, setup: `${total} messages; ${PRODUCERS} producers sending batches of ${BATCH}, ${CONSUMERS} consumers receiving and deleting batches of ${BATCH}` };
}
