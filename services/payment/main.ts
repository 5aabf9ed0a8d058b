import { stopOnSignals } from '../../core/lifecycle.ts';
import { ServiceResolver } from '../../discovery/resolver.ts';
import { messagingConfigFromEnv } from '../../messaging/aws.ts';
import { initTracing } from '../../observability/tracing.ts';
import { startPaymentService } from './app.ts';
import { paymentConfigFromEnv } from './config.ts';
import { paymentTelemetry } from './telemetry.ts';

const config = paymentConfigFromEnv();
const tracing = initTracing('payment', { version: config.version });
// The version (PAYMENT_SERVICE_VERSION) labels every metric and log line.
const log = paymentTelemetry(config.version);
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
