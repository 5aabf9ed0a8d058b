import type { Logger } from 'pino';
import type { NotificationClient } from '../../clients/notification-client.ts';
import type { PaymentClient } from '../../clients/payment-client.ts';
import type { TransactionClient } from '../../clients/transaction-client.ts';
import type { UserClient } from '../../clients/user-client.ts';
import type { WalletClient } from '../../clients/wallet-client.ts';
import type { ReadinessCheck } from '../../observability/health.ts';
import type { TraceQueries } from '../../observability/trace-collector.ts';
import type { Sampling } from '../../observability/tracing.ts';
import type { LimitCounters } from './access-limits.ts';
import type { TokenIssuer } from './auth.ts';
import type { CanaryGuard } from './canary-guard.ts';
import type { RateLimits } from './config.ts';
import type { GatewayGraphQLConfig } from './graphql.ts';
import type { IdempotencyStore } from './idempotency.ts';
import type { LiveNotifications } from './live-notifications.ts';
import type { AdminDeps } from './routes/admin-deps.ts';
import type { WeightedRouter } from './weighted-router.ts';

/** Everything the gateway's routes need, built once by main.ts (or by a test) and passed in. */
export interface GatewayDeps {
  log: Logger;
  tokens: TokenIssuer;
  idempotency: IdempotencyStore;
  users: UserClient;
  wallets: WalletClient;
  transactions: TransactionClient;
  notifications: NotificationClient;
  live: LiveNotifications;
  paymentRouter: WeightedRouter | undefined;
  /** Halts a payment version whose saga failure or 5xx rate crossed its threshold (POST /admin/routing/resume); absent: none. */
  canaryGuard?: CanaryGuard;
  /** The payment service client for a routing target (virtual node), e.g. payment-service-v2. */
  paymentClients: (node: string) => PaymentClient;
  rateLimits: RateLimits;
  /** Where login and sign-up attempts are counted: the gateway's database, so every task sees them. */
  accessCounters: LimitCounters;
  /** GatewayConfig.trustedProxyHops; absent: 0, the TCP peer is the client. */
  trustedProxyHops?: number;
  bodyLimitBytes: number;
  /** What GET /readyz checks, all required (the database, the services called), and how long each may take; absent: always ready. */
  readiness?: { checks: () => ReadinessCheck[]; timeoutMs: number };
  /** Recent traces for /admin/traces, from the trace collector (a worker thread); absent: no trace store. */
  traces?: TraceQueries;
  /** How traces are sampled, to tell an operator why a payment has none. */
  sampling?: Sampling;
  /** The federated graph at /graphql; absent: no /graphql. */
  graphql?: GatewayGraphQLConfig;
  /** The operator admin API's own dependencies (routes/admin-operations.ts); absent: only the console cookie routes. */
  admin?: AdminDeps;
}
