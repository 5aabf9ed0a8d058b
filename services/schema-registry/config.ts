import { ConfigReader } from '../../core/config.ts';
import { databaseConfigFromEnv, type DatabaseConfig } from '../../storage/database.ts';

export interface RegistryConfig {
  host: string;
  port: number;
  database: DatabaseConfig;
}

export function registryConfigFromEnv(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const read = new ConfigReader(env);
  const config = {
    host: read.string('SCHEMA_REGISTRY_HOST', '127.0.0.1'),
    port: read.port('SCHEMA_REGISTRY_PORT', 8006),
    database: databaseConfigFromEnv('schema-registry', env),
  };
  read.done('schema-registry');
  return config;
}
