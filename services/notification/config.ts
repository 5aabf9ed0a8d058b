import { ConfigReader } from '../../core/config.ts';
import { catalogListener } from '../../discovery/catalog.ts';
import { databaseConfigFromEnv, type DatabaseConfig } from '../../storage/database.ts';

export interface NotificationConfig {
  host: string;
  port: number;
  database: DatabaseConfig;
  consumers: boolean;
}

export function notificationConfigFromEnv(env: NodeJS.ProcessEnv = process.env): NotificationConfig {
  const read = new ConfigReader(env);
  const config = {
    host: read.string('NOTIFICATION_HOST', '127.0.0.1'),
    port: read.port('NOTIFICATION_PORT', catalogListener('notification').localPort),
    database: databaseConfigFromEnv('notification', env),
    consumers: read.onOff('NOTIFICATION_CONSUMERS', true),
  };
  read.done('notification');
  return config;
}
