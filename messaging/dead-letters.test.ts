import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { transactionEventContract } from '../contracts/avro-transaction-event.ts';
import { CONTENT_TYPES } from '../contracts/avro.ts';
import { openDatabase } from '../storage/database.ts';
import { migrateToLatest } from '../storage/migrate.ts';
import { startTestBroker } from '../test/support/broker.ts';
import { frame } from './avro-codec.ts';
import { deleteDeadLetter, displayBody, peekDeadLetters, redriveDeadLetter, takeDeadLetters } from './dead-letters.ts';
import { DlqHandler, REDRIVES_ATTRIBUTE } from './dlq-handler.ts';
import { ParkedMessages, parkedMessagesMigration, type ParkedMessageTables } from './parked-messages.ts';
import { QueueDirectory } from './queue-directory.ts';
import { ATTR, QueuePublisher } from './queue-publisher.ts';

const log = pino({ level: 'silent' });

async function queuePair(sqs: SQSClient) {
  const directory = new QueueDirectory(sqs);
  const source = `src-${randomUUID().slice(0, 8)}`;
  const dlq = `${source}-dlq`;
  await sqs.send(new CreateQueueCommand({ QueueName: source }));
  await sqs.send(new CreateQueueCommand({ QueueName: dlq }));
  return { directory, source, dlq, sourceUrl: await directory.url(source), dlqUrl: await directory.url(dlq), publisher: new QueuePublisher(sqs, directory) };
}

async function counts(sqs: SQSClient, url: string) {
  const { Attributes: a = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return { visible: Number(a.ApproximateNumberOfMessages), hidden: Number(a.ApproximateNumberOfMessagesNotVisible) };
}

async function parkedStore(t: TestContext) {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-parked-'));
  const database = await openDatabase<ParkedMessageTables>({ kind: 'sqlite', file: path.join(dir, 'parked.db') });
  t.after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrateToLatest(database.db, { '0001_parked_messages': parkedMessagesMigration });
  return new ParkedMessages(database.db);
}

test('browsing a dead-letter queue shows every visible message with its attributes and leaves them all visible', async (t) => {
  const { sqs } = await startTestBroker(t);
  const { dlq, dlqUrl, publisher } = await queuePair(sqs);
  const sent = [];
  for (let i = 0; i < 13; i++) sent.push(await publisher.send(dlq, { body: JSON.stringify({ n: i }), eventType: 'payment_initiated' }));

  const seen = await peekDeadLetters(sqs, dlqUrl);
  assert.equal(seen.length, 13, 'more than one receive batch, none seen twice');
  assert.equal(new Set(seen.map((m) => m.messageId)).size, 13);
  assert.deepEqual(new Set(seen.map((m) => m.attributes[ATTR.messageId]?.StringValue)), new Set(sent));
  assert.ok(seen.every((m) => m.eventType === 'payment_initiated' && m.receiveCount === 1 && m.sentAt));
  assert.deepEqual(await counts(sqs, dlqUrl), { visible: 13, hidden: 0 }, 'handed back at once');
  assert.equal((await peekDeadLetters(sqs, dlqUrl, 5)).length, 5, 'a limit is a limit');
});

test('a redriven message goes back to its source queue without the handler redrive count, and leaves the DLQ', async (t) => {
  const { sqs } = await startTestBroker(t);
  const { dlq, dlqUrl, sourceUrl, publisher } = await queuePair(sqs);
  await publisher.send(dlq, { body: '{"keep":true}', eventType: 'payment_initiated', attributes: { [REDRIVES_ATTRIBUTE]: '3' } });
  const other = await publisher.send(dlq, { body: '{"other":true}', eventType: 'payment_initiated' });
  const [target] = (await peekDeadLetters(sqs, dlqUrl)).filter((m) => m.body === '{"keep":true}');

  const taken = await takeDeadLetters(sqs, dlqUrl, [target!.messageId]);
  assert.deepEqual([...taken.keys()], [target!.messageId]);
  await redriveDeadLetter(sqs, { deadLetterQueue: dlq, deadLetterQueueUrl: dlqUrl, sourceQueueUrl: sourceUrl }, taken.get(target!.messageId)!);

  assert.deepEqual(await counts(sqs, dlqUrl), { visible: 1, hidden: 0 }, 'only the other message is left, visible');
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: sourceUrl, MessageAttributeNames: ['All'] }));
  assert.equal(Messages.length, 1);
  assert.equal(Messages[0]!.Body, '{"keep":true}');
  assert.equal(Messages[0]!.MessageAttributes?.[REDRIVES_ATTRIBUTE], undefined);
  assert.equal(Messages[0]!.MessageAttributes?.[ATTR.eventType]?.StringValue, 'payment_initiated');

  const [left] = await peekDeadLetters(sqs, dlqUrl);
  assert.equal(left!.attributes[ATTR.messageId]?.StringValue, other);
  const again = await takeDeadLetters(sqs, dlqUrl, [left!.messageId, 'no-such-message']);
  await deleteDeadLetter(sqs, dlqUrl, again.get(left!.messageId)!.receiptHandle);
  assert.deepEqual(await counts(sqs, dlqUrl), { visible: 0, hidden: 0 });
});

