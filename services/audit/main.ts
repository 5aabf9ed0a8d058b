import { QUEUES } from '../../contracts/topology.ts';
import { stopOnSignals } from '../../core/lifecycle.ts';
import { createSqsClient, messagingConfigFromEnv } from '../../messaging/aws.ts';
import { consumeWhenReady } from '../../messaging/consumer-host.ts';
import type { QueueConsumer } from '../../messaging/queue-consumer.ts';
import { QueueDirectory } from '../../messaging/queue-directory.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { buildAuditService } from './app.ts';
import { auditConfigFromEnv } from './config.ts';
import { auditBatchHandler, RECORD_BATCH_FILL_MS } from './consumer.ts';
import { openAuditDatabase } from './database.ts';

const config = auditConfigFromEnv();
const messaging = messagingConfigFromEnv();
const tracing = initTracing('audit');
const log = createLogger('audit');
setDefaultLabels({ service: 'audit' });
const database = await openAuditDatabase(config.database);
const app = buildAuditService({ database, log });
const address = await app.listen({ host: config.host, port: config.port });
log.info({ address }, `audit service listening on ${address}`);

const sqs = createSqsClient(messaging);
const consumers: QueueConsumer[] = [];
if (config.consumers) {
  consumers.push(
    consumeWhenReady({
      sqs,
      directory: new QueueDirectory(sqs),
      log,
      queue: QUEUES.auditLogs,
      // No one waits on this record: under load, receives wait a moment to carry fuller batches.
      fillBatchMs: RECORD_BATCH_FILL_MS,
      batchHandler: auditBatchHandler(database),
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
