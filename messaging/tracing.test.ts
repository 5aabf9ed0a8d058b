import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import pino from 'pino';
import { EVENT_BUS_NAME, SOURCES, TRANSACTION_EVENTS } from '../contracts/events.ts';
import { withSpan } from '../observability/tracing.ts';
import { openDatabase } from '../storage/database.ts';
import { migrateToLatest } from '../storage/migrate.ts';
import { startTestBroker } from '../test/support/broker.ts';
import { useTestTracing } from '../test/support/tracing.ts';
import { DlqHandler } from './dlq-handler.ts';
import { EventPublisher } from './event-publisher.ts';
import { OutboxRelay } from './outbox-relay.ts';
import { outboxInboxMigration, outboxTraceContextMigration, type OutboxTables } from './outbox-schema.ts';
import { addToOutbox } from './outbox.ts';
import { startQueueConsumer, toReceived, type ReceivedMessage } from './queue-consumer.ts';
import { QueueDirectory } from './queue-directory.ts';
import { QueuePublisher } from './queue-publisher.ts';

const tracing = useTestTracing('messaging-test');
const log = pino({ level: 'silent' });

/** Consumes `queue` until `count` messages were handled; resolves with them. */
async function consume(t: TestContext, sqs: Parameters<typeof startQueueConsumer>[0]['sqs'], queueUrl: string, count: number): Promise<ReceivedMessage[]> {
  const handled: ReceivedMessage[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const consumer = startQueueConsumer({ sqs, queueUrl, log, waitTimeSeconds: 1, handler: async (m) => void (handled.push(m) === count && done()) });
  t.after(() => consumer.stop());
  await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${handled.length} of ${count} messages arrived`)), 15_000))]);
  return handled;
}

/** The consumer span that processed a message, once it has ended. */
async function processSpan(messageId: string): Promise<ReadableSpan> {
  for (let i = 0; i < 100; i++) {
    const found = tracing.spans().find((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.message.id'] === messageId);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no consumer span for ${messageId}`);
}

const sendSpanOf = (span: ReadableSpan) => tracing.spans().find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId);

test('a queue message is processed in a consumer span whose parent is the send span of the request that sent it', async (t) => {
  const { sqs } = await startTestBroker(t);
  const directory = new QueueDirectory(sqs);
  const queue = `traced-${randomUUID().slice(0, 8)}`;
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: queue }))).QueueUrl!;
  const publisher = new QueuePublisher(sqs, directory);

  const traceId = await withSpan('request', {}, async (span) => {
    await publisher.send(queue, { body: '{"n":1}', eventType: 'payment_initiated', priority: 'high', messageId: 'm-1' });
    await publisher.sendBatch(queue, [{ body: '{"n":2}', eventType: 'payment_initiated', messageId: 'm-2' }]);
    return span.spanContext().traceId;
  });
  const [first, second] = await consume(t, sqs, queueUrl, 2);
  assert.deepEqual(Object.keys(first!.attributes).sort(), ['event_type', 'message_id', 'priority', 'traceparent'], 'the seed attributes stay, traceparent joins them');

  for (const id of ['m-1', 'm-2']) {
    const processed = await processSpan(id);
    const send = sendSpanOf(processed)!;
    assert.equal(processed.spanContext().traceId, traceId);
    assert.equal(send.kind, SpanKind.PRODUCER);
    assert.equal(send.name, `send ${queue}`);
    assert.equal(processed.name, `process ${queue}`);
    assert.deepEqual(
      [processed.attributes['messaging.system.name'], processed.attributes['messaging.destination.name'], processed.attributes['messaging.operation.type']],
      ['aws.sqs', queue, 'process'],
    );
    assert.ok(processed.startTime[0] * 1e9 + processed.startTime[1] >= send.startTime[0] * 1e9 + send.startTime[1], 'consumed after it was sent');
  }
  assert.equal(second!.id, 'm-2');
});

