import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { SOURCES, TRANSACTION_EVENTS } from '../../../contracts/events.ts';
import type { ReceivedMessage } from '../../../messaging/queue-consumer.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { transactionEventsBatchHandler } from '../consumer.ts';
import { openTransactionDatabase } from '../database.ts';

function envelope(source: string, detailType: string, detail: Record<string, unknown>): ReceivedMessage {
  const body = JSON.stringify({ version: '0', id: randomUUID(), 'detail-type': detailType, source, time: new Date().toISOString(), region: 'us-east-1', resources: [], detail });
  const id = randomUUID();
  return { id, sqsMessageId: id, body, attributes: {}, eventType: undefined, receiveCount: 1, raw: { MessageId: id, Body: body } };
}

const untraced = <T>(_message: ReceivedMessage, work: () => Promise<T>) => work();

test('the transaction-events consumer records transaction events once each and leaves other sources alone', async (t) => {
  const [sqlite] = await testDatabases();
  const { config, cleanup } = await sqlite!.create();
  const database = await openTransactionDatabase(config);
  t.after(async () => {
    await database.close();
    await cleanup();
  });
  const id = randomUUID();
  const detail = { event_id: randomUUID(), transaction_id: id, sender_id: 'alice', receiver_id: 'bob', amount: 5, amount_minor: '500', currency: 'EUR', status: 'completed', timestamp: new Date().toISOString() };
  const completed = envelope(SOURCES.transaction, TRANSACTION_EVENTS.completed, detail);
  const foreign = envelope(SOURCES.payment, TRANSACTION_EVENTS.completed, { ...detail, transaction_id: randomUUID(), event_id: randomUUID() });
  const handle = transactionEventsBatchHandler(database.db);
  assert.deepEqual(await handle([completed, foreign, completed], untraced), [undefined, undefined, undefined]);
  await handle([completed], untraced);
  const records = await database.db.selectFrom('transactions').select(['id', 'status', 'amount']).execute();
  assert.deepEqual(records.map((r) => [r.id, r.status, BigInt(r.amount)]), [[id, 'completed', 500n]]);
  assert.equal((await database.db.selectFrom('transaction_events').selectAll().execute()).length, 1);
});
