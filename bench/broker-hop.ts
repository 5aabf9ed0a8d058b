import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BODY, startEmbeddedBroker } from './broker.ts';
import { sleep, summarize, type LatencySummary } from './measure.ts';

/**
 * How long the producer lets the receiver's ReceiveMessage reach the broker
 * and go to sleep there before sending: each hop is measured into a waiting
 * long poll (as a payment's hops are on a quiet platform), not into a receive
 * still on its way.
 */
const PAUSE_MS = 20;
/** Hops before the clock starts (JIT, connections, the broker's statement cache). */
const WARM_UP = 10;

export interface BrokerHopResult {
  hops: number;
  /** Each message's body, in bytes. */
  bodyBytes: number;
  /** The pause between the receiver polling again and the next send. */
  pauseMs: number;
  /** SendMessage called → the waiting receiver's ReceiveMessage returned it. */
  hop: LatencySummary;
  /** One INSERT of the same body, one transaction, WAL with synchronous=FULL, in the broker's directory. */
  sqliteCommit: LatencySummary;
}

/**
 * A broker hop's latency next to the floor under it. The broker runs in its
 * own process (as benchBroker starts it); one consumer long-polls a queue
 * (WaitTimeSeconds 20, up to 10 messages) and deletes what it gets, one
 * producer sends a message at a time once the consumer waits again. Then,
 * with the broker stopped, bare SQLite commits of the same body in a file in
 * the same directory: a send must be on disk before its acknowledgement, so
 * one commit on this disk is the least a durable hop can take.
 */
export async function benchBrokerHop({ hops }: { hops: number }): Promise<BrokerHopResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-bench-hop-'));
  try {
    const broker = await startEmbeddedBroker(dir);
    let hop: number[];
    try {
      hop = await measureHops(broker.client(), broker.client(), hops);
    } finally {
      await broker.kill();
    }
    return { hops, bodyBytes: Buffer.byteLength(BODY), pauseMs: PAUSE_MS, hop: summarize(hop), sqliteCommit: summarize(measureSqliteCommits(path.join(dir, 'bare-commit.db'), hops)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `hops` messages from `producer` to `consumer`, one at a time; each hop's milliseconds from SendMessage to the receiver having it. */
async function measureHops(producer: SQSClient, consumer: SQSClient, hops: number): Promise<number[]> {
  const { QueueUrl } = await producer.send(new CreateQueueCommand({ QueueName: `bench-hop-${randomUUID()}` }));
  const stopReceiving = new AbortController();
  // Handed over between the two loops: the receiver's next poll is out; a message reached the receiver (when).
  let polling = deferred<void>();
  let arrived = deferred<number>();
  const receiver = (async () => {
    for (;;) {
      const poll = consumer.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20, MaxNumberOfMessages: 10 }), { abortSignal: stopReceiving.signal });
      polling.resolve();
      const { Messages = [] } = await poll;
      const at = performance.now();
      if (Messages.length === 0) continue;
      // Set up the next hand-over before this one lets the producer go on.
      polling = deferred();
      arrived.resolve(at);
      await consumer.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })) }));
    }
  })();
  const receiverStopped = receiver.catch((err) => {
    if (!stopReceiving.signal.aborted) throw err;
  });
  try {
    const samples: number[] = [];
    for (let n = 0; n < WARM_UP + hops; n++) {
      await Promise.race([polling.promise, receiverStopped]);
      await sleep(PAUSE_MS);
      arrived = deferred();
      const sent = performance.now();
      await producer.send(new SendMessageCommand({ QueueUrl, MessageBody: BODY }));
      const at = await Promise.race([arrived.promise, receiverStopped.then(() => Number.NaN)]);
      if (n >= WARM_UP) samples.push(at - sent);
    }
    return samples;
  } finally {
    stopReceiving.abort();
    await receiverStopped.catch(() => {});
    producer.destroy();
    consumer.destroy();
  }
}

/** Milliseconds of each of `count` single-INSERT transactions of BODY into a fresh SQLite file in WAL mode, synchronous=FULL. */
function measureSqliteCommits(file: string, count: number): number[] {
  const db = new DatabaseSync(file);
  try {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO messages (body) VALUES (?)');
    const samples: number[] = [];
    for (let n = 0; n < WARM_UP + count; n++) {
      const started = performance.now();
      insert.run(BODY);
      if (n >= WARM_UP) samples.push(performance.now() - started);
    }
    return samples;
  } finally {
    db.close();
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
