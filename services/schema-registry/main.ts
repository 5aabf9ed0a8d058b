import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { registryConfigFromEnv, startSchemaRegistry } from './app.ts';

const tracing = initTracing('schema-registry');
const log = createLogger('schema-registry');
setDefaultLabels({ service: 'schema-registry' });
const service = await startSchemaRegistry(registryConfigFromEnv(), log);
log.info({ address: service.address }, `schema registry listening on ${service.address}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    service.stop().then(() => tracing.shutdown()).then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'schema registry shutdown failed');
        process.exit(1);
      },
    );
  });
}
