import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import type { ReceivedMessage } from '../../../messaging/queue-consumer.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { buildAuditService } from '../app.ts';
import { auditBatchHandler } from '../consumer.ts';
import { openAuditDatabase } from '../database.ts';

const [sqlite] = await testDatabases();

async function service(t: TestContext) {
  const { config, cleanup } = await sqlite!.create();
  const database = await openAuditDatabase(config);
  const app = buildAuditService({ database, log: pino({ level: 'silent' }) });
  t.after(async () => {
    await app.close();
    await database.close();
    await cleanup();
  });
  return { app, database, record: auditBatchHandler(database) };
}

function event(detailType: string, source: string, detail: Record<string, unknown>): ReceivedMessage {
  const body = JSON.stringify({ version: '0', id: randomUUID(), 'detail-type': detailType, source, time: '2026-12-07T10:00:00Z', region: 'us-east-1', resources: [], detail });
  const id = randomUUID();
  return { id, sqsMessageId: id, body, attributes: {}, eventType: undefined, receiveCount: 1, raw: { MessageId: id, Body: body } };
}

const untraced = <T>(_message: ReceivedMessage, work: () => Promise<T>) => work();

test('every event on audit-logs is recorded with who caused it, newest first, and the chain verifies', async (t) => {
  const { app, record } = await service(t);
  const outcomes = await record(
    [
      event('User registered', 'paypal-clone.user-service', { event_id: randomUUID(), user_id: 'u-1' }),
      event('Transaction completed', 'paypal-clone.transaction-service', { event_id: randomUUID(), transaction_id: 't-1', sender_id: 'u-1', receiver_id: 'u-2' }),
      event('Operator action', 'paypal-clone.operations', { event_id: randomUUID(), actor: 'op-1', sender_id: 'u-9' }),
    ],
    untraced,
  );
  assert.deepEqual(outcomes, [undefined, undefined, undefined]);
  const records = (await app.inject({ method: 'GET', url: '/audit/records?limit=10' })).json() as { records: Array<{ seq: string; actor: string; detail_type: string; occurred_at: string }> };
  assert.deepEqual(records.records.map((r) => [r.seq, r.detail_type, r.actor]), [
    ['3', 'Operator action', 'op-1'],
    ['2', 'Transaction completed', 'u-1'],
    ['1', 'User registered', 'u-1'],
  ]);
  assert.equal(records.records[0]!.occurred_at, '2026-12-07T10:00:00Z', 'when it happened is the event time, not when it was recorded');
  assert.deepEqual((await app.inject({ method: 'GET', url: '/audit/verify' })).json(), { ok: true, records: 3 });
});

test('a message that is not an event fails alone; the batch around it is recorded once, redelivered or not', async (t) => {
  const { app, record } = await service(t);
  const good = event('Transaction failed', 'paypal-clone.transaction-service', { event_id: randomUUID(), sender_id: 'u-1' });
  const outcomes = await record([{ ...good, id: 'bad', sqsMessageId: 'bad', body: '{"detail-type": 7' }, good], untraced);
  assert.ok(outcomes[0] instanceof Error);
  assert.equal(outcomes[1], undefined);
  await record([good], untraced);
  assert.deepEqual((await app.inject({ method: 'GET', url: '/audit/verify' })).json(), { ok: true, records: 1 });
});

test('a records page out of range is a 400 problem', async (t) => {
  const { app } = await service(t);
  for (const limit of ['0', '501', 'many']) {
    const response = await app.inject({ method: 'GET', url: `/audit/records?limit=${limit}` });
    assert.equal(response.statusCode, 400, limit);
    assert.match(response.headers['content-type'] as string, /application\/problem\+json/);
  }
});
