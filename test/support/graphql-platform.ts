import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { NotificationClient } from '../../clients/notification-client.ts';
import { PaymentClient } from '../../clients/payment-client.ts';
import { TransactionClient } from '../../clients/transaction-client.ts';
import { UserClient } from '../../clients/user-client.ts';
import { WalletClient } from '../../clients/wallet-client.ts';
import { TRANSACTION_EVENTS, type TransactionEventDetail } from '../../contracts/events.ts';
import { toDouble } from '../../contracts/money.ts';
import { MemoryLimitCounters } from '../../services/gateway/access-limits.ts';
import { buildGateway } from '../../services/gateway/app.ts';
import { TokenIssuer } from '../../services/gateway/auth.ts';
import type { GatewayGraphQLConfig } from '../../services/gateway/graphql.ts';
import { IdempotencyStore } from '../../services/gateway/idempotency.ts';
import { LiveNotifications } from '../../services/gateway/live-notifications.ts';
import { gatewayMigrations, type GatewaySchema } from '../../services/gateway/migrations/index.ts';
import { buildTransactionService } from '../../services/transaction/app.ts';
import { openTransactionDatabase } from '../../services/transaction/database.ts';
import { recordTransactionEvent } from '../../services/transaction/record.ts';
import { buildUserApp } from '../../services/user/app.ts';
import { openUserDatabase } from '../../services/user/database.ts';
import { PasswordHasher } from '../../services/user/passwords.ts';
import { startWalletService, type WalletService } from '../../services/wallet/server.ts';
import { openDatabase } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';

/*
 * The three subgraphs and the gateway, each a real server on a loopback port,
 * started in-process on temporary SQLite files: the user service's app, the
 * wallet service (gRPC plus its GraphQL listener) and the transaction service.
 * No broker runs: users sign up through the user service's REST API, their
 * wallets are opened and funded in the wallet ledger, and payments are
 * recorded through the transaction service's own event handler. The gateway
 * composes the supergraph from the contract SDL and fetches from the
 * subgraphs over HTTP.
 */

export const silent = pino({ level: 'silent' });
export const JWT_SECRET = 'graphql-test-secret-of-at-least-32-bytes';

/** The user service's profile of a signed-up user. */
export interface Profile {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
}

export interface Person {
  profile: Profile;
  token: string;
}

export interface GraphQLPlatform {
  gatewayUrl: string;
  wallet: WalletService;
  transaction: { address: string; database: Awaited<ReturnType<typeof openTransactionDatabase>>; stop(): Promise<void> };
  tokens: TokenIssuer;
  /** A signed-up user with a wallet per currency (no money yet). */
  person(name: string, currencies?: string[]): Promise<Person & { wallets: Record<string, string> }>;
  fund(walletId: string, minor: bigint): Promise<void>;
  /** Moves money in the ledger and records the payment through the transaction service's own event handler. */
  pay(from: { id: string; walletId: string }, to: { id: string; walletId: string }, minor: bigint, currency: string, status?: string): Promise<string>;
  /** POST /graphql on the gateway; returns the HTTP status and the body. */
  query(token: string | undefined, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; body: GraphQLBody }>;
  /** Stops a subgraph service (the gateway keeps running). */
  stopTransactionService(): Promise<void>;
}

