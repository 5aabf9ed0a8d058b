import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { spawnService } from '../test/support/processes.ts';
import { cpuSecondsOf } from './measure.ts';

const PRODUCERS = 8;
const CONSUMERS = 8;
const BATCH = 10;
const BODY = JSON.stringify({ event_type: 'payment_initiated', transaction_id: 'x'.repeat(36), amount_minor: '1025', currency: 'USD' });

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

/** The broker in its own process (as `npm start` runs it), driven through the AWS SDK over HTTP. */
async function benchEmbeddedBroker(total: number): Promise<Result> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-bench-broker-'));
  const broker = await spawnService(
    path.join(import.meta.dirname, '..', 'services', 'broker', 'main.ts'),
    { DATA_DIR: dir, BROKER_PORT: '0', BROKER_APPLY_TOPOLOGY: 'false', DATABASE_URL: '', BROKER_DATABASE_URL: '' },
    (line) => (typeof line.address === 'string' ? line.address : undefined),
  );
  const sqs = new SQSClient({ region: 'us-east-1', endpoint: `http://${broker.ready}`, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `bench-${randomUUID()}` }));
    const entries = Array.from({ length: BATCH }, (_, i) => ({ Id: `m${i}`, MessageBody: BODY }));
    const cpuBefore = cpuSecondsOf(broker.child.pid);
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
    const cpuAfter = cpuSecondsOf(broker.child.pid);
    return { ...result, serverCpuSeconds: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore };
  } finally {
    sqs.destroy();
    await broker.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same work on BullMQ and the local Redis: jobs added in bulk of 10 by
 * the same producers, processed and completed by a worker with the same
 * total concurrency. BullMQ 6 talks to Redis through an adapter over a peer
 * client package (ioredis), loaded here only if it is installed.
 */
async function benchBullMq(total: number): Promise<(Result & { persistence: string }) | string> {
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
    const client = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
    clients.push(client);
    return createIORedisClient(client as never);
  };
  let persistence: string;
  try {
    persistence = await redisPersistence(connect() as unknown as RedisClient);
  } catch (err) {
    await Promise.all(clients.map((c) => c.quit().catch(() => {})));
    return `not run: Redis at 127.0.0.1:6379 did not answer (${(err as Error).message})`;
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
    return { ...(await measure(total, async () => void (await queue.addBulk(jobs)), () => allDone)), persistence };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await Promise.all(clients.map((c) => c.quit().catch(() => {})));
  }
}

/** How this Redis keeps data across a crash, from its own configuration: RDB snapshots and the append-only file. */
async function redisPersistence(redis: RedisLike): Promise<string> {
  const [, save] = (await redis.config('GET', 'save')) as [string, string];
  const [, appendonly] = (await redis.config('GET', 'appendonly')) as [string, string];
  const [, fsync] = (await redis.config('GET', 'appendfsync')) as [string, string];
  if (appendonly === 'yes') return `AOF on (appendfsync ${fsync})${save ? `, RDB save "${save}"` : ''}`;
  return save ? `no AOF; RDB snapshots only (save "${save}"): acknowledged jobs can be lost on a crash` : 'no persistence (no AOF, no RDB snapshots): nothing survives a Redis crash';
}

type RedisLike = { config(...args: string[]): Promise<unknown> };

export interface BrokerComparison {
  total: number;
  broker: Result;
  bullmq: (Result & { persistence: string }) | string;
  setup: string;
}

/** The embedded broker and BullMQ doing the same durable queue work: send, receive, delete in batches of 10. */
export async function benchBroker({ quick }: { quick: boolean }): Promise<BrokerComparison> {
  const total = quick ? 2000 : 20_000;
  const broker = await benchEmbeddedBroker(total);
  const bullmq = await benchBullMq(total);
  return { total, broker, bullmq, setup: `${total} messages; ${PRODUCERS} producers sending batches of ${BATCH}, ${CONSUMERS} consumers receiving and deleting batches of ${BATCH}` };
}
