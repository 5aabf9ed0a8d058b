import { NotificationClient } from '../../clients/notification-client.ts';
import { PaymentClient } from '../../clients/payment-client.ts';
import { TransactionClient } from '../../clients/transaction-client.ts';
import { UserClient } from '../../clients/user-client.ts';
import { WalletClient } from '../../clients/wallet-client.ts';
import { PAYMENT_ROUTING_PATH } from '../../contracts/routing.ts';
import { ServiceResolver } from '../../discovery/resolver.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { openDatabase } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import { buildGateway } from './app.ts';
import { resolveJwtSecret, TokenIssuer } from './auth.ts';
import { gatewayConfigFromEnv } from './config.ts';
import { gatewayGraphQLConfigFromEnv } from './graphql.ts';
import { IdempotencyStore } from './idempotency.ts';
import { LiveNotifications } from './live-notifications.ts';
import { gatewayMigrations, type GatewaySchema } from './migrations/index.ts';
import { WeightedRouter } from './weighted-router.ts';

const log = createLogger('gateway');
setDefaultLabels({ service: 'gateway' });
const config = gatewayConfigFromEnv();
const resolver = new ServiceResolver();
const database = await openDatabase<GatewaySchema>(config.database);
await migrateToLatest(database.db, gatewayMigrations);

const users = new UserClient(resolver.resolve('user-service.paypal.local').address);
const wallets = new WalletClient(resolver.resolve('wallet-service.paypal.local').address);
const notificationUrl = resolver.resolve('notification-service.paypal.local').address;
const live = new LiveNotifications(notificationUrl, log);
const paymentRouter = new WeightedRouter(config.routingFile ?? PAYMENT_ROUTING_PATH, log);
const paymentClients = new Map<string, PaymentClient>();
const app = await buildGateway({
  log,
  tokens: new TokenIssuer(resolveJwtSecret(config.jwtSecret), config.accessTokenTtlSeconds),
  idempotency: new IdempotencyStore(database.db),
  users,
  wallets,
  notifications: new NotificationClient(notificationUrl),
  live,
  transactions: new TransactionClient(resolver.resolve('transaction-service.paypal.local').address),
  paymentRouter,
  paymentClients: (node) => {
    let client = paymentClients.get(node);
    if (!client) {
      const target = paymentRouter.current().targets.find((t) => t.node === node);
      client = new PaymentClient(resolver.resolve(target?.hostname ?? 'payment-service.paypal.local').address, node);
      paymentClients.set(node, client);
    }
    return client;
  },
  rateLimitPerMinute: config.rateLimitPerMinute,
  bodyLimitBytes: config.bodyLimitBytes,
  graphql: gatewayGraphQLConfigFromEnv(resolver),
});
const address = await app.listen({ host: config.host, port: config.port });
live.start();
log.info({ address }, `gateway listening on ${address}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    live.stop();
    await app.close();
    wallets.close();
    await database.close();
    process.exit(0);
  });
}
