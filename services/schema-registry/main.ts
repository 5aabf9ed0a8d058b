import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { registryConfigFromEnv, startSchemaRegistry } from './app.ts';
import { stopOnSignals } from '../../core/lifecycle.ts';

const tracing = initTracing('schema-registry');
const log = createLogger('schema-registry');
setDefaultLabels({ service: 'schema-registry' });
const service = await startSchemaRegistry(registryConfigFromEnv(), log);
log.info({ address: service.address }, `schema registry listening on ${service.address}`);

stopOnSignals(log, [() => service.stop(), () => tracing.shutdown()]);
