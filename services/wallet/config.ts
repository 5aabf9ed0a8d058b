import { ConfigReader } from '../../core/config.ts';
import { catalogListener } from '../../discovery/catalog.ts';
import { databaseConfigFromEnv, type DatabaseConfig } from '../../storage/database.ts';

export interface WalletConfig {
  host: string;
  port: number;
  database: DatabaseConfig;
  holdTtlSeconds: number;
  holdSweepIntervalMs: number;
  /** The HTTP listener for the GraphQL subgraph; absent: gRPC only. */
  graphql?: { host: string; port: number };
  /** Consume `wallet-events` (first wallets for new users); main.ts starts the consumer. */
  consumers?: boolean;
}

export function walletConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WalletConfig {
  const read = new ConfigReader(env);
  const grpcPort = read.port('WALLET_GRPC_PORT', catalogListener('wallet', 'grpc').localPort);
  const config: WalletConfig = {
    host: read.string('WALLET_GRPC_HOST', '127.0.0.1'),
    port: grpcPort,
    database: databaseConfigFromEnv('wallet', env),
    holdTtlSeconds: read.int('WALLET_HOLD_TTL_SECONDS', 900, 1, 7 * 24 * 3600),
    holdSweepIntervalMs: read.int('WALLET_HOLD_SWEEP_INTERVAL_MS', 1000, 50, 3_600_000),
    graphql: {
      host: read.string('WALLET_GRAPHQL_HOST', '127.0.0.1'),
      // An instance on an ephemeral gRPC port (a test's) takes an ephemeral GraphQL port too, not the shared 8007.
      port: read.port('WALLET_GRAPHQL_PORT', grpcPort === 0 ? 0 : catalogListener('wallet', 'graphql').localPort),
    },
    consumers: read.onOff('WALLET_CONSUMERS', true),
  };
  read.done('wallet');
  return config;
}
