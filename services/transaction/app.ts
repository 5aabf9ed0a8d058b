import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { SOURCES, type TransactionEventDetail } from '../../contracts/events.ts';
import { QUEUES } from '../../contracts/topology.ts';
import { createHttpApp } from '../../core/http-app.ts';
import { ConfigReader } from '../../core/config.ts';
import { createSqsClient, type MessagingConfig } from '../../messaging/aws.ts';
import { consumeWhenReady, parseEventEnvelope } from '../../messaging/consumer-host.ts';
import { inboxBatchHandler, stableMessageId } from '../../messaging/inbox.ts';
import { QueueDirectory } from '../../messaging/queue-directory.ts';
import type { QueueConsumer } from '../../messaging/queue-consumer.ts';
import { databaseConfigFromEnv, openDatabase, sql, type Database, type DatabaseConfig } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import { mountTransactionSubgraph } from './graphql.ts';
import { applyTransactionEvent, CONSUMER } from './record.ts';
import { transactionRoutes } from './routes.ts';
import { transactionMigrations, type TransactionSchema } from './schema.ts';

export interface TransactionConfig {
  host: string;
  port: number;
  database: DatabaseConfig;
  consumers: boolean;
}

export function transactionConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TransactionConfig {
  const read = new ConfigReader(env);
  const config = {
    host: read.string('TRANSACTION_HOST', '127.0.0.1'),
    port: read.port('TRANSACTION_PORT', 8003),
    database: databaseConfigFromEnv('transaction', env),
    consumers: read.onOff('TRANSACTION_CONSUMERS', true),
  };
  read.done('transaction');
  return config;
}

export interface TransactionService {
  app: FastifyInstance;
  database: Database<TransactionSchema>;
  address: string;
  stop(): Promise<void>;
}

/** Under load, how long the consumer lets a partial batch fill before its next receive. */
const RECORD_BATCH_FILL_MS = 50;

/** The record of every payment for both parties, fed by `transaction-events`. */
export async function startTransactionService(config: TransactionConfig, log: Logger, messaging: MessagingConfig): Promise<TransactionService> {
  const database = await openDatabase<TransactionSchema>(config.database);
  await migrateToLatest(database.db, transactionMigrations);
  const app = createHttpApp({ log, ready: async () => void (await sql`select 1`.execute(database.db)) });
  transactionRoutes(app, database.db);
  mountTransactionSubgraph(app, database.db, log);
  const address = await app.listen({ host: config.host, port: config.port });

  const sqs = createSqsClient(messaging);
  const consumers: QueueConsumer[] = [];
  if (config.consumers) {
    consumers.push(
      consumeWhenReady({
        sqs,
        directory: new QueueDirectory(sqs),
        log,
        queue: QUEUES.transactionEvents,
        // No one waits on this record: under load, receives wait a moment to carry fuller batches.
        fillBatchMs: RECORD_BATCH_FILL_MS,
        // A received batch is recorded in one transaction (one commit), each event once (inbox).
        batchHandler: inboxBatchHandler(database.db, CONSUMER, (message) => {
          const event = parseEventEnvelope<TransactionEventDetail>(message.body);
          if (event.source !== SOURCES.transaction || !event.detail.transaction_id) return undefined;
          const eventId = stableMessageId(message);
          return { messageId: eventId, effect: (trx) => applyTransactionEvent(trx, eventId, event.detailType, event.detail) };
        }),
      }),
    );
  }
  return {
    app,
    database,
    address,
    async stop() {
      await app.close();
      await Promise.all(consumers.map((c) => c.stop()));
      sqs.destroy();
      await database.close();
    },
  };
}
