import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createHttpApp } from '../../core/http-app.ts';
import { sql, type Database } from '../../storage/database.ts';
import { mountTransactionSubgraph } from './graphql.ts';
import { transactionRoutes } from './routes.ts';
import type { TransactionSchema } from './schema.ts';

export interface TransactionDeps {
  database: Database<TransactionSchema>;
  log: Logger;
}

/**
 * The record of every payment for both parties, over REST and as a GraphQL
 * subgraph; built from what it is given and never listening (main.ts
 * listens and starts the `transaction-events` consumer that feeds it).
 */
export function buildTransactionService(deps: TransactionDeps): FastifyInstance {
  const app = createHttpApp({ log: deps.log, ready: async () => void (await sql`select 1`.execute(deps.database.db)) });
  transactionRoutes(app, deps.database.db);
  mountTransactionSubgraph(app, deps.database.db, deps.log);
  return app;
}
