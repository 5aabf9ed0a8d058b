import { messagingConfigFromEnv } from '../../messaging/aws.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { startTransactionService, transactionConfigFromEnv } from './app.ts';
import { stopOnSignals } from '../../core/lifecycle.ts';

const tracing = initTracing('transaction');
const log = createLogger('transaction');
setDefaultLabels({ service: 'transaction' });
const service = await startTransactionService(transactionConfigFromEnv(), log, messagingConfigFromEnv());
log.info({ address: service.address }, `transaction service listening on ${service.address}`);

stopOnSignals(log, [() => service.stop(), () => tracing.shutdown()]);