test('an EventBridge event carries its trace in the detail, so the consumer of the delivered envelope continues it', async (t) => {
  const { sqs, eventBridge } = await startTestBroker(t);
  const directory = new QueueDirectory(sqs);
  const events = new EventPublisher(eventBridge, EVENT_BUS_NAME);
  const traceId = await withSpan('request', {}, async (span) => {
    const result = await events.publish([{ source: SOURCES.transaction, detailType: TRANSACTION_EVENTS.completed, detail: { transaction_id: 'tx-1', event_id: 'evt-1' } }]);
    assert.deepEqual(result.failed, []);
    return span.spanContext().traceId;
  });
  // The topology routes `Transaction completed` to transaction-events (among others).
  const [delivered] = await consume(t, sqs, await directory.url('transaction-events'), 1);
  const envelope = JSON.parse(delivered!.body) as { detail: Record<string, unknown> };
  assert.equal(envelope.detail.transaction_id, 'tx-1');
  assert.match((envelope.detail.trace_context as { traceparent: string }).traceparent, new RegExp(`^00-${traceId}-`));
  const processed = await processSpan(delivered!.id);
  assert.equal(processed.spanContext().traceId, traceId);
  const publish = sendSpanOf(processed)!;
  assert.deepEqual([publish.kind, publish.name, publish.attributes.detail_type], [SpanKind.PRODUCER, `send ${EVENT_BUS_NAME}`, TRANSACTION_EVENTS.completed]);
});

test('an outbox row keeps the trace it was written in: the relay publishes it there even when it runs later, outside any request', async (t) => {
  const { sqs, eventBridge } = await startTestBroker(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-outbox-trace-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }));
  const database = await openDatabase<OutboxTables>({ kind: 'sqlite', file: path.join(dir, 'outbox.db') });
  t.after(() => database.close());
  await migrateToLatest(database.db, { '0001_outbox_inbox': outboxInboxMigration, '0002_outbox_trace_context': outboxTraceContextMigration });
  const queue = `outbox-${randomUUID().slice(0, 8)}`;
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: queue }))).QueueUrl!;

  const { traceId, spanId, ids } = await withSpan('payment.execute', {}, async (span) => ({
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    ids: (await addToOutbox(database.db, [{ queueMessage: { queue, body: '{}', eventType: 'payment_initiated' } }])).map((row) => row.id),
  }));
  const stored = await database.db.selectFrom('outbox').select('trace_context').where('id', '=', ids[0]!).executeTakeFirstOrThrow();
  assert.match(stored.trace_context!, new RegExp(`00-${traceId}-${spanId}-01`));
  // Untraced writes still work (and leave the column empty).
  await addToOutbox(database.db, [{ queueMessage: { queue, body: '{}', eventType: 'payment_initiated' } }]);

  const relay = new OutboxRelay({ database, queues: new QueuePublisher(sqs, new QueueDirectory(sqs)), eventBridge, log, service: 'test' });
  assert.equal(await relay.drain(), 2);
  const handled = await consume(t, sqs, queueUrl, 2);
  const traced = handled.find((m) => m.id === ids[0])!;
  const processed = await processSpan(traced.id);
  const send = sendSpanOf(processed)!;
  assert.equal(processed.spanContext().traceId, traceId);
  assert.equal(send.parentSpanContext?.spanId, spanId, 'the send span is a child of the span that wrote the row');
  const untraced = await processSpan(handled.find((m) => m.id !== ids[0])!.id);
  assert.notEqual(untraced.spanContext().traceId, traceId);
});

test('a redriven dead letter starts a new trace linked to the one it failed in', async (t) => {
  const { sqs } = await startTestBroker(t);
  const directory = new QueueDirectory(sqs);
  const source = `src-${randomUUID().slice(0, 8)}`;
  await sqs.send(new CreateQueueCommand({ QueueName: source }));
  await sqs.send(new CreateQueueCommand({ QueueName: `${source}-dlq` }));
  const original = await withSpan('request', {}, async (span) => {
    await new QueuePublisher(sqs, directory).send(`${source}-dlq`, { body: '{}', eventType: 'payment_initiated', messageId: 'dead-1' });
    return span.spanContext();
  });
  const handler = new DlqHandler({ sqs, directory, deadLetterQueue: `${source}-dlq`, sourceQueue: source, log, alert: async () => {} });
  assert.deepEqual(await handler.drainOnce(), { redriven: 1, alerted: 0 });

  const redrive = tracing.spans().find((s) => s.name === `redrive ${source}-dlq`)!;
  assert.notEqual(redrive.spanContext().traceId, original.traceId, 'a new trace');
  assert.equal(redrive.links[0]?.context.traceId, original.traceId, 'linked to the original');
  const back = await sqs.send(new ReceiveMessageCommand({ QueueUrl: await directory.url(source), WaitTimeSeconds: 10, MessageAttributeNames: ['All'] }));
  const message = toReceived(back.Messages![0]!);
  assert.equal(message.id, 'dead-1');
  assert.match(message.attributes.traceparent!, new RegExp(`^00-${redrive.spanContext().traceId}-`), 'the redriven message continues the redrive trace');
  assert.equal(message.attributes.dlq_redrives, '1');
});
