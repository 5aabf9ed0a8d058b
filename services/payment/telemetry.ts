import type pino from 'pino';
import { createLogger, type Logger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';

/**
 * Who this process is in its telemetry: `service="payment"` with
 * `version="v1"`/`"v2"` (PAYMENT_SERVICE_VERSION) on every metric sample it
 * serves, and `service: "payment"`, `version` on every log line, so the two
 * versions of the canary can be told apart (and alarmed on) one by one.
 */
export function paymentTelemetry(version: string, options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  setDefaultLabels({ service: 'payment', version });
  return createLogger('payment', options.level, options.destination, { version });
}
