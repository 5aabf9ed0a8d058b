import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { openDatabase, type Database } from '../storage/database.ts';
import { migrateToLatest } from '../storage/migrate.ts';
import { startTestBroker, type TestBroker } from '../test/support/broker.ts';
import { createEventBridgeClient, createSqsClient } from './aws.ts';
import { handleOnce, stableMessageId } from './inbox.ts';
import { OutboxRelay } from './outbox-relay.ts';
import { outboxInboxMigration, type OutboxTables } from './outbox-schema.ts';
import { addToOutbox } from './outbox.ts';
import { startQueueConsumer, toReceived } from './queue-consumer.ts';
import { QueueDirectory } from './queue-directory.ts';
import { QueuePublisher } from './queue-publisher.ts';

const log = pino({ level: 'silent' });
const BUS = 'paypal-clone-events';

async function outboxDatabase(t: TestContext): Promise<Database<OutboxTables & { effects: { message_id: string } }>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-outbox-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const database = await openDatabase<OutboxTables & { effects: { message_id: string } }>({ kind: 'sqlite', file: path.join(dir, 'outbox.db') });
  t.after(() => database.close());
  await migrateToLatest(database.db, { '0001_outbox_inbox': outboxInboxMigration });
  await database.db.schema.createTable('effects').addColumn('message_id', 'text').execute();
  return database;
}

function relayFor(database: Database<any>, sqs: SQSClient, broker: Pick<TestBroker, 'eventBridge'>, options: { leaseSeconds?: number } = {}) {
  return new OutboxRelay({ database, queues: new QueuePublisher(sqs, new QueueDirectory(sqs)), eventBridge: broker.eventBridge, log, service: 'test', leaseSeconds: options.leaseSeconds });
}

async function newQueue(sqs: SQSClient): Promise<{ name: string; url: string; arn: string }> {
  const name = `relay-${randomUUID().slice(0, 8)}`;
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  return { name, url, arn };
}

async function receiveAll(sqs: SQSClient, url: string, expected: number) {
  const messages = [];
  const deadline = Date.now() + 15_000;
  while (messages.length < expected && Date.now() < deadline) {
    const response = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    messages.push(...(response.Messages ?? []));
  }
  return messages;
}

const unsent = async (db: Kysely<OutboxTables>) => (await db.selectFrom('outbox').selectAll().where('sent_at', 'is', null).execute()).length;

test('only committed outbox rows are published, queue messages and events alike, and each is marked sent', async (t) => {
  const broker = await startTestBroker(t);
  const { sqs, eventBridge } = broker;
  const database = await outboxDatabase(t);
  const queue = await newQueue(sqs);
  const eventQueue = await newQueue(sqs);
  const source = `test.relay.${randomUUID().slice(0, 8)}`;
  await eventBridge.send(new PutRuleCommand({ Name: `to-${eventQueue.name}`, EventBusName: BUS, EventPattern: JSON.stringify({ source: [source] }) }));
  await eventBridge.send(new PutTargetsCommand({ Rule: `to-${eventQueue.name}`, EventBusName: BUS, Targets: [{ Id: 'q', Arn: eventQueue.arn }] }));

  await database.db.transaction().execute(async (trx) => {
    await addToOutbox(trx, Array.from({ length: 23 }, (_, i) => ({ queueMessage: { queue: queue.name, body: `{"n":${i}}`, eventType: 'test_message', priority: 'high' as const } })));
    await addToOutbox(trx, Array.from({ length: 12 }, (_, i) => ({ event: { source, detailType: 'Test happened', detail: { n: i } }, bus: BUS })));
  });
  // A state change that rolls back takes its messages with it.
  await assert.rejects(
    database.db.transaction().execute(async (trx) => {
      await addToOutbox(trx, [{ queueMessage: { queue: queue.name, body: '{"rolled":"back"}', eventType: 'test_message' } }]);
      throw new Error('the business change failed');
    }),
  );

  const relay = relayFor(database, sqs, broker);
  assert.equal(await relay.drain(), 35);
  assert.equal(await unsent(database.db), 0);

  const messages = await receiveAll(sqs, queue.url, 23);
  assert.equal(messages.length, 23);
  assert.ok(!messages.some((m) => m.Body?.includes('rolled')), 'the rolled-back message was never sent');
  assert.equal(messages[0]!.MessageAttributes!.event_type!.StringValue, 'test_message');
  assert.equal(messages[0]!.MessageAttributes!.priority!.StringValue, 'high');
  const events = await receiveAll(sqs, eventQueue.url, 12);
  assert.equal(events.length, 12);
  const envelope = JSON.parse(events[0]!.Body!);
  assert.equal(envelope.source, source);
  assert.equal(envelope['detail-type'], 'Test happened');
  assert.ok(envelope.detail.event_id, 'the outbox id rides in the detail for consumers to dedupe on');
});

