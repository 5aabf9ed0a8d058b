import { ConfigReader } from '../../core/config.ts';
import { catalogListener } from '../../discovery/catalog.ts';
import { messagingConfigFromEnv } from '../../messaging/aws.ts';
import { policySettingsFromEnv, type PolicySettings } from '../../resilience/settings.ts';
import { databaseConfigFromEnv, type DatabaseConfig } from '../../storage/database.ts';

/** The dependencies the gateway calls through a breaker, by their policy target name. */
export const GATEWAY_DEPENDENCIES = ['user-service', 'wallet-service', 'transaction-service', 'notification-service', 'payment-service-v1', 'payment-service-v2'] as const;
export type GatewayDependency = (typeof GATEWAY_DEPENDENCIES)[number];

export interface RateLimits {
  /** Requests per minute by one signed-in user (across IPs). */
  perUser: number;
  /** Requests per minute from one IP without a valid token. */
  perIp: number;
  /** Sign-ups and logins per minute from one client address (each is expensive: a password hash); shared by every gateway task. */
  signUps: number;
  logins: number;
  /** Logins per minute for one account (email), from anywhere: brute force against one account; shared by every gateway task. */
  loginsPerAccount: number;
}

export interface GatewayConfig {
  host: string;
  port: number;
  database: DatabaseConfig;
  /** Production: real AWS messaging or DNS discovery. No generated secrets there. */
  production: boolean;
  /** HS256 key for access tokens; from GATEWAY_JWT_SECRET, else (never in production) generated and kept in DATA_DIR. */
  jwtSecret: string | undefined;
  accessTokenTtlSeconds: number;
  rateLimits: RateLimits;
  /**
   * Proxies in front of the gateway whose X-Forwarded-For entry is trusted (1 behind the ALB): the client
   * address is the entry the outermost trusted proxy added, so a client cannot pick its own by sending the
   * header. 0: the TCP peer is the client.
   */
  trustedProxyHops: number;
  routingFile: string | undefined;
  bodyLimitBytes: number;
  /** Timeout and breaker per dependency (USER_SERVICE_BREAKER_FAILURES, ...). */
  policies: Record<GatewayDependency, PolicySettings>;
  /** How long /readyz waits for each dependency. */
  readinessTimeoutMs: number;
}

/** Production as messaging and discovery see it: real AWS (no embedded broker) or Cloud Map DNS names. */
export function isProduction(env: NodeJS.ProcessEnv): boolean {
  let embedded = true;
  try {
    embedded = messagingConfigFromEnv(env).embedded;
  } catch {
    // A malformed broker URL is reported by the services that use it; it does not make this production.
  }
  return !embedded || env.SERVICE_DISCOVERY === 'dns';
}

export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const read = new ConfigReader(env);
  const secret = read.optional('GATEWAY_JWT_SECRET');
  const production = isProduction(env);
  const config: GatewayConfig = {
    host: read.string('GATEWAY_HOST', '127.0.0.1'),
    port: read.port('GATEWAY_PORT', catalogListener('gateway').localPort),
    database: databaseConfigFromEnv('gateway', env),
    production,
    jwtSecret: secret,
    accessTokenTtlSeconds: read.int('GATEWAY_ACCESS_TOKEN_TTL_SECONDS', 900, 60, 86_400),
    rateLimits: {
      perUser: read.int('GATEWAY_RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
      perIp: read.int('GATEWAY_RATE_LIMIT_PER_IP_PER_MINUTE', 300, 1, 1_000_000),
      signUps: read.int('GATEWAY_RATE_LIMIT_SIGNUPS_PER_MINUTE', 20, 1, 1_000_000),
      logins: read.int('GATEWAY_RATE_LIMIT_LOGINS_PER_MINUTE', 10, 1, 1_000_000),
      loginsPerAccount: read.int('GATEWAY_RATE_LIMIT_LOGINS_PER_ACCOUNT_PER_MINUTE', 5, 1, 1_000_000),
    },
    trustedProxyHops: read.int('GATEWAY_TRUSTED_PROXY_HOPS', 0, 0, 10),
    routingFile: read.optional('GATEWAY_ROUTING_FILE'),
    bodyLimitBytes: read.int('GATEWAY_BODY_LIMIT_BYTES', 65_536, 1024, 10_485_760),
    policies: Object.fromEntries(GATEWAY_DEPENDENCIES.map((target) => [target, policySettingsFromEnv(target, read)])) as Record<GatewayDependency, PolicySettings>,
    readinessTimeoutMs: read.int('GATEWAY_READINESS_TIMEOUT_MS', 2000, 50, 60_000),
  };
  if (secret !== undefined && Buffer.byteLength(secret) < 32) read.problem('GATEWAY_JWT_SECRET must be at least 32 bytes');
  if (secret === undefined && production) {
    read.problem(
      'GATEWAY_JWT_SECRET is required in production (real AWS messaging or SERVICE_DISCOVERY=dns): every replica must sign with the same key, so none may generate its own',
    );
  }
  read.done('gateway');
  return config;
}
