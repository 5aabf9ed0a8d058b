import { NotificationClient } from '../../clients/notification-client.ts';
import { PaymentClient } from '../../clients/payment-client.ts';
import { TransactionClient } from '../../clients/transaction-client.ts';
import { UserClient } from '../../clients/user-client.ts';
import { WalletClient } from '../../clients/wallet-client.ts';
import { PAYMENT_ROUTING_PATH } from '../../contracts/routing.ts';
import { stopOnSignals } from '../../core/lifecycle.ts';
import { ServiceResolver } from '../../discovery/resolver.ts';
import { httpHealthCheck } from '../../observability/health.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { collectorSettingsFromEnv, TraceCollector } from '../../observability/trace-collector.ts';
import { initTracing } from '../../observability/tracing.ts';
import { openDatabase, sql } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import { DatabaseLimitCounters } from './access-limits.ts';
import { buildGateway } from './app.ts';
import { resolveJwtSecret, TokenIssuer } from './auth.ts';
import { CanaryGuard, canaryGuardSettingsFromEnv } from './canary-guard.ts';
import { gatewayConfigFromEnv } from './config.ts';
import { gatewayGraphQLConfigFromEnv } from './graphql.ts';
import { IdempotencyStore } from './idempotency.ts';
import { LiveNotifications } from './live-notifications.ts';
import { gatewayMigrations, type GatewaySchema } from './migrations/index.ts';
import { adminDepsFromEnv } from './routes/admin-deps.ts';
import { WeightedRouter } from './weighted-router.ts';

// Settings first: a bad one stops the gateway before the trace collector takes its port.
const config = gatewayConfigFromEnv();
const collectorSettings = collectorSettingsFromEnv();
const canarySettings = canaryGuardSettingsFromEnv();
// On one machine the gateway keeps recent traces in a worker thread: its own spans, and the other services' over OTLP/HTTP.
const traces = collectorSettings && new TraceCollector(collectorSettings);
const tracing = initTracing('gateway', { localExporter: traces?.exporter });
// A trace other services kept (an error, a failed payment) is kept by the gateway too: its request span is the root.
traces?.onTracesStarted((traceIds) => traceIds.forEach((traceId) => tracing.keep(traceId)));
const log = createLogger('gateway');
setDefaultLabels({ service: 'gateway' });
const resolver = new ServiceResolver();
const database = await openDatabase<GatewaySchema>(config.database);
await migrateToLatest(database.db, gatewayMigrations);

const users = new UserClient(resolver.resolve('user-service.paypal.local').address, config.policies['user-service']);
const wallets = new WalletClient(resolver.resolve('wallet-service.paypal.local').address, config.policies['wallet-service']);
const notificationUrl = resolver.resolve('notification-service.paypal.local').address;
const transactions = new TransactionClient(resolver.resolve('transaction-service.paypal.local').address, config.policies['transaction-service']);
const live = new LiveNotifications(notificationUrl, log);
// An edit naming a host no one can resolve is refused like a malformed one: the last good weights stay.
const paymentRouter = new WeightedRouter(config.routingFile ?? PAYMENT_ROUTING_PATH, log, (route) => route.targets.forEach((t) => resolver.resolve(t.hostname)));
// A payment version whose saga failure or 5xx rate crosses its threshold gets no new payments until resumed (GATEWAY_CANARY_*).
const canaryGuard = new CanaryGuard(canarySettings, log);
paymentRouter.useGuard(canaryGuard);
const paymentClients = new Map<string, PaymentClient>();
const paymentClient = (node: string) => {
  const target = paymentRouter.current().targets.find((t) => t.node === node);
  const hostname = target?.hostname ?? 'payment-service.paypal.local';
  let client = paymentClients.get(`${node} ${hostname}`);
  if (!client) {
    client = new PaymentClient(resolver.resolve(hostname).address, node, config.policies[node as 'payment-service-v1'] ?? {});
    paymentClients.set(`${node} ${hostname}`, client);
  }
  return client;
};
canaryGuard.start(() => paymentRouter.current().targets.map((t) => ({ node: t.node, url: paymentClient(t.node).baseUrl })));
const app = await buildGateway({
  log,
  tokens: new TokenIssuer(resolveJwtSecret(config.jwtSecret), config.accessTokenTtlSeconds),
  idempotency: new IdempotencyStore(database),
  users,
  wallets,
  notifications: new NotificationClient(notificationUrl, config.policies['notification-service']),
  live,
  traces,
  sampling: tracing.sampling,
  transactions,
  paymentRouter,
  canaryGuard,
  paymentClients: paymentClient,
  rateLimits: config.rateLimits,
  accessCounters: new DatabaseLimitCounters(database),
  trustedProxyHops: config.trustedProxyHops,
  bodyLimitBytes: config.bodyLimitBytes,
  readiness: {
    // The gateway serves nothing useful without these: each is required.
    checks: () => [
      { name: 'database', required: true, check: async () => void (await sql`select 1`.execute(database.db)) },
      httpHealthCheck('user-service', users.baseUrl, true),
      { name: 'wallet-service', required: true, check: () => wallets.waitForReady(config.readinessTimeoutMs) },
      httpHealthCheck('transaction-service', transactions.baseUrl, true),
      httpHealthCheck('notification-service', notificationUrl, true),
      ...paymentRouter.current().targets.filter((t) => t.weight > 0).map((t) => httpHealthCheck(t.node, paymentClient(t.node).baseUrl, true)),
    ],
    timeoutMs: config.readinessTimeoutMs,
  },
  graphql: gatewayGraphQLConfigFromEnv(resolver),
  admin: adminDepsFromEnv(resolver),
});
const tracesUrl = await traces?.ready;
const address = await app.listen({ host: config.host, port: config.port });
live.start();
log.info({ address, traces: tracesUrl ?? tracing.destination }, `gateway listening on ${address}`);

stopOnSignals(log, [() => canaryGuard.stop(), () => live.stop(), () => app.close(), () => wallets.close(), () => database.close(), () => tracing.shutdown(), () => traces?.close()]);
