import { ConfigReader } from '../../core/config.ts';
import { catalogListener } from '../../discovery/catalog.ts';
import { databaseConfigFromEnv, type DatabaseConfig } from '../../storage/database.ts';

export interface TransactionConfig {
  host: string;
  port: number;
  database: DatabaseConfig;
  consumers: boolean;
}

export function transactionConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TransactionConfig {
  const read = new ConfigReader(env);
  const config = {
    host: read.string('TRANSACTION_HOST', '127.0.0.1'),
    port: read.port('TRANSACTION_PORT', catalogListener('transaction').localPort),
    database: databaseConfigFromEnv('transaction', env),
    consumers: read.onOff('TRANSACTION_CONSUMERS', true),
  };
  read.done('transaction');
  return config;
}
