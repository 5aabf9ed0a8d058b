import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { LiveNotification } from '../../../contracts/notifications.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { notificationBatchHandler } from '../consumer.ts';
import { LiveFeed } from '../live-feed.ts';
import { listNotifications } from '../store.ts';
import { notificationDatabase, TRANSACTION_EVENTS, transactionEvent, untraced, userRegistered } from './support.ts';

for (const target of await testDatabases()) {
  describe(`the notifications consumer on ${target.name}`, { skip: target.skip }, () => {
    test('a completed payment tells the sender and the receiver, with the amount from its minor units and the note', async (t) => {
      const database = await notificationDatabase(t, target);
      const feed = new LiveFeed();
      const pushed: LiveNotification[] = [];
      feed.subscribe((item) => pushed.push(item));
      const outcomes = await notificationBatchHandler(database.db, feed)([transactionEvent(TRANSACTION_EVENTS.completed, { amountMinor: '1250', note: 'lunch' })], untraced);
      assert.deepEqual(outcomes, [undefined]);
      const alice = await listNotifications(database.db, 'alice', { unreadOnly: false, limit: 10 });
      const bob = await listNotifications(database.db, 'bob', { unreadOnly: false, limit: 10 });
      assert.deepEqual(alice.rows.map((n) => [n.kind, n.body]), [['payment_sent', 'You sent 12.50 USD.']]);
      assert.deepEqual(bob.rows.map((n) => [n.kind, n.body]), [['payment_received', 'You received 12.50 USD: lunch']]);
      assert.deepEqual(pushed.map((p) => [p.user_id, p.notification.kind, p.notification.read]).sort(), [['alice', 'payment_sent', false], ['bob', 'payment_received', false]]);
    });

    test('a failed payment tells only the sender, with the reason; a welcome greets a new user; steps no one needs to hear about add nothing', async (t) => {
      const database = await notificationDatabase(t, target);
      const handle = notificationBatchHandler(database.db, new LiveFeed());
      await handle(
        [
          transactionEvent(TRANSACTION_EVENTS.failed, { reason: 'INSUFFICIENT_FUNDS' }),
          transactionEvent(TRANSACTION_EVENTS.fundsReservationRequested),
          transactionEvent(TRANSACTION_EVENTS.fundsReleased),
          userRegistered('carol'),
        ],
        untraced,
      );
      const alice = await listNotifications(database.db, 'alice', { unreadOnly: false, limit: 10 });
      assert.deepEqual(alice.rows.map((n) => [n.kind, n.body]), [['payment_failed', 'Your payment of 12.50 USD failed: INSUFFICIENT_FUNDS']]);
      assert.equal((await listNotifications(database.db, 'bob', { unreadOnly: false, limit: 10 })).rows.length, 0);
      assert.deepEqual((await listNotifications(database.db, 'carol', { unreadOnly: false, limit: 10 })).rows.map((n) => n.kind), ['welcome']);
    });

    test('an event delivered twice, in one batch or in two, is stored and pushed once', async (t) => {
      const database = await notificationDatabase(t, target);
      const feed = new LiveFeed();
      let pushes = 0;
      feed.subscribe(() => pushes++);
      const handle = notificationBatchHandler(database.db, feed);
      const completed = transactionEvent(TRANSACTION_EVENTS.completed, { id: randomUUID() });
      await handle([completed, completed], untraced);
      await handle([completed], untraced);
      assert.equal((await listNotifications(database.db, 'alice', { unreadOnly: false, limit: 10 })).rows.length, 1);
      assert.equal((await listNotifications(database.db, 'bob', { unreadOnly: false, limit: 10 })).rows.length, 1);
      assert.equal(pushes, 2, 'one push per party, none for the redeliveries');
    });

    test('a message that is not an event fails alone: the rest of its batch is stored', async (t) => {
      const database = await notificationDatabase(t, target);
      const good = transactionEvent(TRANSACTION_EVENTS.completed);
      const bad = { ...good, id: randomUUID(), sqsMessageId: randomUUID(), body: 'not json' };
      const outcomes = await notificationBatchHandler(database.db, new LiveFeed())([bad, good], untraced);
      assert.ok(outcomes[0] instanceof Error, 'the bad message is reported failed, for redelivery and then the DLQ');
      assert.equal(outcomes[1], undefined);
      assert.equal((await listNotifications(database.db, 'alice', { unreadOnly: false, limit: 10 })).rows.length, 1);
    });
  });
}
