import { stopOnSignals } from '../../core/lifecycle.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { buildSchemaRegistry } from './app.ts';
import { registryConfigFromEnv } from './config.ts';
import { openRegistryDatabase } from './database.ts';

const config = registryConfigFromEnv();
const tracing = initTracing('schema-registry');
const log = createLogger('schema-registry');
setDefaultLabels({ service: 'schema-registry' });
const database = await openRegistryDatabase(config.database);
const { app } = await buildSchemaRegistry({ database, log });
const address = await app.listen({ host: config.host, port: config.port });
log.info({ address }, `schema registry listening on ${address}`);

stopOnSignals(log, [() => app.close(), () => database.close(), () => tracing.shutdown()]);
