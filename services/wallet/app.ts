import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { loadWalletService } from '../../contracts/wallet-grpc.ts';
import { refuseMalformedRequests, withTolerantDeserializers } from '../../core/grpc-decoding.ts';
import type { Logger } from '../../observability/logger.ts';
import { openDatabase, sql, type Database } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import type { WalletConfig } from './config.ts';
import { startWalletGraphQL, type WalletGraphQLServer } from './graphql.ts';
import { createWalletHandlers } from './grpc-handlers.ts';
import { WalletLedger } from './ledger.ts';
import { walletMigrations } from './migrations/index.ts';
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

/** Builds and starts the wallet service: database and migrations, gRPC server, hold sweeper. */
export async function startWalletService(config: WalletConfig, log: Logger): Promise<WalletService> {
  const database = await openDatabase<WalletSchema>(config.database);
  try {
    await migrateToLatest(database.db, walletMigrations);
  } catch (err) {
    await database.close();
    throw err;
  }
  const ledger = new WalletLedger(database, { holdTtlSeconds: config.holdTtlSeconds });

  const server = new grpc.Server();
  // Bytes that do not decode are answered INVALID_ARGUMENT by the handlers, not INTERNAL by grpc-js (core/grpc-decoding.ts).
  server.addService(withTolerantDeserializers(loadWalletService().service), createWalletHandlers(ledger, log));
  const health = new HealthImplementation({ '': 'SERVING', WalletService: 'SERVING' });
  health.addToServer({
    addService: (definition, implementation) =>
      server.addService(withTolerantDeserializers(definition as grpc.ServiceDefinition), refuseMalformedRequests(definition as grpc.ServiceDefinition, implementation as grpc.UntypedServiceImplementation)),
  });

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
