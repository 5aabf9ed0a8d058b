import { randomUUID } from 'node:crypto';
import { CompiledQuery, type Kysely } from 'kysely';
import pino, { type Logger } from 'pino';
import { openDatabase, type Database, type DatabaseConfig } from '../../../../storage/database.ts';
import { migrateToLatest } from '../../../../storage/migrate.ts';
import { eventually } from '../../../../test/support/eventually.ts';
import { AwsError } from '../../aws-error.ts';
import type { QueueDelivery, QueueMessageOutcome, QueueTransaction, QueueTransactions } from '../../ports.ts';
import type { Sql } from '../../sqs/store.ts';
import { createEventBridge, eventBridgeMigrations, type EventBridge, type EventBridgeOptions, type QueueDeliveryOptions } from '../index.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
export const busArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;

export interface Delivered {
  queueArn: string;
  body: string;
  options: QueueDeliveryOptions | undefined;
}

/**
 * An in-memory stand-in for the SQS half: queues that exist accept messages
 * and record them; any other ARN fails as SQS does for a missing queue.
 * Its transactions are real ones on the harness database, and what they
 * deliver is recorded only once they commit.
 */
export class RecordingQueues implements QueueDelivery, QueueTransactions {
  readonly existing = new Set<string>();
  readonly delivered: Delivered[] = [];
  readonly failures: Array<{ queueArn: string; at: number }> = [];
  db: Kysely<any> | undefined;
  dialect: 'sqlite' | 'postgres' = 'sqlite';

  async transact<T>(work: (tx: QueueTransaction) => Promise<T>): Promise<T> {
    const pending: Delivered[] = [];
    const result = await this.db!.transaction().execute((trx) => {
      pending.length = 0;
      const toDialect = (text: string) => (this.dialect === 'postgres' ? text.replace(/\?/g, ((n) => () => `$${++n}`)(0)) : text);
      const sql: Sql = {
        all: async <R>(text: string, params: readonly unknown[] = []) => (await trx.executeQuery<R>(CompiledQuery.raw(toDialect(text), [...params]))).rows,
        run: async (text: string, params: readonly unknown[] = []) => Number((await trx.executeQuery(CompiledQuery.raw(toDialect(text), [...params]))).numAffectedRows ?? 0n),
      };
      const deliver = async (requests: Parameters<QueueTransaction['deliver']>[0]): Promise<QueueMessageOutcome[]> =>
        requests.map((r) => {
          if (!this.existing.has(r.queueArn)) {
            this.failures.push({ queueArn: r.queueArn, at: Date.now() });
            return { error: new AwsError('AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist for this wsdl version.') };
          }
          const fifo = r.messageGroupId !== undefined || r.messageDeduplicationId !== undefined;
          pending.push({ queueArn: r.queueArn, body: r.body, options: fifo ? { messageGroupId: r.messageGroupId, messageDeduplicationId: r.messageDeduplicationId } : undefined });
          return { messageId: randomUUID() };
        });
      return work({ sql, now: Date.now(), deliver });
    });
    this.delivered.push(...pending);
    return result;
  }

  create(...arns: string[]): this {
    for (const arn of arns) this.existing.add(arn);
    return this;
  }

  async deliverToQueueArn(arn: string, body: string, options?: QueueDeliveryOptions): Promise<{ messageId: string }> {
    if (!this.existing.has(arn)) {
      this.failures.push({ queueArn: arn, at: Date.now() });
      throw new AwsError('AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist for this wsdl version.');
    }
    this.delivered.push({ queueArn: arn, body, options });
    return { messageId: randomUUID() };
  }

  on(arn: string): Delivered[] {
    return this.delivered.filter((d) => d.queueArn === arn);
  }

  bodiesOn(arn: string): any[] {
    return this.on(arn).map((d) => JSON.parse(d.body));
  }

  /** Waits until the queue has received `count` messages; returns them. */
  async received(arn: string, count = 1, timeoutMs = 5000): Promise<Delivered[]> {
    return eventually(`${count} message(s) on ${arn}`, () => (this.on(arn).length >= count ? this.on(arn) : undefined), timeoutMs, 10);
  }

  /** Waits like `received`, returning the message bodies parsed as JSON. */
  async receivedBodies(arn: string, count = 1, timeoutMs = 5000): Promise<any[]> {
    return (await this.received(arn, count, timeoutMs)).map((d) => JSON.parse(d.body));
  }
}

/** Fast retries and polls, so retry and DLQ tests take milliseconds. */
export const FAST: EventBridgeOptions = { pollIntervalMs: 20, retryBaseDelayMs: 5, retryMaxDelayMs: 30 };

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export function capturingLog(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

export interface Harness {
  database: Database<any>;
  queues: RecordingQueues;
  logLines: LogLine[];
  /** A started EventBridge over the harness database; several may be opened to simulate restarts. */
  open(options?: EventBridgeOptions & { start?: boolean }): Promise<EventBridge>;
  /** Calls `handle` on the most recently opened instance. */
  call(action: string, input: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

export async function harness(config: DatabaseConfig): Promise<Harness> {
  const database = await openDatabase<any>(config);
  await migrateToLatest(database.db, eventBridgeMigrations, 'eventbridge');
  const queues = new RecordingQueues();
  queues.db = database.db;
  queues.dialect = database.dialect;
  const { log, lines } = capturingLog();
  const opened: EventBridge[] = [];
  return {
    database,
    queues,
    logLines: lines,
    async open(options = {}) {
      const { start = true, ...rest } = options;
      const eb = createEventBridge(
        { db: database.db, dialect: database.dialect, sqlite: database.sqlite, accountId: ACCOUNT, region: REGION, log, queues },
        { ...FAST, ...rest },
      );
      if (start) await eb.start();
      opened.push(eb);
      return eb;
    },
    call(action, input) {
      const eb = opened[opened.length - 1];
      if (!eb) throw new Error('open() an EventBridge first');
      return eb.handle(action, input) as Promise<any>;
    },
    async close() {
      for (const eb of opened) await eb.stop();
      await database.close();
    },
  };
}

/** An assert.rejects matcher for an AwsError code (and, optionally, part of its message). */
export function awsError(code: string, message?: string | RegExp) {
  return (err: any) => {
    if (!(err instanceof AwsError)) throw new Error(`expected AwsError ${code}, got ${err}`);
    if (err.code !== code) throw new Error(`expected ${code}, got ${err.code}: ${err.message}`);
    if (typeof message === 'string' && !err.message.includes(message)) throw new Error(`expected "${message}" in "${err.message}"`);
    if (message instanceof RegExp && !message.test(err.message)) throw new Error(`expected ${message} to match "${err.message}"`);
    return true;
  };
}
