import { ConfigReader } from '../../core/config.ts';
import { catalogListener } from '../../discovery/catalog.ts';
import { databaseConfigFromEnv, type DatabaseConfig } from '../../storage/database.ts';

export interface AuditConfig {
  host: string;
  port: number;
  database: DatabaseConfig;
  consumers: boolean;
}

export function auditConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuditConfig {
  const read = new ConfigReader(env);
  const config = {
    host: read.string('AUDIT_HOST', '127.0.0.1'),
    port: read.port('AUDIT_PORT', catalogListener('audit').localPort),
    database: databaseConfigFromEnv('audit', env),
    consumers: read.onOff('AUDIT_CONSUMERS', true),
  };
  read.done('audit');
  return config;
}
