import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { spawnService } from '../test/support/processes.ts';
import type { BenchRow } from './run.ts';

const PRODUCERS = 8;
const CONSUMERS = 8;
const BATCH = 10;
const BODY = JSON.stringify({ event_type: 'payment_initiated', transaction_id: 'x'.repeat(36), amount_minor: '1025', currency: 'USD' });

interface Result {
  messages: number;
  seconds: number;
  perSecond: number;
  /** CPU seconds the broker process spent, where the platform tells (Linux /proc). */
  serverCpuSeconds?: number;
}

/** user + system CPU seconds of a process, from /proc (Linux); undefined elsewhere. */
function cpuSecondsOf(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
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
async function benchBullMq(total: number): Promise<Result | string> {
  let Redis: new (options: Record<string, unknown>) => { quit(): Promise<unknown>; config(...args: string[]): Promise<unknown> };
  try {
    const specifier = 'ioredis';
    Redis = ((await import(specifier)) as { default: typeof Redis }).default;
  } catch {
    return 'not run: BullMQ 6 needs its Redis client peer package (ioredis), which is not installed';
  }
  const { Queue, Worker, createIORedisClient } = await import('bullmq');
  const connect = () => createIORedisClient(new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null }) as never);
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
    return await measure(total, async () => void (await queue.addBulk(jobs)), () => allDone);
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

function row(result: Result): string {
  return `${Math.round(result.perSecond)} msg/s`;
}

export async function benchBroker({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const total = quick ? 2000 : 20_000;
  const broker = await benchEmbeddedBroker(total);
  const bull = await benchBullMq(total);
  const note = `${total} messages; ${PRODUCERS} producers sending batches of ${BATCH}, ${CONSUMERS} consumers receiving and deleting batches of ${BATCH}`;
  const ratio = typeof bull === 'string' ? 'n/a (BullMQ not run)' : (broker.perSecond / bull.perSecond).toFixed(2);
  const table = [
    '| system | messages | seconds | messages/s | vs BullMQ |',
    '|---|---|---|---|---|',
    `| embedded broker (AWS SDK over HTTP, SQLite WAL, fsync before each ack) | ${broker.messages} | ${broker.seconds.toFixed(2)} | ${Math.round(broker.perSecond)} | ${ratio} |`,
    typeof bull === 'string'
      ? `| BullMQ on Redis 127.0.0.1:6379 | - | - | - | ${bull} |`
      : `| BullMQ on Redis 127.0.0.1:6379 | ${bull.messages} | ${bull.seconds.toFixed(2)} | ${Math.round(bull.perSecond)} | 1.00 |`,
  ].join('\n');
  console.log(`\n## Broker vs BullMQ\n\n${table}\n`);
  return [
    {
      name: 'broker durable messages (send+receive+delete)',
      value: row(broker),
      note: `${note}; every send fsynced before its ack${
        broker.serverCpuSeconds === undefined ? '' : `; broker CPU ${((broker.serverCpuSeconds * 1e6) / broker.messages).toFixed(0)} µs/message`
      }`,
    },
    typeof bull === 'string'
      ? { name: 'BullMQ on Redis (same work)', value: '-', note: bull }
      : { name: 'BullMQ on Redis (same work)', value: row(bull), note: `broker/BullMQ ratio ${ratio}` },
  ];
}
