import { QUEUES } from '../../contracts/topology.ts';
import { stopOnSignals } from '../../core/lifecycle.ts';
import { createSqsClient, messagingConfigFromEnv } from '../../messaging/aws.ts';
import { consumeWhenReady } from '../../messaging/consumer-host.ts';
import type { QueueConsumer } from '../../messaging/queue-consumer.ts';
import { QueueDirectory } from '../../messaging/queue-directory.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { buildTransactionService } from './app.ts';
import { transactionConfigFromEnv } from './config.ts';
import { RECORD_BATCH_FILL_MS, transactionEventsBatchHandler } from './consumer.ts';
import { openTransactionDatabase } from './database.ts';

const config = transactionConfigFromEnv();
const messaging = messagingConfigFromEnv();
const tracing = initTracing('transaction');
const log = createLogger('transaction');
setDefaultLabels({ service: 'transaction' });
const database = await openTransactionDatabase(config.database);
const app = buildTransactionService({ database, log });
const address = await app.listen({ host: config.host, port: config.port });
log.info({ address }, `transaction service listening on ${address}`);

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
      batchHandler: transactionEventsBatchHandler(database.db),
    }),
  );
}

stopOnSignals(log, [
  () => app.close(),
  () => Promise.all(consumers.map((c) => c.stop())),
  () => sqs.destroy(),
  () => database.close(),
  () => tracing.shutdown(),
]);