test('what the DLQ handler parks is written down, and its receipt handle redrives the message while it is hidden', async (t) => {
  const { sqs } = await startTestBroker(t);
  const { directory, source, dlq, dlqUrl, sourceUrl, publisher } = await queuePair(sqs);
  const parked = await parkedStore(t);
  const handler = new DlqHandler({ sqs, directory, deadLetterQueue: dlq, sourceQueue: source, log, alert: async () => {}, parked, classify: () => ({ class: 'permanent', reason: 'body is not a payment' }) });
  await publisher.send(dlq, { body: 'broken', eventType: 'payment_initiated' });

  assert.deepEqual(await handler.drainOnce(), { redriven: 0, alerted: 1 });
  assert.deepEqual(await counts(sqs, dlqUrl), { visible: 0, hidden: 1 });
  assert.deepEqual(await peekDeadLetters(sqs, dlqUrl), [], 'a parked message cannot be seen by receiving');
  const [record] = await parked.list(dlq);
  assert.equal(record!.reason, 'body is not a payment');
  assert.equal(record!.source_queue, source);
  assert.equal(record!.body, 'broken');
  assert.equal(record!.event_type, 'payment_initiated');
  assert.equal(record!.receive_count, 1);
  assert.ok(Date.parse(record!.parked_until) - Date.parse(record!.parked_at) > 11 * 3600 * 1000);
  assert.deepEqual(await parked.summary(), [{ queue: dlq, parked: 1, oldest: record!.sent_at }]);

  // Parked again (after it became visible): one record, refreshed.
  await parked.record({ ...record!, receipt_handle: record!.receipt_handle, reason: 'still broken' });
  assert.deepEqual((await parked.list()).map((r) => r.reason), ['still broken']);

  await redriveDeadLetter(sqs, { deadLetterQueue: dlq, deadLetterQueueUrl: dlqUrl, sourceQueueUrl: sourceUrl }, {
    messageId: record!.message_id,
    body: record!.body,
    attributes: JSON.parse(record!.attributes),
    receiptHandle: record!.receipt_handle,
  });
  assert.equal(await parked.forget(dlq, record!.message_id), true);
  assert.deepEqual(await counts(sqs, dlqUrl), { visible: 0, hidden: 0 }, 'deleted from the DLQ while in flight');
  assert.deepEqual(await counts(sqs, sourceUrl), { visible: 1, hidden: 0 });
  assert.deepEqual(await parked.list(), []);
  assert.equal(await parked.forget(dlq, record!.message_id), false);
});

test('bodies are shown decoded: framed Avro with the writer schema, JSON, and anything else as text', async () => {
  const contract = transactionEventContract();
  const record = {
    event_type: 'payment_initiated',
    transaction_id: randomUUID(),
    sender_id: 'u1',
    receiver_id: 'u2',
    amount: 12.5,
    amount_minor: '1250',
    currency: 'USD',
    timestamp: Date.now(),
    metadata: {},
  };
  const avroBody = frame(7, contract.type.toBuffer(contract.record(contract.fromJson(JSON.stringify(record))))).toString('base64');
  const schemas = async (id: number) => {
    assert.equal(id, 7);
    return contract.schema;
  };
  const shown = await displayBody(avroBody, { [ATTR.contentType]: CONTENT_TYPES.avro }, schemas);
  assert.equal(shown.format, 'avro');
  assert.equal(shown.schemaId, 7);
  assert.equal((shown.value as { transaction_id: string }).transaction_id, record.transaction_id);
  assert.equal((shown.value as { amount_minor: string }).amount_minor, '1250');
  assert.doesNotThrow(() => JSON.stringify(shown.value), 'longs are shown as text, not bigints');
  assert.equal((await displayBody(avroBody, {}, schemas)).format, 'avro', 'recognised by its framing without the attribute');

  const unknownSchema = await displayBody(avroBody, {}, async () => {
    throw new Error('registry down');
  });
  assert.deepEqual([unknownSchema.format, unknownSchema.value], ['avro', avroBody]);
  assert.match(unknownSchema.error!, /writer schema 7: registry down/);

  assert.deepEqual(await displayBody('{"a":1}', {}, schemas), { format: 'json', value: { a: 1 } });
  assert.deepEqual(await displayBody('broken', {}, schemas), { format: 'text', value: 'broken' });
});
