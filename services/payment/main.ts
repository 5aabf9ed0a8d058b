import { ServiceResolver } from '../../discovery/resolver.ts';
import { messagingConfigFromEnv } from '../../messaging/aws.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { startPaymentService } from './app.ts';
import { paymentConfigFromEnv } from './config.ts';
import { stopOnSignals } from '../../core/lifecycle.ts';

const config = paymentConfigFromEnv();
const tracing = initTracing('payment', { version: config.version });
const log = createLogger(`payment-${config.version}`);
setDefaultLabels({ service: 'payment', version: config.version });
const resolver = new ServiceResolver();
const service = await startPaymentService({
  config,
  log,
  messaging: messagingConfigFromEnv(),
  userServiceUrl: resolver.resolve('user-service.paypal.local').address,
  walletAddress: resolver.resolve('wallet-service.paypal.local').address,
  schemaRegistryUrl: resolver.resolve('schema-registry.paypal.local').address,
});
log.info({ address: service.address, version: config.version }, `payment service ${config.version} listening on ${service.address}`);

stopOnSignals(log, [() => service.stop(), () => tracing.shutdown()]);
