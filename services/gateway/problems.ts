import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { installProblemHandler, type Problem } from '../../core/http-problem.ts';

const problem = (status: number, code: string, detail: string, field?: string): Problem => ({
  type: `https://paymesh.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
  title: code,
  status,
  detail,
  code,
  ...(field ? { field } : {}),
});

/**
 * The public API's errors: the shared problem-details handler, plus clear
 * codes for what Fastify itself refuses before a route runs (Fastify's own
 * codes, FST_ERR_..., mean nothing to an API client) and schema messages
 * that say what a field should look like instead of quoting a regex.
 */
export function installGatewayProblems(app: FastifyInstance, bodyLimitBytes: number): void {
  installProblemHandler(app, (err: FastifyError, request: FastifyRequest) => {
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return problem(413, 'BODY_TOO_LARGE', `the request body is larger than ${bodyLimitBytes} bytes`, 'body');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return problem(415, 'UNSUPPORTED_MEDIA_TYPE', `send the body as JSON (Content-Type: application/json), not ${request.headers['content-type'] ?? 'without a type'}`, 'content-type');
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return problem(400, 'MALFORMED_JSON', `the body is not valid JSON: ${err.message}`, 'body');
      case 'RATE_LIMITED':
        return problem(429, 'RATE_LIMITED', err.message);
    }
    // The Idempotency-Key header is required by the route schemas (so the OpenAPI document says so); its problems keep their own codes.
    const first = err.validation?.[0];
    if (err.validationContext === 'headers' && first) {
      const missing = (first.params as { missingProperty?: string }).missingProperty === 'idempotency-key';
      if (missing) return problem(400, 'IDEMPOTENCY_KEY_REQUIRED', 'send an Idempotency-Key header (8 to 200 printable characters) with this request', 'Idempotency-Key');
      if (first.instancePath === '/idempotency-key') return problem(400, 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 8 to 200 printable ASCII characters', 'Idempotency-Key');
    }
    for (const item of err.validation ?? []) {
      const description = (item as { parentSchema?: { description?: string } }).parentSchema?.description;
      if ((item.keyword === 'pattern' || item.keyword === 'format') && description) item.message = `must be ${description}`;
    }
    return undefined;
  });
}

/**
 * Query strings are text, JSON bodies are typed. Validation runs with type
 * coercion off so that an amount sent as a JSON number is refused rather than
 * quietly turned into a string; query parameters declared integer or boolean
 * are converted here instead, before validation, when written as such.
 */
export function coerceQueryParameters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const properties = (request.routeOptions.schema?.querystring as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties;
    const query = request.query as Record<string, unknown> | undefined;
    if (!properties || !query) return;
    for (const [name, value] of Object.entries(query)) {
      const type = properties[name]?.type;
      if (typeof value !== 'string') continue;
      if (type === 'integer' && /^-?\d{1,15}$/.test(value)) query[name] = Number(value);
      else if (type === 'boolean' && (value === 'true' || value === 'false')) query[name] = value === 'true';
    }
  });
}
