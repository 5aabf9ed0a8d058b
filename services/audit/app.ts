import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigReader } from '../../core/config.ts';
import { createHttpApp } from '../../core/http-app.ts';
import { QUEUES } from '../../contracts/topology.ts';
import { createSqsClient, type MessagingConfig } from '../../messaging/aws.ts';
import { consumeWhenReady, parseEventEnvelope } from '../../messaging/consumer-host.ts';
import { stableMessageId, transactionalBatchHandler } from '../../messaging/inbox.ts';
import { QueueDirectory } from '../../messaging/queue-directory.ts';
import type { QueueConsumer } from '../../messaging/queue-consumer.ts';
import { databaseConfigFromEnv, openDatabase, sql, type Database, type DatabaseConfig } from '../../storage/database.ts';
import { migrateToLatest } from '../../storage/migrate.ts';
import { appendToChain, auditMigrations, verifyChain, type AuditEntry, type AuditSchema } from './chain.ts';
import { auditAdminRoutes } from './routes-admin.ts';

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

export async function openAuditDatabase(config: DatabaseConfig): Promise<Database<AuditSchema>> {
  const database = await openDatabase<AuditSchema>(config);
  await migrateToLatest(database.db, auditMigrations);
  return database;
}

export interface AuditService {
  app: FastifyInstance;
  database: Database<AuditSchema>;
  address: string;
  stop(): Promise<void>;
}

/** Under load, how long the consumer lets a partial batch fill before its next receive. */
const RECORD_BATCH_FILL_MS = 50;

/** The audit entry an EventBridge envelope on `audit-logs` records. */
function auditEntryOf(body: string, eventId: string): AuditEntry {
  const event = parseEventEnvelope<Record<string, unknown>>(body);
  const detail = event.detail;
  return {
    eventId,
    source: event.source,
    detailType: event.detailType,
    actor: typeof detail.actor === 'string' ? detail.actor : typeof detail.sender_id === 'string' ? detail.sender_id : typeof detail.user_id === 'string' ? detail.user_id : undefined,
    payload: detail,
    occurredAt: event.time ?? new Date().toISOString(),
  };
}

/** Every domain event, from `audit-logs`, into the hash-chained log. */
export async function startAuditService(config: AuditConfig, log: Logger, messaging: MessagingConfig): Promise<AuditService> {
  const database = await openAuditDatabase(config.database);
  const app = createHttpApp({ log, ready: async () => void (await sql`select 1`.execute(database.db)) });
  app.get('/audit/verify', async () => {
    const verdict = await verifyChain(database.db);
    return { ...verdict, brokenAt: verdict.brokenAt?.toString() };
  });
  app.get('/audit/records', { schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } } } } }, async (request) => {
    const { limit } = request.query as { limit: number };
    const rows = await database.db.selectFrom('audit_records').selectAll().orderBy('seq', 'desc').limit(limit).execute();
    return { records: rows.map((r) => ({ ...r, seq: r.seq.toString(), payload: JSON.parse(r.payload) })) };
  });
  auditAdminRoutes(app, database.db);
  const address = await app.listen({ host: config.host, port: config.port });

  const sqs = createSqsClient(messaging);
  const consumers: QueueConsumer[] = [];
  if (config.consumers) {
    consumers.push(
      consumeWhenReady({
        sqs,
        directory: new QueueDirectory(sqs),
        log,
        queue: QUEUES.auditLogs,
        // No one waits on this record: under load, receives wait a moment to carry fuller batches.
        fillBatchMs: RECORD_BATCH_FILL_MS,
        // A received batch is chained in one transaction (one commit); the log's unique event ids are its inbox.
        batchHandler: transactionalBatchHandler(
          database.db,
          (message) => auditEntryOf(message.body, stableMessageId(message)),
          (trx, entry) => appendToChain(trx, entry, database.dialect),
        ),
      }),
    );
  }
  return {
    app,
    database,
    address,
    async stop() {
      await app.close();
      await Promise.all(consumers.map((c) => c.stop()));
      sqs.destroy();
      await database.close();
    },
  };
}
