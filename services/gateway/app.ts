import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { answerClientError, refuseTunnels } from '../../core/http-client-errors.ts';
import { answerFrameworkError, notFoundBeforeBody } from '../../core/http-problem.ts';
import { refuseNulText } from '../../core/nul-text.ts';
import { HEALTH_PATHS } from '../../discovery/catalog.ts';
import { readinessRoute } from '../../observability/health.ts';
import { instrumentHttpServer } from '../../observability/http.ts';
import { registry } from '../../observability/metrics.ts';
import { authenticateBeforeInput } from './auth.ts';
import type { GatewayDeps } from './deps.ts';
import { registerGraphQL } from './graphql.ts';
import { coerceQueryParameters, installGatewayProblems } from './problems.ts';
import { registerRateLimits } from './rate-limit.ts';
import { accountRoutes } from './routes/account.ts';
import { consoleVisitor } from './routes/admin-console.ts';
import { operationsRoutes } from './routes/admin-operations.ts';
import { observabilityRoutes } from './routes/admin-traces.ts';
import { adminRoutes } from './routes/admin.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { paymentRoutes } from './routes/payments.ts';
import { transactionRoutes } from './routes/transactions.ts';
import { walletRoutes } from './routes/wallets.ts';
import { registerWebApp } from './static.ts';

/** Trusts the first `hops` proxies from the gateway outward (the TCP peer is hop 0). */
function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

/** Builds the public API without listening, so tests can `inject` into it. */
export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    // request.ip is the address the outermost trusted proxy saw, never an X-Forwarded-For entry the client wrote.
    // (proxy-addr's hop-count trust, as a function: Fastify's types leave out the number form).
    trustProxy: deps.trustedProxyHops ? trustHops(deps.trustedProxyHops) : false,
    // Requests are measured by metrics and traced; one log line per request would only be noise.
    logController: new LogController({ disableRequestLogging: true }),
    // A request too malformed to parse (headers over 16 KB, ...) gets a problem with Connection: close, then a graceful close.
    clientErrorHandler: answerClientError,
    // Paths the router refuses before any handler (a malformed escape, an over-long segment) are problems too.
    frameworkErrors: answerFrameworkError,
    // Verbose: a failed pattern can be explained by its schema's description.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, verbose: true } },
  });
  installGatewayProblems(app, deps.bodyLimitBytes);
  refuseTunnels(app.server);
  instrumentHttpServer(app);
  coerceQueryParameters(app);
  // Before validation and before anything counts or stores it: PostgreSQL cannot hold a NUL (found by the fuzzer).
  refuseNulText(app);
  // JSON only: a text/plain body is refused with 415 instead of failing the schema as a string.
  app.removeContentTypeParser('text/plain');

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'PayMesh public API', version: '1.0.0', description: 'Wallets, top-ups, withdrawals and peer-to-peer payments. Amounts are decimal strings with an ISO 4217 currency.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });

  await registerRateLimits(app, deps.tokens, deps.rateLimits);
  // After the limiter: an unknown path is answered before its body is read, as operator-only routes are (found by the fuzzer).
  notFoundBeforeBody(app);
  authenticateBeforeInput(app, deps.tokens);

  accountRoutes(app, deps);
  walletRoutes(app, deps);
  paymentRoutes(app, deps);
  transactionRoutes(app, deps);
  await notificationRoutes(app, deps);
  observabilityRoutes(app, deps);
  adminRoutes(app, deps);
  await operationsRoutes(app, deps);
  if (deps.graphql) await registerGraphQL(app, { tokens: deps.tokens, log: deps.log, config: deps.graphql });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get(HEALTH_PATHS.alive, { schema: { hide: true }, config: { rateLimit: false } }, async () => ({ status: 'ok' }));
  readinessRoute(app, deps.readiness?.checks, { timeoutMs: deps.readiness?.timeoutMs, routeConfig: { rateLimit: false } });
  app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  // The web front end (web/dist) answers the GETs no API route matches.
  await registerWebApp(app, { allow: consoleVisitor(deps.tokens) });
  return app;
}
