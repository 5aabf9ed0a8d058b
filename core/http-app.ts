import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { HEALTH_PATHS } from '../discovery/catalog.ts';
import { addReadinessCheck, readinessRoute } from '../observability/health.ts';
import { instrumentHttpServer } from '../observability/http.ts';
import { registry } from '../observability/metrics.ts';
import { breakerSnapshots } from '../resilience/service-policy.ts';
import { answerClientError, refuseTunnels } from './http-client-errors.ts';
import { answerFrameworkError, installProblemHandler } from './http-problem.ts';
import { refuseNulText } from './nul-text.ts';

/** The release this process runs: PAYMESH_RELEASE (set by an image build), else the repository's package.json version. */
export function releaseVersion(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PAYMESH_RELEASE) return env.PAYMESH_RELEASE;
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * A Fastify app with what every PayMesh HTTP service has: problem-details
 * errors, a body limit, server spans and `api_request_duration` for every
 * request, `/healthz` (alive, with the release and uptime for the operator
 * console; `variant` names a deployment such as the payment canary's v2), `/readyz` (database and broker reachable;
 * dependencies' breakers reported) and `/metrics` (Prometheus).
 */
export function createHttpApp(options: { log: Logger; bodyLimitBytes?: number; ready?: () => Promise<void>; variant?: string }): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes ?? 65_536,
    // Requests are measured by metrics and traced; one log line per request would only be noise.
    logController: new LogController({ disableRequestLogging: true }),
    // Long-lived streams (server-sent events) must not hold up shutdown.
    forceCloseConnections: true,
    // A request too malformed to parse (headers over 16 KB, ...) gets a problem with Connection: close, then a graceful close.
    clientErrorHandler: answerClientError,
    // Paths the router refuses before any handler (a malformed escape, an over-long segment) are problems too.
    frameworkErrors: answerFrameworkError,
  }) as unknown as FastifyInstance;
  installProblemHandler(app);
  refuseTunnels(app.server);
  refuseNulText(app);
  instrumentHttpServer(app);
  const version = options.variant ? `${releaseVersion()}-${options.variant}` : releaseVersion();
  app.get(HEALTH_PATHS.alive, { schema: { hide: true } }, async () => ({ status: 'ok', version, uptime_seconds: Math.round(process.uptime()) }));
  readinessRoute(app, options.ready ? [{ name: 'database', required: true, check: options.ready }] : []);
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return app;
}

addReadinessCheck({
  name: 'dependencies',
  // Reported, not required: an open breaker means a dependency is down, not that this instance is.
  required: false,
  check: async () => {
    const open = breakerSnapshots().filter((b) => b.state !== 'closed');
    if (open.length > 0) throw new Error(open.map((b) => `${b.target} ${b.state}`).join(', '));
    return breakerSnapshots().length > 0 ? `${breakerSnapshots().length} closed` : undefined;
  },
});
