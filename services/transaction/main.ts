import { messagingConfigFromEnv } from '../../messaging/aws.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { startTransactionService, transactionConfigFromEnv } from './app.ts';

const tracing = initTracing('transaction');
const log = createLogger('transaction');
setDefaultLabels({ service: 'transaction' });
const service = await startTransactionService(transactionConfigFromEnv(), log, messagingConfigFromEnv());
log.info({ address: service.address }, `transaction service listening on ${service.address}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    service.stop().then(() => tracing.shutdown()).then(() => process.exit(0), () => process.exit(1));
  });
}
