import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createHttpApp } from '../../core/http-app.ts';
import { sql, type Database } from '../../storage/database.ts';
import { registryRoutes } from './routes.ts';
import type { RegistrySchema } from './schema.ts';
import { SchemaStore } from './store.ts';

export interface RegistryDeps {
  database: Database<RegistrySchema>;
  log: Logger;
}

/** Schemas can be large; Confluent's clients send them whole in one body. */
const BODY_LIMIT_BYTES = 1024 * 1024;

/** The registry on an open, migrated database; it never listens (main.ts does; tests `inject` or listen themselves). */
export async function buildSchemaRegistry(deps: RegistryDeps): Promise<{ app: FastifyInstance; store: SchemaStore }> {
  const store = new SchemaStore(deps.database);
  const app = createHttpApp({ log: deps.log, bodyLimitBytes: BODY_LIMIT_BYTES, ready: async () => void (await sql`select 1`.execute(deps.database.db)) });
  await registryRoutes(app, store);
  return { app, store };
}
