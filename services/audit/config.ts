import { ConfigReader } from '../../core/config.ts';
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
    port: read.port('AUDIT_PORT', 8005),
    database: databaseConfigFromEnv('audit', env),
    consumers: read.onOff('AUDIT_CONSUMERS', true),
  };
  read.done('audit');
  return config;
}
