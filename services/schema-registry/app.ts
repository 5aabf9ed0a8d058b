import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigReader } from '../../core/config.ts';
import { createHttpApp } from '../../core/http-app.ts';
import { databaseConfigFromEnv, openDatabase, sql, type Database, type DatabaseConfig } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import { registryMigrations } from './migrations/index.ts';
import { registryRoutes } from './routes.ts';
import type { RegistrySchema } from './schema.ts';
import { SchemaStore } from './store.ts';

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

export interface RegistryService {
  app: FastifyInstance;
  database: Database<RegistrySchema>;
  store: SchemaStore;
  /** http://host:port */
  address: string;
  stop(): Promise<void>;
}

/** Schemas can be large; Confluent's clients send them whole in one body. */
const BODY_LIMIT_BYTES = 1024 * 1024;

/** Builds the registry app on an open database; nothing listens yet (tests use `inject`). */
export async function buildSchemaRegistry(database: Database<RegistrySchema>, log: Logger): Promise<{ app: FastifyInstance; store: SchemaStore }> {
  await migrateToLatest(database.db, registryMigrations);
  const store = new SchemaStore(database);
  const app = createHttpApp({ log, bodyLimitBytes: BODY_LIMIT_BYTES, ready: async () => void (await sql`select 1`.execute(database.db)) });
  await registryRoutes(app, store);
  return { app, store };
}

export async function startSchemaRegistry(config: RegistryConfig, log: Logger): Promise<RegistryService> {
  const database = await openDatabase<RegistrySchema>(config.database);
  try {
    const { app, store } = await buildSchemaRegistry(database, log);
    const address = await app.listen({ host: config.host, port: config.port });
    return {
      app,
      database,
      store,
      address,
      async stop() {
        await app.close();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
