import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { installProblemHandler } from '../../core/http-problem.ts';
import { registry } from '../../observability/metrics.ts';
import type { GatewayDeps } from './deps.ts';
import { registerGraphQL } from './graphql.ts';
import { accountRoutes } from './routes/account.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { paymentRoutes } from './routes/payments.ts';
import { transactionRoutes } from './routes/transactions.ts';
import { walletRoutes } from './routes/wallets.ts';

/** Builds the public API without listening, so tests can `inject` into it. */
export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    // Requests are measured by metrics and traced; one log line per request would only be noise.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  installProblemHandler(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'PayMesh public API', version: '1.0.0', description: 'Wallets, top-ups, withdrawals and peer-to-peer payments. Amounts are decimal strings with an ISO 4217 currency.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });

  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute,
    timeWindow: '1 minute',
    // Per user when the caller is signed in, per IP otherwise.
    keyGenerator: async (request) => {
      try {
        return `user:${(await deps.tokens.authenticate(request)).userId}`;
      } catch {
        return `ip:${request.ip}`;
      }
    },
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      type: 'https://paymesh.dev/problems/rate-limited',
      title: 'RATE_LIMITED',
      status: 429,
      detail: `too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`,
      code: 'RATE_LIMITED',
    }),
  });

  accountRoutes(app, deps);
  walletRoutes(app, deps);
  paymentRoutes(app, deps);
  transactionRoutes(app, deps);
  await notificationRoutes(app, deps);
  if (deps.graphql) await registerGraphQL(app, { tokens: deps.tokens, log: deps.log, config: deps.graphql });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true }, config: { rateLimit: false } }, async () => ({ status: 'ok' }));
  app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  return app;
}
