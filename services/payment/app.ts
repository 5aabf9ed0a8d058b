import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { UserClient } from '../../clients/user-client.ts';
import { WalletClient } from '../../clients/wallet-client.ts';
import { transactionEventContract } from '../../contracts/avro-transaction-event.ts';
import { SOURCES, type TransactionEventDetail } from '../../contracts/events.ts';
import { decodePaymentInitiated, InvalidMessageError } from '../../contracts/payment-messages.ts';
import { QUEUES } from '../../contracts/topology.ts';
import { createHttpApp } from '../../core/http-app.ts';
import { AvroCodec, AvroQueuePublisher, SchemaRegistryClient } from '../../messaging/avro-codec.ts';
import { createEventBridgeClient, createSqsClient, type MessagingConfig } from '../../messaging/aws.ts';
import { consumeWhenReady, parseEventEnvelope } from '../../messaging/consumer-host.ts';
import { DlqHandler, eventBridgeAlert } from '../../messaging/dlq-handler.ts';
import { EventPublisher } from '../../messaging/event-publisher.ts';
import { stableMessageId } from '../../messaging/inbox.ts';
import { OutboxRelay } from '../../messaging/outbox-relay.ts';
import type { OutboxRow } from '../../messaging/outbox-schema.ts';
import { ParkedMessages } from '../../messaging/parked-messages.ts';
import type { QueueConsumer } from '../../messaging/queue-consumer.ts';
import { QueueDirectory } from '../../messaging/queue-directory.ts';
import { openDatabase, sql, type Database } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import type { PaymentConfig } from './config.ts';
import { paymentMigrations } from './migrations/index.ts';
import { PartyLookups } from './party-lookups.ts';
import { paymentActivityRoutes } from './routes-activity.ts';
import { paymentAdminRoutes } from './routes-admin.ts';
import { paymentRoutes } from './routes.ts';
import { PaymentVersions } from './saga/ownership.ts';
import { PaymentSaga } from './saga/payment-saga.ts';
import { StuckSagaMonitor } from './saga/stuck-sagas.ts';
import type { PaymentSchema } from './schema.ts';

export interface PaymentServiceDeps {
  config: PaymentConfig;
  log: Logger;
  messaging: MessagingConfig;
  userServiceUrl: string;
  walletAddress: string;
  schemaRegistryUrl: string;
}

export interface PaymentService {
  app: FastifyInstance;
  database: Database<PaymentSchema>;
  saga: PaymentSaga;
  relay: OutboxRelay;
  monitor: StuckSagaMonitor;
  wallets: WalletClient;
  address: string;
  stop(): Promise<void>;
}

