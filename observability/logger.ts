import pino, { type Logger } from 'pino';
import { activeIds } from './propagation.ts';
import { maskEmail, pinoRedactPaths, scrubText } from './redact.ts';

export type { Logger };

const EMAIL_FIELDS = ['email', 'receiver_email'];

/**
 * Structured JSON logs, one logger per service, tagged with its name. A line
 * written inside a span carries its `trace_id` and `span_id`, so it leads to
 * the trace (GET /admin/traces/{trace_id} on the gateway). Secrets never
 * reach a line: fields are redacted by name, and the finished line is
 * scrubbed of emails, card numbers and tokens that hid in free text.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream, fields: Record<string, string> = {}): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    // `fields`: more on every line, e.g. the payment service's `version` (v1, v2 canary).
    base: { service, ...fields },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => activeIds() ?? {},
    redact: {
      paths: [...pinoRedactPaths(), ...EMAIL_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`])],
      censor: (value, path) => (EMAIL_FIELDS.includes(path[path.length - 1]!) && typeof value === 'string' ? maskEmail(value) : '[redacted]'),
    },
    hooks: { streamWrite: scrubText },
  };
  return destination ? pino(options, destination) : pino(options);
}
