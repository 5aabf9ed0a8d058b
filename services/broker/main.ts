import { stopOnSignals } from '../../core/lifecycle.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { startBroker } from './app.ts';
import { brokerConfigFromEnv } from './config.ts';

const tracing = initTracing('broker');
const log = createLogger('broker');
setDefaultLabels({ service: 'broker' });
const config = brokerConfigFromEnv();
const broker = await startBroker(config, log);
log.info({ address: broker.address, database: config.database.kind }, `SQS and EventBridge listening on ${broker.endpoint}`);

stopOnSignals(log, [() => broker.stop(), () => tracing.shutdown()]);
