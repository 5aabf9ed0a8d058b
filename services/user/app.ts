import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createHttpApp } from '../../core/http-app.ts';
import { createEventBridgeClient, createSqsClient, type MessagingConfig } from '../../messaging/aws.ts';
import { OutboxRelay } from '../../messaging/outbox-relay.ts';
import type { OutboxRow } from '../../messaging/outbox-schema.ts';
import { QueueDirectory } from '../../messaging/queue-directory.ts';
import { QueuePublisher } from '../../messaging/queue-publisher.ts';
import { openDatabase, sql, type Database, type DatabaseConfig } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import type { UserConfig } from './config.ts';
import { mountUserSubgraph, usersTable } from './graphql.ts';
import { userMigrations } from './migrations/index.ts';
import { PasswordHasher } from './passwords.ts';
import { userAdminRoutes } from './routes-admin.ts';
import { userRoutes } from './routes.ts';
import type { UserSchema } from './schema.ts';
import { ensureFirstOperator, type UserDeps } from './users.ts';

/** The user service's own database, migrated to the latest version. */
export async function openUserDatabase(config: DatabaseConfig): Promise<Database<UserSchema>> {
  const database = await openDatabase<UserSchema>(config);
  try {
    await migrateToLatest(database.db, userMigrations);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/** Builds the HTTP app without listening: tests call it with `app.inject`. */
export function buildUserApp(deps: UserDeps & { log: Logger }): FastifyInstance {
  const app = createHttpApp({ log: deps.log, ready: async () => void (await sql`select 1`.execute(deps.db)) });
  userRoutes(app, deps);
  userAdminRoutes(app, deps);
  mountUserSubgraph(app, usersTable(deps.db), deps.log);
  return app;
}

export interface UserService {
  app: FastifyInstance;
  database: Database<UserSchema>;
  relay: OutboxRelay;
  address: string;
  stop(): Promise<void>;
}

/**
 * Starts the service: database, HTTP API, and the outbox relay. The broker
 * may not be up yet: the relay keeps the events and retries until it is.
 */
export async function startUserService(config: UserConfig, log: Logger, messaging: MessagingConfig, now: () => Date = () => new Date()): Promise<UserService> {
  const database = await openUserDatabase(config.database);
  const sqs = createSqsClient(messaging);
  const eventBridge = createEventBridgeClient(messaging);
  const relay = new OutboxRelay({
    database,
    queues: new QueuePublisher(sqs, new QueueDirectory(sqs)),
    eventBridge,
    log,
    service: 'user',
    pollIntervalMs: config.outboxPollIntervalMs,
  });
  const deps = { db: database.db, passwords: new PasswordHasher(config.scrypt), now, onOutboxWritten: (rows: OutboxRow[]) => relay.handOff(rows), log };
  const app = buildUserApp(deps);
  const stop = async () => {
    await app.close();
    await relay.stop();
    sqs.destroy();
    eventBridge.destroy();
    await database.close();
  };
  let address: string;
  try {
    if (config.firstOperator) {
      const { email, password } = config.firstOperator;
      const made = await ensureFirstOperator(deps, { email, password, first_name: 'First', last_name: 'Operator', default_currency: 'USD' });
      if (made) log.info({ userId: made.id }, 'first operator created (USER_FIRST_OPERATOR_EMAIL)');
    }
    address = await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await stop();
    throw err;
  }
  relay.start();
  return { app, database, relay, address, stop };
}