export interface GraphQLBody {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

export async function startGraphQLPlatform(t: TestContext, limits: Partial<Pick<GatewayGraphQLConfig, 'maxDepth' | 'maxCost' | 'introspection'>> = {}): Promise<GraphQLPlatform> {
  // Undone last-first once the test ends: servers stop before their files go.
  const undo: Array<() => unknown> = [];
  t.after(async () => {
    for (const step of undo.reverse()) await step();
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-graphql-'));
  undo.push(() => rmSync(dir, { recursive: true, force: true }));

  const wallet = await startWalletService(
    {
      host: '127.0.0.1',
      port: 0,
      database: { kind: 'sqlite', file: path.join(dir, 'wallet.db') },
      holdTtlSeconds: 900,
      holdSweepIntervalMs: 60_000,
      graphql: { host: '127.0.0.1', port: 0 },
    },
    silent,
  );
  undo.push(() => wallet.stop());

  let transactionStopped = false;
  // The transaction service without its consumer: these tests record events into it directly.
  const transactionDatabase = await openTransactionDatabase({ kind: 'sqlite', file: path.join(dir, 'transaction.db') });
  const transactionApp = buildTransactionService({ database: transactionDatabase, log: silent });
  const transaction = {
    address: await transactionApp.listen({ host: '127.0.0.1', port: 0 }),
    database: transactionDatabase,
    stop: async () => {
      await transactionApp.close();
      await transactionDatabase.close();
    },
  };
  undo.push(() => (transactionStopped ? undefined : transaction.stop()));

  const userDatabase = await openUserDatabase({ kind: 'sqlite', file: path.join(dir, 'user.db') });
  undo.push(() => userDatabase.close());
  // Cheap scrypt: these tests are about the graph, not password hashing.
  const userApp = buildUserApp({ db: userDatabase.db, passwords: new PasswordHasher({ log2N: 10, r: 8, p: 1 }), now: () => new Date(), onOutboxWritten: () => {}, log: silent });
  const userAddress = await userApp.listen({ host: '127.0.0.1', port: 0 });
  undo.push(() => userApp.close());

  const gatewayDb = await openDatabase<GatewaySchema>({ kind: 'sqlite', file: path.join(dir, 'gateway.db') });
  undo.push(() => gatewayDb.close());
  await migrateToLatest(gatewayDb.db, gatewayMigrations);
  const tokens = new TokenIssuer(JWT_SECRET, 900);
  const walletClient = new WalletClient(wallet.address);
  undo.push(() => walletClient.close());
  // Nothing listens on these: the GraphQL tests never call the REST routes that use them.
  const nowhere = 'http://127.0.0.1:9';
  const gateway: FastifyInstance = await buildGateway({
    log: silent,
    tokens,
    idempotency: new IdempotencyStore(gatewayDb),
    users: new UserClient(userAddress),
    wallets: walletClient,
    transactions: new TransactionClient(transaction.address),
    notifications: new NotificationClient(nowhere),
    live: new LiveNotifications(nowhere, silent),
    paymentRouter: undefined,
    paymentClients: (node) => new PaymentClient(nowhere, node),
    rateLimits: { perUser: 100_000, perIp: 100_000, signUps: 100_000, logins: 100_000, loginsPerAccount: 100_000 },
    accessCounters: new MemoryLimitCounters(),
    bodyLimitBytes: 65_536,
    graphql: {
      subgraphUrls: { user: `${userAddress}/graphql`, wallet: `${wallet.graphqlAddress}/graphql`, transaction: `${transaction.address}/graphql` },
      introspection: limits.introspection ?? false,
      maxDepth: limits.maxDepth ?? 8,
      maxCost: limits.maxCost ?? 5000,
      subgraphTimeoutMs: 5000,
    },
  });
  const gatewayUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });
  undo.push(() => gateway.close());

  return {
    gatewayUrl,
    wallet,
    transaction,
    tokens,
    async person(name, currencies = ['USD']) {
      const signUp = { email: `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com`, password: 'correct horse battery', first_name: name, last_name: 'Tester', default_currency: currencies[0]! };
      const response = await fetch(`${userAddress}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signUp) });
      if (response.status !== 201) throw new Error(`sign-up failed with ${response.status}: ${await response.text()}`);
      const profile = (await response.json()) as Profile;
      const wallets: Record<string, string> = {};
      for (const currency of currencies) wallets[currency] = (await wallet.ledger.openWallet({ userId: profile.id, currency })).id;
      return { profile, token: await tokens.issue({ userId: profile.id, role: 'user' }), wallets };
    },
    async fund(walletId, minor) {
      await wallet.ledger.updateBalance({ walletId, amount: { minor }, idempotencyKey: `fund-${randomUUID()}` });
    },
    async pay(from, to, minor, currency, status = 'completed') {
      const id = randomUUID();
      if (status === 'completed') {
        await wallet.ledger.transfer({ fromWalletId: from.walletId, toWalletId: to.walletId, amount: { minor }, idempotencyKey: `pay-${id}` });
      }
      const detail: TransactionEventDetail = {
        transaction_id: id,
        saga_id: id,
        sender_id: from.id,
        receiver_id: to.id,
        amount: toDouble(minor, currency),
        amount_minor: minor.toString(),
        currency,
        status,
        timestamp: new Date().toISOString(),
        sender_wallet_id: from.walletId,
        receiver_wallet_id: to.walletId,
      };
      const detailType = status === 'completed' ? TRANSACTION_EVENTS.completed : TRANSACTION_EVENTS.failed;
      await recordTransactionEvent(transaction.database.db, `event-${id}`, detailType, detail);
      return id;
    },
    async query(token, query, variables, headers = {}) {
      const response = await fetch(`${gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
      });
      return { status: response.status, body: (await response.json()) as GraphQLBody };
    },
    async stopTransactionService() {
      transactionStopped = true;
      await transaction.stop();
    },
  };
}
