import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { checkTransactionDetail, transactionEventContract, type TransactionEvent } from '../contracts/avro-transaction-event.ts';
import { AVRO_SUBJECTS, ENCODE_AS_AVRO_ATTRIBUTE, InvalidMessageError, parseAvroSchema, readAvroSchema } from '../contracts/avro.ts';
import { PayMeshError } from '../contracts/errors.ts';
import type { PaymentInitiatedMessage } from '../contracts/events.ts';
import { decodePaymentInitiated, encodePaymentInitiated } from '../contracts/payment-messages.ts';
import { QUEUES } from '../contracts/topology.ts';
import { openDatabase } from '../storage/database.ts';
import { migrateToLatest } from '../storage/migrate.ts';
import { spawnService, type ServiceProcess } from '../test/support/processes.ts';
import { AvroCodec, AvroQueuePublisher, frame, SchemaRegistryClient } from './avro-codec.ts';
import { createEventBridgeClient, createSqsClient, type MessagingConfig } from './aws.ts';
import { OutboxRelay } from './outbox-relay.ts';
import { outboxInboxMigration, type OutboxTables } from './outbox-schema.ts';
import { addToOutbox } from './outbox.ts';
import { toReceived, type ReceivedMessage } from './queue-consumer.ts';
import { QueueDirectory } from './queue-directory.ts';

/*
 * The codec against a real schema registry: its own process on a loopback
 * port with its own SQLite file. The tests share one (registering a schema is
 * idempotent, and no test assumes which ids or versions others created); the
 * outage test kills its own.
 */

const REGISTRY_MAIN = path.join(import.meta.dirname, '..', 'services', 'schema-registry', 'main.ts');
const BROKER_MAIN = path.join(import.meta.dirname, '..', 'services', 'broker', 'main.ts');
const V1 = 'transaction-event.v1.avsc';
const V2 = 'transaction-event.v2.avsc';

