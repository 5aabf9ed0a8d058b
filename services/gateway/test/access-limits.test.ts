import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { NotificationClient } from '../../../clients/notification-client.ts';
import { PaymentClient } from '../../../clients/payment-client.ts';
import { TransactionClient } from '../../../clients/transaction-client.ts';
import type { UserClient } from '../../../clients/user-client.ts';
import { WalletClient } from '../../../clients/wallet-client.ts';
import { openDatabase } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrate.ts';
import { testDatabases } from '../../../test/support/databases.ts';
import { DatabaseLimitCounters, MemoryLimitCounters, type LimitCounters } from '../access-limits.ts';
import { buildGateway } from '../app.ts';
import { TokenIssuer } from '../auth.ts';
import type { RateLimits } from '../config.ts';
import type { IdempotencyStore } from '../idempotency.ts';
import { LiveNotifications } from '../live-notifications.ts';
import { gatewayMigrations, type GatewaySchema } from '../migrations/index.ts';

const silent = pino({ level: 'silent' });
const nowhere = 'http://127.0.0.1:9';
const LOAD_BALANCER = '10.0.0.5';

/** A user service that knows no one: every login is a 401, so only the limits decide the rest. */
const nobody = { verifyPassword: async () => Promise.reject(new Error('unknown email')) } as unknown as UserClient;

async function gateway(t: TestContext, options: { limits: Partial<RateLimits>; counters?: LimitCounters; trustedProxyHops?: number }): Promise<FastifyInstance> {
  const wallets = new WalletClient('127.0.0.1:9');
  const app = await buildGateway({
    log: silent,
    tokens: new TokenIssuer('access-limits-test-secret-of-at-least-32-bytes', 900),
    idempotency: {} as IdempotencyStore,
    users: nobody,
    wallets,
    transactions: new TransactionClient(nowhere),
    notifications: new NotificationClient(nowhere),
    live: new LiveNotifications(nowhere, silent),
    paymentRouter: undefined,
    paymentClients: (node) => new PaymentClient(nowhere, node),
    rateLimits: { perUser: 1000, perIp: 1000, signUps: 1000, logins: 1000, loginsPerAccount: 1000, ...options.limits },
    accessCounters: options.counters ?? new MemoryLimitCounters(),
    trustedProxyHops: options.trustedProxyHops,
    bodyLimitBytes: 65_536,
  });
  t.after(async () => {
    await app.close();
    wallets.close();
  });
  return app;
}

const login = (app: FastifyInstance, email: string, from: { remoteAddress: string; forwardedFor?: string }) =>
  app.inject({
    method: 'POST',
    url: '/v1/sessions',
    remoteAddress: from.remoteAddress,
    headers: { 'content-type': 'application/json', ...(from.forwardedFor ? { 'x-forwarded-for': from.forwardedFor } : {}) },
    payload: { email, password: 'not the password' },
  });

test('behind the load balancer logins are limited per client address: clients behind it do not share a limit, and a forged X-Forwarded-For entry does not choose the address', async (t) => {
  const app = await gateway(t, { limits: { logins: 3 }, trustedProxyHops: 1 });
  const alice = { remoteAddress: LOAD_BALANCER, forwardedFor: '203.0.113.7' };
  for (let i = 0; i < 3; i++) assert.equal((await login(app, `alice${i}@example.com`, alice)).statusCode, 401, `attempt ${i + 1}`);
  const limited = await login(app, 'alice9@example.com', alice);
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.json().code, 'RATE_LIMITED');
  const retryAfter = Number(limited.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);

  assert.equal((await login(app, 'bob@example.com', { remoteAddress: LOAD_BALANCER, forwardedFor: '203.0.113.8' })).statusCode, 401, 'another client behind the same load balancer');
  // The client sends its own X-Forwarded-For; the load balancer appends the address it saw.
  const forged = await login(app, 'alice10@example.com', { remoteAddress: LOAD_BALANCER, forwardedFor: '198.51.100.1, 203.0.113.7' });
  assert.equal(forged.statusCode, 429, 'the entry the client wrote is not trusted');
});

