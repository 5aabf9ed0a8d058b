import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../observability/logger.ts';
import { sql, type Database } from '../../storage/database.ts';
import { buildWalletServer } from './app.ts';
import type { WalletConfig } from './config.ts';
import { openWalletDatabase } from './database.ts';
import { startWalletGraphQL, type WalletGraphQLServer } from './graphql.ts';
import { WalletLedger } from './ledger.ts';
import type { WalletSchema } from './schema.ts';

export interface WalletService {
  readonly ledger: WalletLedger;
  readonly database: Database<WalletSchema>;
  /** The bound address, e.g. 127.0.0.1:50051. */
  readonly address: string;
  /** http://host:port of the GraphQL subgraph listener (path /graphql), when configured. */
  readonly graphqlAddress: string | undefined;
  stop(): Promise<void>;
}

/**
 * The wallet service as it runs: database and migrations, the gRPC server
 * bound, the GraphQL subgraph when configured, the hold sweeper. main.ts runs
 * it with the settings from the environment; tests run it with theirs.
 */
export async function startWalletService(config: WalletConfig, log: Logger): Promise<WalletService> {
  const database = await openWalletDatabase(config.database);
  const ledger = new WalletLedger(database, { holdTtlSeconds: config.holdTtlSeconds });
  const { server, health } = buildWalletServer(ledger, log);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${config.host}:${config.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );

  let graphql: WalletGraphQLServer | undefined;
  if (config.graphql) {
    try {
      graphql = await startWalletGraphQL(ledger, config.graphql, log, async () => void (await sql`select 1`.execute(database.db)));
    } catch (err) {
      server.forceShutdown();
      await database.close();
      throw err;
    }
  }

  // Expired holds go back to available even if no saga ever comes back for them.
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweeper = setInterval(() => {
    sweeping = ledger.expireDueHolds().then(
      (count) => count > 0 && log.info({ count }, 'released expired holds'),
      (err) => log.error({ err }, 'hold sweep failed'),
    );
  }, config.holdSweepIntervalMs);
  sweeper.unref();

  return {
    ledger,
    database,
    address: `${config.host}:${port}`,
    graphqlAddress: graphql?.address,
    async stop() {
      clearInterval(sweeper);
      await graphql?.stop();
      health.setStatus('', 'NOT_SERVING');
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 5000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      await sweeping;
      await database.close();
    },
  };
}