async function startRegistry(): Promise<{ process: ServiceProcess & { ready: string }; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-avro-'));
  // Empty database URLs: always this registry's own SQLite file, even where DATABASE_URL is set.
  const env = { DATA_DIR: dir, SCHEMA_REGISTRY_PORT: '0', DATABASE_URL: '', SCHEMA_REGISTRY_DATABASE_URL: '' };
  try {
    const child = await spawnService(REGISTRY_MAIN, env, (line) => (typeof line.address === 'string' ? line.address : undefined));
    return { process: child, stop: async () => (await child.kill(), rmSync(dir, { recursive: true, force: true })) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

let shared: Awaited<ReturnType<typeof startRegistry>> | undefined;
before(async () => {
  shared = await startRegistry();
});
after(() => shared?.stop());
/** The shared registry's URL. */
const registryUrl = () => shared!.process.ready;

/** The id the registry gave a schema file under TransactionEvent (Confluent's lookup). */
async function idOf(url: string, schemaFile: string): Promise<number> {
  const response = await fetch(`${url}/subjects/TransactionEvent`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify({ schema: readAvroSchema(schemaFile) }) });
  assert.equal(response.status, 200, `${schemaFile} is registered`);
  return ((await response.json()) as { id: number }).id;
}

function codec(url: string, schemaFile = V2): AvroCodec<TransactionEvent> {
  return new AvroCodec(new SchemaRegistryClient(url, { timeoutMs: 2000 }), transactionEventContract(schemaFile));
}

function event(overrides: Partial<TransactionEvent> = {}): TransactionEvent {
  return {
    transaction_id: 'pay-1',
    event_type: 'payment_initiated',
    sender_id: 'alice',
    receiver_id: 'bob',
    amount: 10.25,
    currency: 'USD',
    timestamp: 1_700_000_000_000n,
    metadata: { sender_wallet_id: 'w-a' },
    amount_minor: 1025n,
    ...overrides,
  };
}

/** A body exactly as the seed's SQSMessageHandler sends it: Python's json.dumps, a float amount, no metadata. */
function seedBody(fields: Record<string, unknown> = {}): string {
  const message = { event_type: 'payment_initiated', transaction_id: 'pay-seed', sender_id: 'alice', receiver_id: 'bob', amount: 10.25, currency: 'USD', timestamp: '2024-03-01T12:30:00.250000', ...fields };
  return JSON.stringify(message).replace(/","/g, '", "').replace(/":/g, '": ').replace(/,"/g, ', "');
}
/** The seed's only message attributes. */
const SEED_ATTRIBUTES = { event_type: 'payment_initiated', priority: 'high' };

async function rejects(pending: Promise<unknown>, pattern: RegExp, label: string): Promise<void> {
  await assert.rejects(pending, (err: unknown) => {
    assert.ok(err instanceof InvalidMessageError, `${label}: expected InvalidMessageError, got ${String(err)}`);
    assert.match(err.message, pattern, label);
    return true;
  });
}

test('an event round-trips in Confluent framing: magic byte 0, big-endian schema id, Avro binary, base64, content_type attribute', async () => {
  const url = registryUrl();
  const events = codec(url);
  const encoded = await events.encode(event());
  assert.deepEqual(encoded.attributes, { content_type: 'application/vnd.paymesh.avro' });
  const framed = Buffer.from(encoded.body, 'base64');
  assert.equal(framed.readUInt8(0), 0, 'magic byte');
  assert.equal(framed.readUInt32BE(1), await idOf(url, V2), 'the registry id of the writer schema, big-endian');
  assert.deepEqual({ ...events.contract.type.fromBuffer(framed.subarray(5)) }, event(), 'the rest is plain Avro binary of the record');
  assert.deepEqual(await events.decode(encoded), event());
  assert.deepEqual(await events.decode({ body: encoded.body }), event(), 'no attribute: the framing says Avro');
});

test('the decoder refuses bodies it cannot read, with a message error rather than a crash', async () => {
  const url = registryUrl();
  const events = codec(url);
  const avro = { content_type: 'application/vnd.paymesh.avro' };
  await rejects(events.decode({ body: 'not json and not avro' }), /base64/, 'neither JSON nor base64');
  await rejects(events.decode({ body: Buffer.from([1, 0, 0, 0, 1, 2]).toString('base64'), attributes: avro }), /magic byte/, 'wrong magic byte');
  await rejects(events.decode({ body: Buffer.from([0, 0]).toString('base64'), attributes: avro }), /magic byte/, 'too short for a header');
  await rejects(events.decode({ body: frame(4242, Buffer.from([2, 3])).toString('base64'), attributes: avro }), /unknown writer schema/, 'an id the registry never issued');
  const { body } = await events.encode(event());
  await rejects(events.decode({ body: Buffer.from(body, 'base64').subarray(0, 12).toString('base64'), attributes: avro }), /undecodable/, 'truncated Avro');
  await rejects(events.decode({ body, attributes: { content_type: 'text/xml' } }), /unsupported content_type/, 'unknown content type');
  await rejects(events.decode({ body, attributes: { content_type: 'application/json' } }), /not valid JSON/, 'the attribute wins over the framing');
});

test("the seed's own JSON payment_initiated is accepted beside Avro and checked against the same schema", async () => {
  const url = registryUrl();
  const events = codec(url);
  const decoded = await events.decode({ body: seedBody(), attributes: SEED_ATTRIBUTES });
  assert.deepEqual(decoded, {
    transaction_id: 'pay-seed',
    event_type: 'payment_initiated',
    sender_id: 'alice',
    receiver_id: 'bob',
    amount: 10.25,
    currency: 'USD',
    timestamp: BigInt(Date.UTC(2024, 2, 1, 12, 30, 0, 250)),
    metadata: {},
    amount_minor: 1025n,
  });
  assert.equal((await events.decode({ body: seedBody({ timestamp: 1_700_000_000_000 }), attributes: SEED_ATTRIBUTES })).timestamp, 1_700_000_000_000n, 'epoch milliseconds too');
  const asPayment = await decodePaymentInitiated(events, { body: seedBody(), attributes: SEED_ATTRIBUTES });
  assert.deepEqual([asPayment.transaction_id, asPayment.amount_minor, asPayment.currency], ['pay-seed', '1025', 'USD']);

  const refused: Array<[string, string, RegExp]> = [
    ['amount as text', seedBody({ amount: 'ten' }), /amount \("ten" is not double\)/],
    ['no currency', seedBody({ currency: undefined }), /currency \(missing is not string\)/],
    ['unknown currency', seedBody({ currency: 'ABC' }), /not a supported ISO 4217/],
    ['fractional timestamp', seedBody({ timestamp: 1700000000.5 }), /timestamp/],
    ['unreadable timestamp', seedBody({ timestamp: 'yesterday' }), /timestamp 'yesterday'/],
    ['metadata that is not text', seedBody({ metadata: { attempts: 3 } }), /metadata\.attempts/],
    ['empty transaction id', seedBody({ transaction_id: '' }), /transaction_id must not be empty/],
    ['a JSON array', '[1, 2]', /must be an object/],
  ];
  for (const [label, body, pattern] of refused) await rejects(events.decode({ body, attributes: SEED_ATTRIBUTES }), pattern, label);
  await rejects(decodePaymentInitiated(events, { body: seedBody({ event_type: 'payment_completed' }) }), /unexpected event_type/, 'another event on the payment queue');
});

test('a JSON amount converts to minor units only when it is exact in the currency', async () => {
  const url = registryUrl();
  const events = codec(url);
  const exact: Array<[number, string, bigint]> = [
    [10.25, 'USD', 1025n],
    [0.1, 'USD', 10n],
    [12, 'JPY', 12n],
    [1.005, 'KWD', 1005n],
    [99999.99, 'EUR', 9999999n],
  ];
  for (const [amount, currency, minor] of exact) {
    assert.equal((await events.decode({ body: seedBody({ amount, currency }) })).amount_minor, minor, `${amount} ${currency}`);
  }
  const inexact: Array<[number, string]> = [
    [10.255, 'USD'],
    [0.1 + 0.2, 'USD'],
    [100.5, 'JPY'],
    [1e-7, 'EUR'],
    [-5, 'USD'],
  ];
  for (const [amount, currency] of inexact) await rejects(events.decode({ body: seedBody({ amount, currency }) }), /amount/, `${amount} ${currency}`);
  await rejects(events.decode({ body: seedBody({ amount: 10.25, amount_minor: '1026' }) }), /disagrees with amount_minor 1026/, 'double and integer must say the same');
});

test('a service can be upgraded while old messages are in flight: a v2 reader reads what v1 writers sent', async () => {
  const url = registryUrl();
  const oldWriter = codec(url, V1);
  const newReader = codec(url, V2);
  const inFlight = await oldWriter.encode(event({ amount: 7.5, amount_minor: 750n }));
  const read = await newReader.decode(inFlight);
  assert.equal(read.amount_minor, 750n, 'amount_minor, absent from v1 data, comes from the exact double');
  assert.deepEqual(read, event({ amount: 7.5, amount_minor: 750n }));

  // After the upgrade both schemas are registered versions of one subject.
  await newReader.encode(event());
  assert.notEqual(await idOf(url, V1), await idOf(url, V2));

  // An old writer's double that has no exact minor-unit value is refused, not rounded.
  const v1Type = parseAvroSchema(readAvroSchema(V1));
  const inexact = v1Type.toBuffer({ ...event({ amount: 10.255 }) });
  await rejects(newReader.decode({ body: frame(await idOf(url, V1), inexact).toString('base64') }), /more decimal places/, 'inexact v1 double');
});

test('and a reader not yet upgraded (v1) reads what v2 writers send', async () => {
  const url = registryUrl();
  const oldReader = codec(url, V1);
  await oldReader.warmUp();
  const sent = await codec(url, V2).encode(event({ amount: 1234.5, currency: 'EUR', amount_minor: 123450n }));
  assert.deepEqual(await oldReader.decode(sent), event({ amount: 1234.5, currency: 'EUR', amount_minor: 123450n }));
});

test('once warm, a registry outage stops neither encoding nor decoding of known schemas', async (t) => {
  const own = await startRegistry();
  t.after(() => own.stop());
  const registryProcess = own.process;
  const events = codec(registryProcess.ready);
  const known = await events.encode(event());
  await events.decode(known);
  await registryProcess.kill();

  const during = await events.encode(event({ transaction_id: 'pay-2' }));
  assert.equal((await events.decode(during)).transaction_id, 'pay-2');
  assert.equal((await events.decode(known)).transaction_id, 'pay-1');

  // A cold reader cannot learn the schema now: a transient error, so the message is retried, not dead-lettered as poison.
  const cold = codec(registryProcess.ready);
  await assert.rejects(cold.decode(during), (err: unknown) => err instanceof PayMeshError && !(err instanceof InvalidMessageError) && err.code === 'SCHEMA_REGISTRY_UNAVAILABLE');
  await assert.rejects(cold.encode(event()), (err: unknown) => err instanceof PayMeshError && err.code === 'SCHEMA_REGISTRY_UNAVAILABLE');
});

function initiated(overrides: Partial<PaymentInitiatedMessage> = {}): PaymentInitiatedMessage {
  return { event_type: 'payment_initiated', transaction_id: 'pay-9', sender_id: 'alice', receiver_id: 'bob', amount: 42.1, amount_minor: '4210', currency: 'USD', timestamp: 1_700_000_000_000, metadata: { accepted_by: 'v1' }, ...overrides };
}

/** The embedded broker as its own process, with the topology applied and its own SQLite file. */
async function startBroker(t: TestContext): Promise<MessagingConfig> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-avro-broker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { DATA_DIR: dir, BROKER_PORT: '0', DATABASE_URL: '', BROKER_DATABASE_URL: '' };
  const broker = await spawnService(BROKER_MAIN, env, (line) => (typeof line.address === 'string' ? line.address : undefined));
  t.after(() => broker.kill());
  return { region: 'us-east-1', endpoint: `http://${broker.ready}`, embedded: true };
}

test("payment_initiated leaves the outbox as Avro through the relay, and a seed client's JSON on the same queue is read too", async (t) => {
  const url = registryUrl();
  const messaging = await startBroker(t);
  const sqs = createSqsClient(messaging);
  const eventBridge = createEventBridgeClient(messaging);
  t.after(() => (sqs.destroy(), eventBridge.destroy()));
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-avro-outbox-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const database = await openDatabase<OutboxTables>({ kind: 'sqlite', file: path.join(dir, 'outbox.db') });
  t.after(() => database.close());
  await migrateToLatest(database.db, { '0001_outbox': outboxInboxMigration });

  // What the payment service writes in its transaction: the checked JSON draft, plus a plain JSON message and a corrupted draft.
  const draft = encodePaymentInitiated(initiated());
  assert.equal(draft.attributes[ENCODE_AS_AVRO_ATTRIBUTE], AVRO_SUBJECTS.transactionEvent.subject);
  const queue = QUEUES.paymentProcessing;
  const [, , corrupted] = await addToOutbox(database.db, [
    { queueMessage: { queue, body: draft.body, eventType: 'payment_initiated', priority: 'high', attributes: draft.attributes } },
    { queueMessage: { queue, body: '{"plain":"json"}', eventType: 'something_else', attributes: { content_type: 'application/json' } } },
    { queueMessage: { queue, body: draft.body.replace('"amount":42.1', '"amount":42.2'), eventType: 'payment_initiated', attributes: draft.attributes } },
  ]);
  const directory = new QueueDirectory(sqs);
  const relay = new OutboxRelay({ database, queues: new AvroQueuePublisher(sqs, directory, [codec(url)]), eventBridge, log: pino({ level: 'silent' }), service: 'avro-test' });
  assert.equal((await relay.relayOnce()).sent, 2);
  const held = await database.db.selectFrom('outbox').select(['id', 'last_error']).where('sent_at', 'is', null).execute();
  assert.deepEqual(held.map((r) => r.id), [corrupted!.id], 'a corrupted draft is held back alone, for the relay to retry and operators to see');
  assert.match(held[0]!.last_error ?? '', /INVALID_MESSAGE/);

  // A seed-style client sends straight to the queue: json.dumps body, only the seed's attributes.
  const queueUrl = await directory.url(queue);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: seedBody(),
      MessageAttributes: { event_type: { DataType: 'String', StringValue: 'payment_initiated' }, priority: { DataType: 'String', StringValue: 'high' } },
    }),
  );

  const received: ReceivedMessage[] = [];
  while (received.length < 3) {
    const batch = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    received.push(...(batch.Messages ?? []).map(toReceived));
  }
  const byType = (type: string | undefined) => received.filter((m) => m.attributes.content_type === type);
  const [avroMessage] = byType('application/vnd.paymesh.avro');
  assert.ok(avroMessage, 'the draft went out as Avro');
  assert.equal(avroMessage.attributes[ENCODE_AS_AVRO_ATTRIBUTE], undefined, 'the draft-only marker does not travel');
  assert.deepEqual([avroMessage.eventType, avroMessage.attributes.priority], ['payment_initiated', 'high']);
  assert.equal(Buffer.from(avroMessage.body, 'base64').readUInt8(0), 0);
  assert.equal(byType('application/json')[0]?.body, '{"plain":"json"}', 'messages without the marker are sent as they are');

  // A consumer that has never seen the writer schema reads both kinds of payment_initiated.
  const consumer = codec(url);
  assert.deepEqual(await decodePaymentInitiated(consumer, avroMessage), initiated());
  const fromSeed = await decodePaymentInitiated(consumer, byType(undefined)[0]!);
  assert.deepEqual([fromSeed.transaction_id, fromSeed.amount_minor, fromSeed.currency], ['pay-seed', '1025', 'USD']);
});

