import { QUEUES } from '../../contracts/topology.ts';
import { stopOnSignals } from '../../core/lifecycle.ts';
import { createSqsClient, messagingConfigFromEnv } from '../../messaging/aws.ts';
import { consumeWhenReady } from '../../messaging/consumer-host.ts';
import type { QueueConsumer } from '../../messaging/queue-consumer.ts';
import { QueueDirectory } from '../../messaging/queue-directory.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { openMigratedDatabase } from '../../storage/migrate.ts';
import { buildNotificationService } from './app.ts';
import { notificationConfigFromEnv } from './config.ts';
import { notificationBatchHandler } from './consumer.ts';
import { LiveFeed } from './live-feed.ts';
import { notificationMigrations } from './migrations/index.ts';
import type { NotificationSchema } from './schema.ts';

const config = notificationConfigFromEnv();
const messaging = messagingConfigFromEnv();
const tracing = initTracing('notification');
const log = createLogger('notification');
setDefaultLabels({ service: 'notification' });
const database = await openMigratedDatabase<NotificationSchema>(config.database, notificationMigrations);
const feed = new LiveFeed();
const app = buildNotificationService({ database, feed, log });
const address = await app.listen({ host: config.host, port: config.port });
log.info({ address }, `notification service listening on ${address}`);

const sqs = createSqsClient(messaging);
const consumers: QueueConsumer[] = [];
if (config.consumers) {
  consumers.push(
    consumeWhenReady({ sqs, directory: new QueueDirectory(sqs), log, queue: QUEUES.notifications, batchHandler: notificationBatchHandler(database.db, feed) }),
  );
}

stopOnSignals(log, [
  () => Promise.all(consumers.map((c) => c.stop())),
  () => feed.close(),
  () => app.close(),
  () => sqs.destroy(),
  () => database.close(),
  () => tracing.shutdown(),
]);
