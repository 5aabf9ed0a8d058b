import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { testDatabases } from '../../../test/support/databases.ts';
import { startTestBroker, type TestBroker } from './support.ts';

/**
 * A long poll must never miss a message that arrives while it is going to
 * sleep. Receives and sends are raced through the engine itself (no HTTP in
 * between, so they really land in the same event-loop turn and the same group
 * commit): K receivers with nothing to read, K messages sent at one of several
 * moments around them. Every receiver waits 20 s at most; each must have its
 * message within a second of the sends being acknowledged. A lost wake-up
 * shows as a receiver still asleep next to a visible message.
 */
const RECEIVERS = 3;
const PATIENCE_MS = 1000;

type Moment = 'same turn, after the receives' | 'same turn, before the receives' | 'next turn' | 'a moment later';
const MOMENTS: Moment[] = ['same turn, after the receives', 'same turn, before the receives', 'next turn', 'a moment later'];

async function race(b: TestBroker, url: string, fifo: boolean, moment: Moment, round: number): Promise<void> {
  const sqs = b.broker.sqs;
  const ctx = { baseUrl: b.endpoint };
  const abort = new AbortController();
  const send = () =>
    Promise.all(
      Array.from({ length: RECEIVERS }, (_, i) =>
        sqs.handle('SendMessage', { QueueUrl: url, MessageBody: `r${round}m${i}`, ...(fifo ? { MessageGroupId: `g${round}-${i}`, MessageDeduplicationId: `d${round}-${i}` } : {}) }, ctx),
      ),
    );
  const receive = () =>
    Array.from({ length: RECEIVERS }, () =>
      sqs.handle('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 20, MaxNumberOfMessages: 1 }, { ...ctx, signal: abort.signal }) as Promise<{ Messages?: Array<{ ReceiptHandle: string }> }>,
    );

  let sent: Promise<unknown>;
  let receives: Array<Promise<{ Messages?: Array<{ ReceiptHandle: string }> }>>;
  if (moment === 'same turn, before the receives') {
    sent = send();
    receives = receive();
  } else {
    receives = receive();
    if (moment === 'same turn, after the receives') sent = send();
    else if (moment === 'next turn') sent = nextTurn().then(send);
    else sent = sleep(round % 3).then(send);
  }
  await sent;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), PATIENCE_MS)));
  try {
    const outcome = await Promise.race([Promise.all(receives), late]);
    assert.notEqual(outcome, 'late', `round ${round} (${fifo ? 'FIFO' : 'standard'}, sent ${moment}): a receiver slept next to a visible message`);
    const handles = (outcome as Array<{ Messages?: Array<{ ReceiptHandle: string }> }>).map((r) => r.Messages?.[0]?.ReceiptHandle);
    assert.equal(handles.filter(Boolean).length, RECEIVERS, `round ${round}: every receiver got a message`);
    await sqs.handle('DeleteMessageBatch', { QueueUrl: url, Entries: handles.map((h, i) => ({ Id: `d${i}`, ReceiptHandle: h })) }, ctx);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

for (const database of await testDatabases()) {
  describe(`long polls on ${database.name}`, { skip: database.skip }, () => {
    // Thousands of sends on SQLite; fewer on PostgreSQL, whose round trips make each round slower.
    const rounds = database.name === 'sqlite' ? 200 : 60;
    for (const fifo of [false, true]) {
      test(`no ${fifo ? 'FIFO' : 'standard'} receive sleeps past a message sent while it went to sleep (${rounds * MOMENTS.length * RECEIVERS} sends)`, async (t) => {
        const b = await startTestBroker(t, { database });
        const url = await b.createQueue(fifo ? 'race.fifo' : 'race', fifo ? { FifoQueue: 'true' } : {});
        for (let round = 0; round < rounds; round++) {
          for (const moment of MOMENTS) await race(b, url, fifo, moment, round * MOMENTS.length + MOMENTS.indexOf(moment));
        }
      });
    }
  });
}

test('a long poll sleeping past an in-flight message wakes when that message\'s visibility is shortened', async (t) => {
  const b = await startTestBroker(t);
  const url = await b.createQueue('shortened');
  const ctx = { baseUrl: b.endpoint };
  await b.broker.sqs.handle('SendMessage', { QueueUrl: url, MessageBody: 'come back soon' }, ctx);
  const first = (await b.broker.sqs.handle('ReceiveMessage', { QueueUrl: url, VisibilityTimeout: 60 }, ctx)) as { Messages: Array<{ ReceiptHandle: string }> };
  // This poll would sleep until its WaitTimeSeconds (the message is hidden for a minute)...
  const waiting = b.broker.sqs.handle('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 20 }, ctx) as Promise<{ Messages?: unknown[] }>;
  await sleep(50);
  // ...until a consumer hands the message back in a second (as a failed consumer's retry delay does).
  await b.broker.sqs.handle('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: first.Messages[0]!.ReceiptHandle, VisibilityTimeout: 1 }, ctx);
  const outcome = await Promise.race([waiting, sleep(10_000).then(() => 'still asleep' as const)]);
  assert.notEqual(outcome, 'still asleep');
  assert.equal((outcome as { Messages?: unknown[] }).Messages?.length, 1);
});
