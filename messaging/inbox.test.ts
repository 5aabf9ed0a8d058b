import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message } from '@aws-sdk/client-sqs';
import { openDatabase } from '../storage/database.ts';
import { migrateToLatest } from '../storage/migrate.ts';
import { testDatabases } from '../test/support/databases.ts';
import { inboxBatchHandler } from './inbox.ts';
import { outboxInboxMigration, type OutboxTables } from './outbox-schema.ts';
import { toReceived, type TraceMessage } from './queue-consumer.ts';

type Schema = OutboxTables & { effects: { message_id: string; n: number } };

const message = (id: string, body: unknown): Message => ({
  MessageId: `sqs-${id}`,
  ReceiptHandle: `rh-${id}`,
  Body: JSON.stringify(body),
  MessageAttributes: { message_id: { DataType: 'String', StringValue: id } },
});

/** The spans are the consumer's business; here each message's work just runs. */
const untraced: TraceMessage = (_message, work) => work();

for (const database of await testDatabases()) {
  describe(`a consumer's inbox batch on ${database.name}`, { skip: database.skip }, () => {
    test('a received batch commits in one transaction, each message once; a failing message fails alone and the others commit', async (t) => {
      const { config, cleanup } = await database.create();
      const { db, close } = await openDatabase<Schema>(config);
      t.after(async () => {
        await close();
        await cleanup();
      });
      await migrateToLatest(db, { '0001_outbox_inbox': outboxInboxMigration });
      await db.schema.createTable('effects').addColumn('message_id', 'text').addColumn('n', 'integer').execute();

      const committed: string[][] = [];
      const handler = inboxBatchHandler<Schema, string>(
        db,
        'test-consumer',
        (m) => {
          const body = JSON.parse(m.body) as { n?: number; skip?: boolean };
          if (body.skip) return undefined;
          if (typeof body.n !== 'number') throw new Error('not a message of ours');
          return {
            messageId: m.id,
            effect: async (trx) => {
              if (body.n === 13) throw new Error('unlucky: this message cannot be applied now');
              await trx.insertInto('effects').values({ message_id: m.id, n: body.n! }).execute();
              return m.id;
            },
          };
        },
        (ids) => committed.push(ids),
      );
      const batch = [message('a', { n: 1 }), message('b', { n: 13 }), message('c', { skip: true }), message('d', 'garbage'), message('e', { n: 5 }), message('a', { n: 1 })].map(toReceived);
      const outcomes = await handler(batch, untraced);

      assert.deepEqual(outcomes.map((o) => (o === undefined ? 'ok' : (o as Error).message)), ['ok', 'unlucky: this message cannot be applied now', 'ok', 'not a message of ours', 'ok', 'ok']);
      assert.deepEqual((await db.selectFrom('effects').select('message_id').orderBy('message_id').execute()).map((r) => r.message_id), ['a', 'e'], 'the duplicate of a applied once');
      assert.deepEqual(committed, [['a', 'e']], 'told once, after the commit, of the new effects only');

      // Redelivered: the applied ones are duplicates now; the one that failed runs again.
      committed.length = 0;
      const again = await handler([message('a', { n: 1 }), message('e', { n: 5 })].map(toReceived), untraced);
      assert.deepEqual(again, [undefined, undefined]);
      assert.deepEqual(committed, []);
      assert.equal((await db.selectFrom('effects').selectAll().execute()).length, 2);
    });
  });
}
