import { messagingConfigFromEnv } from '../../messaging/aws.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { auditConfigFromEnv, startAuditService } from './app.ts';
import { stopOnSignals } from '../../core/lifecycle.ts';

const tracing = initTracing('audit');
const log = createLogger('audit');
setDefaultLabels({ service: 'audit' });
const service = await startAuditService(auditConfigFromEnv(), log, messagingConfigFromEnv());
log.info({ address: service.address }, `audit service listening on ${service.address}`);

stopOnSignals(log, [() => service.stop(), () => tracing.shutdown()]);