/** Builds and starts the payment service: REST API, outbox relay, saga consumers, stuck-saga monitor, DLQ handlers. */
export async function startPaymentService(deps: PaymentServiceDeps): Promise<PaymentService> {
  const { config, log } = deps;
  const database = await openDatabase<PaymentSchema>(config.database);
  await migrateToLatest(database.db, paymentMigrations);

  const users = new UserClient(deps.userServiceUrl, config.policies['user-service']);
  const wallets = new WalletClient(deps.walletAddress, config.policies['wallet-service']);
  const sqs = createSqsClient(deps.messaging);
  const eventBridge = createEventBridgeClient(deps.messaging);
  const directory = new QueueDirectory(sqs);
  // payment_initiated goes out as Avro: the relay's publisher encodes the checked JSON drafts when it sends them.
  const transactionEvents = new AvroCodec(new SchemaRegistryClient(deps.schemaRegistryUrl), transactionEventContract());
  const relay = new OutboxRelay({ database, queues: new AvroQueuePublisher(sqs, directory, [transactionEvents]), eventBridge, log, service: 'payment' });
  const onOutboxWritten = (rows: OutboxRow[]) => relay.handOff(rows);
  // Which versions are alive: a saga message about a payment another live version accepted is left for it.
  const versions = new PaymentVersions(database.db);
  const saga = new PaymentSaga({ database, wallets, log, onOutboxWritten, holdTtlSeconds: config.holdTtlSeconds, idleSeconds: config.sagaIdleSeconds, version: config.version, versions });
  const monitor = new StuckSagaMonitor({
    db: database.db,
    saga,
    log,
    stepTimeoutSeconds: config.stepTimeoutSeconds,
    onOutboxWritten,
    version: config.version,
    versions,
    // Each sweep says this version is alive for three sweeps (or idle times, whichever is longer).
    aliveForMs: 3 * Math.max(config.sweepIntervalMs, config.sagaIdleSeconds * 1000),
  });
  // The saga of a payment accepted here is driven here, right after the 202 (a version without consumers hands the
  // accept's rows to its relay and leaves the saga to the others' sweep).
  const startSaga = (paymentId: string, written: OutboxRow[]) =>
    setImmediate(() => (config.consumers ? void saga.drive(paymentId, written) : relay.handOff(written)));

  const app = createHttpApp({ log, variant: config.version, ready: async () => void (await sql`select 1`.execute(database.db)) });
  paymentRoutes(app, { db: database.db, users, wallets, lookups: new PartyLookups(users, wallets), maxAmountMajor: config.maxAmountMajor, version: config.version, startSaga });
  const parked = new ParkedMessages(database.db);
  paymentActivityRoutes(app, { db: database.db });
  paymentAdminRoutes(app, { db: database.db, monitor, stepTimeoutSeconds: config.stepTimeoutSeconds, parked, sqs, directory });
  const address = await app.listen({ host: config.host, port: config.port });

  relay.start();
  const consumers: QueueConsumer[] = [];
  const dlqHandlers: DlqHandler[] = [];
  if (config.consumers) {
    consumers.push(
      consumeWhenReady({
        sqs,
        directory,
        log,
        queue: QUEUES.paymentProcessing,
        // A fallback: the saga of a payment accepted here is already under way. Under load, fuller batches.
        fillBatchMs: 100,
        handler: async (message) => {
          const initiated = await decodePaymentInitiated(transactionEvents, message);
          await saga.onPaymentInitiated(stableMessageId(message), initiated.transaction_id);
        },
      }),
      consumeWhenReady({
        sqs,
        directory,
        log,
        queue: 'payment-saga',
        handler: async (message) => {
          const event = parseEventEnvelope<TransactionEventDetail>(message.body);
          if (event.source !== SOURCES.transaction) return;
          await saga.onSagaEvent(stableMessageId(message), event.detailType, event.detail);
        },
      }),
    );
    const alert = eventBridgeAlert(new EventPublisher(eventBridge, 'paypal-clone-events'));
    for (const [dlq, source] of [[QUEUES.paymentDlq, QUEUES.paymentProcessing], ['payment-saga-dlq', 'payment-saga']] as const) {
      const handler = new DlqHandler({
        sqs,
        directory,
        deadLetterQueue: dlq,
        sourceQueue: source,
        log,
        alert,
        parked,
        // A message that cannot be decoded will never succeed: alert instead of redriving it.
        classify: async (message) => {
          if (source !== QUEUES.paymentProcessing) return { class: 'temporary', reason: 'saga step failed repeatedly' };
          try {
            await decodePaymentInitiated(transactionEvents, message);
            return { class: 'temporary', reason: 'processing failed repeatedly' };
          } catch (err) {
            // Only a message that can never be read is permanent; an unreachable schema registry is not its fault.
            if (err instanceof InvalidMessageError) return { class: 'permanent', reason: err.message };
            return { class: 'temporary', reason: `could not decode yet: ${(err as Error).message}` };
          }
        },
      });
      handler.start(config.dlqSweepIntervalMs);
      dlqHandlers.push(handler);
    }
    monitor.start(config.sweepIntervalMs);
  }

  return {
    app,
    database,
    saga,
    relay,
    monitor,
    wallets,
    address,
    async stop() {
      await app.close();
      await Promise.all(consumers.map((c) => c.stop()));
      await Promise.all(dlqHandlers.map((h) => h.stop()));
      await monitor.stop();
      await saga.stop();
      // What this version left still is the others' to resume after one idle time, not three.
      if (config.consumers) await monitor.retire();
      await relay.stop();
      wallets.close();
      sqs.destroy();
      eventBridge.destroy();
      await database.close();
    },
  };
}