test('without a trusted proxy the TCP peer is the client: X-Forwarded-For changes nothing', async (t) => {
  const app = await gateway(t, { limits: { logins: 2 } });
  const peer = '192.0.2.10';
  assert.equal((await login(app, 'a@example.com', { remoteAddress: peer, forwardedFor: '203.0.113.1' })).statusCode, 401);
  assert.equal((await login(app, 'b@example.com', { remoteAddress: peer, forwardedFor: '203.0.113.2' })).statusCode, 401);
  assert.equal((await login(app, 'c@example.com', { remoteAddress: peer, forwardedFor: '203.0.113.3' })).statusCode, 429);
});

test('logins to one account are limited from any address, whatever the case of its email', async (t) => {
  const app = await gateway(t, { limits: { loginsPerAccount: 2 }, trustedProxyHops: 1 });
  assert.equal((await login(app, 'carol@example.com', { remoteAddress: LOAD_BALANCER, forwardedFor: '203.0.113.21' })).statusCode, 401);
  assert.equal((await login(app, 'Carol@Example.com', { remoteAddress: LOAD_BALANCER, forwardedFor: '203.0.113.22' })).statusCode, 401);
  assert.equal((await login(app, ' CAROL@example.com', { remoteAddress: LOAD_BALANCER, forwardedFor: '203.0.113.23' })).statusCode, 429, 'brute force from many addresses');
  assert.equal((await login(app, 'dave@example.com', { remoteAddress: LOAD_BALANCER, forwardedFor: '203.0.113.23' })).statusCode, 401, 'other accounts are not affected');
});

test('sign-ups are limited per client address behind the load balancer', async (t) => {
  const app = await gateway(t, { limits: { signUps: 1 }, trustedProxyHops: 1 });
  const signUp = (forwardedFor: string) =>
    app.inject({ method: 'POST', url: '/v1/users', remoteAddress: LOAD_BALANCER, headers: { 'x-forwarded-for': forwardedFor }, payload: { email: 'x' } });
  assert.equal((await signUp('203.0.113.31')).statusCode, 400, 'counted, then refused by its schema');
  assert.equal((await signUp('203.0.113.31')).statusCode, 429);
  assert.equal((await signUp('203.0.113.32')).statusCode, 400, 'another client');
});

for (const target of await testDatabases()) {
  describe(`login counters on ${target.name}`, { skip: target.skip }, () => {
    test('two gateway tasks on one database share the login counters', async (t) => {
      const created = await target.create();
      const database = await openDatabase<GatewaySchema>(created.config);
      t.after(async () => {
        await database.close();
        await created.cleanup();
      });
      await migrateToLatest(database.db, gatewayMigrations);
      const first = await gateway(t, { limits: { logins: 3 }, counters: new DatabaseLimitCounters(database), trustedProxyHops: 1 });
      const second = await gateway(t, { limits: { logins: 3 }, counters: new DatabaseLimitCounters(database), trustedProxyHops: 1 });
      const erin = { remoteAddress: LOAD_BALANCER, forwardedFor: '203.0.113.41' };
      assert.equal((await login(first, 'e1@example.com', erin)).statusCode, 401);
      assert.equal((await login(second, 'e2@example.com', erin)).statusCode, 401);
      assert.equal((await login(first, 'e3@example.com', erin)).statusCode, 401);
      assert.equal((await login(second, 'e4@example.com', erin)).statusCode, 429, 'the fourth attempt, on the other task');
    });

    test('a counter starts again in the next window', async (t) => {
      const created = await target.create();
      const database = await openDatabase<GatewaySchema>(created.config);
      t.after(async () => {
        await database.close();
        await created.cleanup();
      });
      await migrateToLatest(database.db, gatewayMigrations);
      const counters = new DatabaseLimitCounters(database);
      const minute = 60_000;
      const start = 1_800_000_000_000 - (1_800_000_000_000 % minute);
      assert.deepEqual(await counters.hit('login:client:x', minute, start + 10), { count: 1, resetsAt: start + minute });
      assert.deepEqual(await counters.hit('login:client:x', minute, start + 20), { count: 2, resetsAt: start + minute });
      assert.deepEqual(await counters.hit('login:client:x', minute, start + minute + 5), { count: 1, resetsAt: start + 2 * minute });
    });
  });
}
