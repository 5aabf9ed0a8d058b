import type { Logger } from 'pino';
import type { MessagingConfig } from '../../messaging/aws.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import type { BrokerConfig } from './config.ts';
import { openBrokerDatabase, type BrokerDatabase } from './database.ts';
import { createEventBridge, eventBridgeMigrations, type EventBridge, type EventBridgeOptions } from './eventbridge/index.ts';
import { startBrokerServer, type BrokerServer } from './server.ts';
import { createSqs, sqsMigrations, type Sqs, type SqsOptions } from './sqs/index.ts';

export interface Broker {
  /** host:port as bound. */
  readonly address: string;
  /** http://host:port, the endpoint for AWS SDK clients. */
  readonly endpoint: string;
  readonly sqs: Sqs;
  readonly eventBridge: EventBridge;
  readonly database: BrokerDatabase;
  stop(): Promise<void>;
}

export interface BrokerTuning {
  sqs?: SqsOptions;
  eventBridge?: EventBridgeOptions;
}

/**
 * Builds and starts the broker: the database and both halves' migrations,
 * the SQS engine and its housekeeping, the EventBridge delivery worker, the
 * HTTP server, and then (unless disabled) PayMesh's topology, applied through
 * the AWS SDK against the broker itself exactly as it would be against AWS.
 */
export async function startBroker(config: BrokerConfig, log: Logger, tuning: BrokerTuning = {}): Promise<Broker> {
  const database = await openBrokerDatabase(config.database);
  let sqs: Sqs | undefined;
  let eventBridge: EventBridge | undefined;
  let server: BrokerServer | undefined;
  const stop = async () => {
    const steps: Array<[string, (() => Promise<void>) | undefined]> = [
      ['EventBridge worker', eventBridge && (() => eventBridge!.stop())],
      // Stop accepting connections, release long polls and finish queued work, then wait for the last responses.
      ['HTTP server and SQS', async () => {
        const closing = server?.close();
        await sqs?.stop();
        await closing;
      }],
      ['database', () => database.close()],
    ];
    for (const [name, step] of steps) {
      try {
        await step?.();
      } catch (err) {
        log.error({ err, step: name }, 'broker shutdown step failed');
      }
    }
  };
  try {
    await migrateToLatest(database.db, sqsMigrations, 'sqs');
    await migrateToLatest(database.db, eventBridgeMigrations, 'eventbridge');

    const context = { accountId: config.accountId, region: config.region, log };
    sqs = createSqs({ ...context, database }, tuning.sqs);
    await sqs.start();
    eventBridge = createEventBridge({ ...context, db: database.db, dialect: database.dialect, sqlite: database.sqlite, queues: sqs }, tuning.eventBridge);
    server = await startBrokerServer({ host: config.host, port: config.port, sqs, eventBridge, log });
    await eventBridge.start();
    const endpoint = `http://${server.address}`;

    if (config.applyTopology) {
      // Loaded only here: the SDK clients are most of the broker's start-up time otherwise.
      const [{ loadTopology }, { createEventBridgeClient, createSqsClient }, { applyTopology }] = await Promise.all([
        import('../../contracts/topology.ts'),
        import('../../messaging/aws.ts'),
        import('../../messaging/topology.ts'),
      ]);
      const messaging: MessagingConfig = { region: config.region, endpoint, embedded: true };
      const sqsClient = createSqsClient(messaging);
      const eventBridgeClient = createEventBridgeClient(messaging);
      try {
        await applyTopology(sqsClient, eventBridgeClient, loadTopology());
      } finally {
        sqsClient.destroy();
        eventBridgeClient.destroy();
      }
      log.info('topology applied (contracts/topology.json)');
    }

    return { address: server.address, endpoint, sqs, eventBridge, database, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
