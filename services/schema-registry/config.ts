import { ConfigReader } from '../../core/config.ts';
import { catalogListener } from '../../discovery/catalog.ts';
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
    port: read.port('SCHEMA_REGISTRY_PORT', catalogListener('schema-registry').localPort),
    database: databaseConfigFromEnv('schema-registry', env),
  };
  read.done('schema-registry');
  return config;
}