test('drafts are checked when written, so a wrong payment_initiated never enters the outbox', () => {
  assert.throws(() => encodePaymentInitiated(initiated({ amount: 42.11 })), /disagrees with amount_minor/);
  assert.throws(() => encodePaymentInitiated(initiated({ amount_minor: '' })), /amount_minor must be digits/);
  assert.throws(() => encodePaymentInitiated(initiated({ currency: 'usd' })), InvalidMessageError);
  assert.throws(() => encodePaymentInitiated(initiated({ amount: 0, amount_minor: '0' })), /greater than zero/);
});

test('EventBridge Transaction details stay JSON but are checked against the same schema', () => {
  const detail = {
    transaction_id: 'pay-3',
    saga_id: 'pay-3',
    sender_id: 'alice',
    receiver_id: 'bob',
    amount: 5.5,
    amount_minor: '550',
    currency: 'GBP',
    status: 'completed',
    timestamp: '2024-03-01T12:30:00.000Z',
    sender_wallet_id: 'w-a',
    receiver_wallet_id: 'w-b',
    hold_id: undefined,
  };
  const checked = checkTransactionDetail('Transaction completed', detail);
  assert.equal(checked.event_type, 'completed');
  assert.equal(checked.amount_minor, 550n);
  assert.deepEqual(checked.metadata, { saga_id: 'pay-3', status: 'completed', sender_wallet_id: 'w-a', receiver_wallet_id: 'w-b' });
  assert.throws(() => checkTransactionDetail('Transaction completed', { ...detail, amount: 5.51 }), /disagrees/);
  assert.throws(() => checkTransactionDetail('Transaction completed', { ...detail, amount_minor: undefined, amount: 5.555 }), /more decimal places/);
  assert.throws(() => checkTransactionDetail('Transaction completed', { ...detail, currency: undefined }), /currency/);
  assert.throws(() => checkTransactionDetail('Transaction completed', { ...detail, attempts: 2 }), /detail\.attempts must be text/);
  assert.throws(() => checkTransactionDetail('User registered', detail), /not a Transaction <event>/);
});
