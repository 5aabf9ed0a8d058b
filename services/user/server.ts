import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createEventBridgeClient, createSqsClient, type MessagingConfig } from '../../messaging/aws.ts';
import { OutboxRelay } from '../../messaging/outbox-relay.ts';
import type { OutboxRow } from '../../messaging/outbox-schema.ts';
import { QueueDirectory } from '../../messaging/queue-directory.ts';
import { QueuePublisher } from '../../messaging/queue-publisher.ts';
import type { Database } from '../../storage/database.ts';
import { buildUserApp } from './app.ts';
import type { UserConfig } from './config.ts';
import { openUserDatabase } from './database.ts';
import { PasswordHasher } from './passwords.ts';
import type { UserSchema } from './schema.ts';
import { ensureFirstOperator } from './users.ts';

export interface UserService {
  app: FastifyInstance;
  database: Database<UserSchema>;
  relay: OutboxRelay;
  address: string;
  stop(): Promise<void>;
}

/**
 * The service as it runs: its database, the HTTP API listening, the outbox
 * relay, the first operator when the settings name one. The broker may not be
 * up yet: the relay keeps the events and retries until it is. Exported for the
 * tests that need it all in process (the outbox relay to a stub broker, the
 * first operator on a second start).
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
