import { ConfigReader } from '../../core/config.ts';
import { databaseConfigFromEnv, type DatabaseConfig } from '../../storage/database.ts';

export interface GatewayConfig {
  host: string;
  port: number;
  database: DatabaseConfig;
  /** HS256 key for access tokens; from GATEWAY_JWT_SECRET, else generated and kept in DATA_DIR. */
  jwtSecret: string | undefined;
  accessTokenTtlSeconds: number;
  rateLimitPerMinute: number;
  routingFile: string | undefined;
  bodyLimitBytes: number;
}

export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const read = new ConfigReader(env);
  const secret = read.optional('GATEWAY_JWT_SECRET');
  const config: GatewayConfig = {
    host: read.string('GATEWAY_HOST', '127.0.0.1'),
    port: read.port('GATEWAY_PORT', 8080),
    database: databaseConfigFromEnv('gateway', env),
    jwtSecret: secret,
    accessTokenTtlSeconds: read.int('GATEWAY_ACCESS_TOKEN_TTL_SECONDS', 900, 60, 86_400),
    rateLimitPerMinute: read.int('GATEWAY_RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    routingFile: read.optional('GATEWAY_ROUTING_FILE'),
    bodyLimitBytes: read.int('GATEWAY_BODY_LIMIT_BYTES', 65_536, 1024, 10_485_760),
  };
  if (secret !== undefined && Buffer.byteLength(secret) < 32) {
    throw new Error('invalid configuration for gateway:\n  - GATEWAY_JWT_SECRET must be at least 32 bytes');
  }
  read.done('gateway');
  return config;
}
