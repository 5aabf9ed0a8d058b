import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import pino from 'pino';
import { TRANSACTION_EVENTS, USER_EVENTS } from '../../../contracts/events.ts';
import type { ReceivedMessage } from '../../../messaging/queue-consumer.ts';
import { openDatabase, type Database } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrate.ts';
import type { TestDatabase } from '../../../test/support/databases.ts';
import { notificationMigrations } from '../migrations/index.ts';
import type { NotificationSchema } from '../schema.ts';

export const silentLog = pino({ level: 'silent' });

export async function notificationDatabase(t: TestContext, target: TestDatabase): Promise<Database<NotificationSchema>> {
  const created = await target.create();
  const database = await openDatabase<NotificationSchema>(created.config);
  t.after(async () => {
    await database.close();
    await created.cleanup();
  });
  await migrateToLatest(database.db, notificationMigrations);
  return database;
}

/** A `Transaction <event>` as EventBridge delivers it on the notifications queue. */
export function transactionEvent(detailType: string, fields: { id?: string; sender?: string; receiver?: string; amountMinor?: string; reason?: string; note?: string } = {}): ReceivedMessage {
  const id = fields.id ?? randomUUID();
  return envelope(detailType, 'paypal-clone.transaction-service', {
    event_id: randomUUID(),
    transaction_id: id,
    saga_id: id,
    sender_id: fields.sender ?? 'alice',
    receiver_id: fields.receiver ?? 'bob',
    amount: Number(fields.amountMinor ?? '1250') / 100,
    amount_minor: fields.amountMinor ?? '1250',
    currency: 'USD',
    status: detailType.replace('Transaction ', ''),
    timestamp: new Date().toISOString(),
    ...(fields.reason ? { reason: fields.reason } : {}),
    ...(fields.note ? { note: fields.note } : {}),
  });
}

export function userRegistered(userId: string): ReceivedMessage {
  return envelope(USER_EVENTS.registered, 'paypal-clone.user-service', { event_id: randomUUID(), user_id: userId, email: `${userId}@example.com` });
}

function envelope(detailType: string, source: string, detail: Record<string, unknown>): ReceivedMessage {
  const body = JSON.stringify({ version: '0', id: randomUUID(), 'detail-type': detailType, source, account: '000000000000', time: new Date().toISOString(), region: 'us-east-1', resources: [], detail });
  const sqsMessageId = randomUUID();
  return { id: sqsMessageId, sqsMessageId, body, attributes: {}, eventType: undefined, receiveCount: 1, raw: { MessageId: sqsMessageId, Body: body } };
}

/** The queue consumer's span wrapper, without the span. */
export const untraced = <T>(_message: ReceivedMessage, work: () => Promise<T>) => work();

export { TRANSACTION_EVENTS };
