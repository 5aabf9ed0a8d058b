import { messagingConfigFromEnv } from '../../messaging/aws.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { startUserService } from './app.ts';
import { userConfigFromEnv } from './config.ts';

const tracing = initTracing('user');
const log = createLogger('user');
setDefaultLabels({ service: 'user' });
const service = await startUserService(userConfigFromEnv(), log, messagingConfigFromEnv());
log.info({ address: service.address }, `user service listening on ${service.address}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    service.stop().then(() => tracing.shutdown()).then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'user service shutdown failed');
        process.exit(1);
      },
    );
  });
}
