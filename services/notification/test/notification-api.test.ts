import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { testDatabases } from '../../../test/support/databases.ts';
import { buildNotificationService } from '../app.ts';
import { notificationBatchHandler } from '../consumer.ts';
import { LiveFeed } from '../live-feed.ts';
import { notificationDatabase, silentLog, TRANSACTION_EVENTS, transactionEvent, untraced } from './support.ts';

const [sqlite] = await testDatabases();

async function service(t: TestContext) {
  const database = await notificationDatabase(t, sqlite!);
  const feed = new LiveFeed();
  const app = buildNotificationService({ database, feed, log: silentLog });
  t.after(() => app.close());
  const deliver = (...messages: ReturnType<typeof transactionEvent>[]) => notificationBatchHandler(database.db, feed)(messages, untraced);
  return { app, feed, deliver };
}

test("a user's notifications come newest first with the unread count, and unread_only leaves out the read ones", async (t) => {
  const { app, deliver } = await service(t);
  await deliver(transactionEvent(TRANSACTION_EVENTS.completed, { amountMinor: '100' }));
  await deliver(transactionEvent(TRANSACTION_EVENTS.completed, { amountMinor: '200' }));
  const all = await app.inject({ method: 'GET', url: '/users/alice/notifications' });
  assert.equal(all.statusCode, 200);
  const body = all.json() as { notifications: Array<{ id: string; body: string; read: boolean }>; unread_count: number };
  assert.deepEqual(body.notifications.map((n) => n.body), ['You sent 2.00 USD.', 'You sent 1.00 USD.']);
  assert.equal(body.unread_count, 2);

  const marked = await app.inject({ method: 'POST', url: '/users/alice/notifications/read', payload: { ids: [body.notifications[1]!.id] } });
  assert.deepEqual(marked.json(), { marked: 1 });
  const unread = (await app.inject({ method: 'GET', url: '/users/alice/notifications?unread_only=true' })).json() as typeof body;
  assert.deepEqual(unread.notifications.map((n) => n.body), ['You sent 2.00 USD.']);
  assert.equal(unread.unread_count, 1);
  const limited = (await app.inject({ method: 'GET', url: '/users/alice/notifications?limit=1' })).json() as typeof body;
  assert.equal(limited.notifications.length, 1);
});

test("marking read touches only that user's notifications: named ones, or all of them without ids", async (t) => {
  const { app, deliver } = await service(t);
  await deliver(transactionEvent(TRANSACTION_EVENTS.completed), transactionEvent(TRANSACTION_EVENTS.completed));
  const bobs = (await app.inject({ method: 'GET', url: '/users/bob/notifications' })).json() as { notifications: Array<{ id: string }> };
  // Bob's ids under Alice's path change nothing.
  assert.deepEqual((await app.inject({ method: 'POST', url: '/users/alice/notifications/read', payload: { ids: bobs.notifications.map((n) => n.id) } })).json(), { marked: 0 });
  assert.deepEqual((await app.inject({ method: 'POST', url: '/users/alice/notifications/read', payload: { ids: [] } })).json(), { marked: 0 });
  // Without ids (the gateway sends an empty object): all of Alice's.
  assert.deepEqual((await app.inject({ method: 'POST', url: '/users/alice/notifications/read', payload: {} })).json(), { marked: 2 });
  assert.deepEqual((await app.inject({ method: 'POST', url: '/users/alice/notifications/read', payload: {} })).json(), { marked: 0 });
  const bob = (await app.inject({ method: 'GET', url: '/users/bob/notifications' })).json() as { unread_count: number };
  assert.equal(bob.unread_count, 2);
});

test('bad input is a 400 problem, never a 500', async (t) => {
  const { app } = await service(t);
  for (const request of [
    { method: 'GET' as const, url: '/users/alice/notifications?limit=101' },
    { method: 'GET' as const, url: '/users/alice/notifications?limit=0' },
    { method: 'GET' as const, url: '/users/alice/notifications?unread_only=maybe' },
    { method: 'POST' as const, url: '/users/alice/notifications/read', payload: { ids: [{ id: 'n1' }] } },
    { method: 'POST' as const, url: '/users/alice/notifications/read', payload: { ids: ['x'.repeat(65)] } },
    { method: 'POST' as const, url: '/users/alice/notifications/read', payload: { ids: Array.from({ length: 501 }, (_, i) => `n${i}`) } },
  ]) {
    const response = await app.inject(request);
    assert.equal(response.statusCode, 400, `${request.method} ${request.url} ${JSON.stringify(request.payload ?? '')}`);
    assert.match(response.headers['content-type'] as string, /application\/problem\+json/);
  }
  // A user id longer than any the gateway sends is refused by the router: not found, not a crash.
  assert.equal((await app.inject({ method: 'GET', url: `/users/${'x'.repeat(200)}/notifications` })).statusCode, 404);
});

test('the stream sends every new notification, once stored, as a server-sent event tagged with its user', async (t) => {
  const { app, deliver } = await service(t);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const controller = new AbortController();
  t.after(() => controller.abort());
  const response = await fetch(`${address}/stream`, { signal: controller.signal });
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let received = '';
  const events = async (count: number) => {
    while ((received.match(/^data: /gm) ?? []).length < count) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended');
      received += value;
    }
    return [...received.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!) as { user_id: string; notification: { kind: string } });
  };
  await deliver(transactionEvent(TRANSACTION_EVENTS.completed));
  const pushed = await events(2);
  assert.deepEqual(pushed.map((p) => [p.user_id, p.notification.kind]).sort(), [['alice', 'payment_sent'], ['bob', 'payment_received']]);
  controller.abort();
});
