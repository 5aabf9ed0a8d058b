import { messagingConfigFromEnv } from '../../messaging/aws.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { notificationConfigFromEnv, startNotificationService } from './app.ts';
import { stopOnSignals } from '../../core/lifecycle.ts';

const tracing = initTracing('notification');
const log = createLogger('notification');
setDefaultLabels({ service: 'notification' });
const service = await startNotificationService(notificationConfigFromEnv(), log, messagingConfigFromEnv());
log.info({ address: service.address }, `notification service listening on ${service.address}`);

stopOnSignals(log, [() => service.stop(), () => tracing.shutdown()]);