test('rows that cannot be published stay in the outbox with their error and go out once the broker answers', async (t) => {
  const broker = await startTestBroker(t);
  const database = await outboxDatabase(t);
  const queue = await newQueue(broker.sqs);
  await addToOutbox(database.db, [{ queueMessage: { queue: queue.name, body: '{}', eventType: 'test_message' } }]);

  // Nothing listens on port 9: every publish attempt fails.
  const nowhere = { region: 'us-east-1', endpoint: 'http://127.0.0.1:9', embedded: true };
  const deadSqs = createSqsClient(nowhere);
  const deadEvents = createEventBridgeClient(nowhere);
  t.after(() => (deadSqs.destroy(), deadEvents.destroy()));
  const stranded = relayFor(database, deadSqs, { eventBridge: deadEvents });
  await stranded.relayOnce();
  const row = await database.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
  assert.equal(row.sent_at, null);
  assert.equal(Number(row.attempts), 1);
  assert.match(row.last_error ?? '', /.+/);

  await database.db.updateTable('outbox').set({ next_attempt_at: new Date(0).toISOString() }).execute();
  assert.equal(await relayFor(database, broker.sqs, broker).drain(), 1);
  assert.equal((await receiveAll(broker.sqs, queue.url, 1)).length, 1);
});

test('a relay that dies between publishing and marking sent publishes again, and the inbox applies the effect once', async (t) => {
  const broker = await startTestBroker(t);
  const { sqs } = broker;
  const database = await outboxDatabase(t);
  const queue = await newQueue(sqs);
  await addToOutbox(database.db, [{ queueMessage: { queue: queue.name, body: '{"pay":"once"}', eventType: 'test_message' } }]);

  // The first relay publishes, then "crashes" before it can mark the row sent.
  const crashing = relayFor(database, sqs, broker, { leaseSeconds: 1 });
  (crashing as unknown as { markSent: () => Promise<void> }).markSent = async () => {
    throw new Error('killed before marking sent');
  };
  await assert.rejects(crashing.relayOnce(), /killed before marking sent/);
  assert.equal(await unsent(database.db), 1);
  // Its lease runs out; a fresh relay finds the row and publishes it again.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal(await relayFor(database, sqs, broker).drain(), 1);

  const delivered: string[] = [];
  const consumer = startQueueConsumer({
    sqs,
    queueUrl: queue.url,
    log,
    waitTimeSeconds: 1,
    handler: async (message) => {
      delivered.push(stableMessageId(message));
      await handleOnce(database.db, 'test-consumer', stableMessageId(message), async (trx) => {
        await trx.insertInto('effects').values({ message_id: stableMessageId(message) }).execute();
      });
    },
  });
  t.after(() => consumer.stop());
  const deadline = Date.now() + 15_000;
  while (delivered.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

  assert.equal(delivered.length, 2, 'the message was delivered twice');
  assert.equal(delivered[0], delivered[1], 'both copies carry the same stable id');
  const effects = await database.db.selectFrom('effects').selectAll().execute();
  assert.equal(effects.length, 1, 'and its effect was applied once');
  assert.equal(toReceived({ MessageId: 'x', Body: '{}', MessageAttributes: { message_id: { DataType: 'String', StringValue: 'stable' } } }).id, 'stable');
});

test('rows handed over after their commit are published at once, in order, without a claim; a poll meanwhile leaves them alone', async (t) => {
  const broker = await startTestBroker(t);
  const { sqs } = broker;
  const database = await outboxDatabase(t);
  const queue = await newQueue(sqs);
  const relay = relayFor(database, sqs, broker);
  relay.start();
  t.after(() => relay.stop());

  const written = await database.db.transaction().execute((trx) =>
    addToOutbox(trx, Array.from({ length: 12 }, (_, i) => ({ queueMessage: { queue: queue.name, body: `{"n":${i}}`, eventType: 'test_message' } })), undefined, { handOff: true }),
  );
  // Born leased to the writer's relay: a poll (this one, or another replica's) does not take them.
  assert.deepEqual(await relayFor(database, sqs, broker).relayOnce(), { claimed: 0, sent: 0 });
  relay.handOff(written);
  const messages = await receiveAll(sqs, queue.url, 12);
  assert.deepEqual(messages.map((m) => JSON.parse(m.Body!).n).sort((a: number, b: number) => a - b), Array.from({ length: 12 }, (_, i) => i));
  for (const deadline = Date.now() + 5000; (await unsent(database.db)) > 0; ) {
    assert.ok(Date.now() < deadline, 'the sent marks follow');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});

test('rows written for a hand-over that never came (the writer died) go out with a poll once their lease is over', async (t) => {
  const broker = await startTestBroker(t);
  const { sqs } = broker;
  const database = await outboxDatabase(t);
  const queue = await newQueue(sqs);
  await addToOutbox(database.db, [{ queueMessage: { queue: queue.name, body: '{"orphan":true}', eventType: 'test_message' } }], undefined, { handOff: true });
  const relay = relayFor(database, sqs, broker);
  assert.equal(await relay.drain(), 0, 'still leased to the writer');
  await database.db.updateTable('outbox').set({ next_attempt_at: new Date(Date.now() - 1).toISOString() }).execute();
  assert.equal(await relay.drain(), 1);
  assert.equal((await receiveAll(sqs, queue.url, 1)).length, 1);
});
