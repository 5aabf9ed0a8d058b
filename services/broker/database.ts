import { openDatabase, type Database, type DatabaseConfig } from '../../storage/database.ts';

/**
 * The broker's one database, opened as every service's is. The SQS engine
 * uses what storage exposes of SQLite beyond Kysely: the node:sqlite handle
 * (`sqlite.raw`), on which it runs its own prepared statements synchronously
 * while it holds Kysely's one connection, since Kysely's per-query
 * compilation would otherwise be most of a send's cost, and the WalSync that
 * makes its group commits durable (sqs/store.ts).
 */
export type BrokerDatabase = Database<any>;

export function openBrokerDatabase(config: DatabaseConfig): Promise<BrokerDatabase> {
  return openDatabase<any>(config);
}
