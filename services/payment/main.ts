import { UserClient } from '../../clients/user-client.ts';
import { WalletClient } from '../../clients/wallet-client.ts';
import { transactionEventContract } from '../../contracts/avro-transaction-event.ts';
import { stopOnSignals } from '../../core/lifecycle.ts';
import { ServiceResolver } from '../../discovery/resolver.ts';
import { AvroCodec, AvroQueuePublisher, SchemaRegistryClient } from '../../messaging/avro-codec.ts';
import { createEventBridgeClient, createSqsClient, messagingConfigFromEnv } from '../../messaging/aws.ts';
import { eventBridgeAlert } from '../../messaging/dlq-handler.ts';
import { EventPublisher } from '../../messaging/event-publisher.ts';
import { OutboxRelay } from '../../messaging/outbox-relay.ts';
import type { OutboxRow } from '../../messaging/outbox-schema.ts';
import { ParkedMessages } from '../../messaging/parked-messages.ts';
import { QueueDirectory } from '../../messaging/queue-directory.ts';
import { initTracing } from '../../observability/tracing.ts';
import { buildPaymentApp } from './app.ts';
import { paymentConfigFromEnv } from './config.ts';
import { paymentConsumers } from './consumers.ts';
import { openPaymentDatabase } from './database.ts';
import { PartyLookups } from './party-lookups.ts';
import { PaymentVersions } from './saga/ownership.ts';
import { PaymentSaga } from './saga/payment-saga.ts';
import { StuckSagaMonitor } from './saga/stuck-sagas.ts';
import { paymentTelemetry } from './telemetry.ts';

const config = paymentConfigFromEnv();
const messaging = messagingConfigFromEnv();
const tracing = initTracing('payment', { version: config.version });
// The version (PAYMENT_SERVICE_VERSION) labels every metric and log line.
const log = paymentTelemetry(config.version);
const resolver = new ServiceResolver();
const database = await openPaymentDatabase(config.database);

const users = new UserClient(resolver.resolve('user-service.paypal.local').address, config.policies['user-service']);
const wallets = new WalletClient(resolver.resolve('wallet-service.paypal.local').address, config.policies['wallet-service']);
const sqs = createSqsClient(messaging);
const eventBridge = createEventBridgeClient(messaging);
const directory = new QueueDirectory(sqs);
// payment_initiated goes out as Avro: the relay's publisher encodes the checked JSON drafts when it sends them.
const transactionEvents = new AvroCodec(new SchemaRegistryClient(resolver.resolve('schema-registry.paypal.local').address), transactionEventContract());
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
const parked = new ParkedMessages(database.db);

const app = buildPaymentApp({
  database,
  log,
  users,
  wallets,
  lookups: new PartyLookups(users, wallets),
  maxAmountMajor: config.maxAmountMajor,
  version: config.version,
  // The saga of a payment accepted here is driven here, right after the 202 (a version without consumers leaves it to
  // the others' sweep).
  startSaga: (paymentId) => {
    if (config.consumers) setImmediate(() => void saga.drive(paymentId));
  },
  monitor,
  stepTimeoutSeconds: config.stepTimeoutSeconds,
  parked,
  sqs,
  directory,
});
const address = await app.listen({ host: config.host, port: config.port });
log.info({ address, version: config.version }, `payment service ${config.version} listening on ${address}`);

relay.start();
const { consumers, dlqHandlers } = config.consumers
  ? paymentConsumers({ sqs, directory, log, saga, transactionEvents, parked, alert: eventBridgeAlert(new EventPublisher(eventBridge, 'paypal-clone-events')) }, config.dlqSweepIntervalMs)
  : { consumers: [], dlqHandlers: [] };
if (config.consumers) monitor.start(config.sweepIntervalMs);

stopOnSignals(log, [
  () => app.close(),
  () => Promise.all(consumers.map((c) => c.stop())),
  () => Promise.all(dlqHandlers.map((h) => h.stop())),
  () => monitor.stop(),
  () => saga.stop(),
  // What this version left still is the others' to resume after one idle time, not three.
  () => (config.consumers ? monitor.retire() : undefined),
  () => relay.stop(),
  () => wallets.close(),
  () => sqs.destroy(),
  () => eventBridge.destroy(),
  () => database.close(),
  () => tracing.shutdown(),
]);
