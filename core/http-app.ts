import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registry } from '../observability/metrics.ts';
import { installProblemHandler } from './http-problem.ts';

/**
 * A Fastify app with what every PayMesh HTTP service has: problem-details
 * errors, a body limit, `/healthz` (alive), `/readyz` (dependencies
 * reachable) and `/metrics` (Prometheus).
 */
export function createHttpApp(options: { log: Logger; bodyLimitBytes?: number; ready?: () => Promise<void> }): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes ?? 65_536,
    // Requests are measured by metrics and traced; one log line per request would only be noise.
    logController: new LogController({ disableRequestLogging: true }),
    // Long-lived streams (server-sent events) must not hold up shutdown.
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  installProblemHandler(app);
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await options.ready?.();
      return { status: 'ready' };
    } catch (err) {
      return reply.code(503).send({ status: 'not_ready', detail: (err as Error).message });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return app;
}
