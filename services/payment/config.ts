import { ConfigReader } from '../../core/config.ts';
import { catalogListener } from '../../discovery/catalog.ts';
import { policySettingsFromEnv, type PolicySettings } from '../../resilience/settings.ts';
import { databaseConfigFromEnv, type DatabaseConfig } from '../../storage/database.ts';

export interface PaymentConfig {
  host: string;
  port: number;
  /**
   * PAYMENT_SERVICE_VERSION: v1, or v2 for the canary. The one place the version is known: recorded on
   * each payment it accepts (accepted_by), the `version` label of every metric, the `version` field of
   * every log line, the span resource's service.version, and whose sagas this process drives.
   */
  version: string;
  database: DatabaseConfig;
  maxAmountMajor: number;
  holdTtlSeconds: number;
  stepTimeoutSeconds: number;
  /** How long a saga must be still before another process (or a message about it) takes it over. */
  sagaIdleSeconds: number;
  sweepIntervalMs: number;
  /** How often the DLQ handler looks at the payment dead-letter queues. */
  dlqSweepIntervalMs: number;
  /** Timeouts and breakers of the services the payment service calls (<TARGET>_TIMEOUT_MS, _BREAKER_*). */
  policies: { 'user-service': PolicySettings; 'wallet-service': PolicySettings };
  consumers: boolean;
}

export function paymentConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PaymentConfig {
  const read = new ConfigReader(env);
  const version = read.string('PAYMENT_SERVICE_VERSION', 'v1');
  // Its old name: refused rather than half-honoured, so there is one setting.
  if (read.optional('PAYMENT_VERSION') !== undefined) read.problem('PAYMENT_VERSION was renamed PAYMENT_SERVICE_VERSION');
  const config: PaymentConfig = {
    host: read.string('PAYMENT_HOST', '127.0.0.1'),
    port: read.port('PAYMENT_PORT', catalogListener(version === 'v2' ? 'payment-v2' : 'payment').localPort),
    version,
    // Both versions are one service with one database.
    database: databaseConfigFromEnv('payment', env),
    maxAmountMajor: read.int('PAYMENT_MAX_AMOUNT', 10_000, 1, 1_000_000_000),
    holdTtlSeconds: read.int('PAYMENT_HOLD_TTL_SECONDS', 900, 10, 86_400),
    stepTimeoutSeconds: read.int('PAYMENT_SAGA_STEP_TIMEOUT_SECONDS', 120, 1, 86_400),
    sagaIdleSeconds: read.int('PAYMENT_SAGA_IDLE_SECONDS', 5, 1, 3600),
    sweepIntervalMs: read.int('PAYMENT_SAGA_SWEEP_INTERVAL_MS', 5000, 100, 3_600_000),
    dlqSweepIntervalMs: read.int('PAYMENT_DLQ_SWEEP_INTERVAL_MS', 15_000, 100, 3_600_000),
    policies: { 'user-service': policySettingsFromEnv('user-service', read), 'wallet-service': policySettingsFromEnv('wallet-service', read) },
    consumers: read.onOff('PAYMENT_CONSUMERS', true),
  };
  if (!/^v\d+$/.test(version)) read.problem(`PAYMENT_SERVICE_VERSION must look like v1 or v2, got '${version}'`);
  read.done('payment');
  return config;
}
