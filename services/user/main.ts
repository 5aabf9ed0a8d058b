import { stopOnSignals } from '../../core/lifecycle.ts';
import { messagingConfigFromEnv } from '../../messaging/aws.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { userConfigFromEnv } from './config.ts';
import { startUserService } from './server.ts';

const config = userConfigFromEnv();
const tracing = initTracing('user');
const log = createLogger('user');
setDefaultLabels({ service: 'user' });
const service = await startUserService(config, log, messagingConfigFromEnv());
log.info({ address: service.address }, `user service listening on ${service.address}`);

stopOnSignals(log, [() => service.stop(), () => tracing.shutdown()]);
