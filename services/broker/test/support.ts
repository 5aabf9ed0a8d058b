import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
  type ReceiveMessageCommandInput,
} from '@aws-sdk/client-sqs';
import pino from 'pino';
import type { DatabaseConfig } from '../../../storage/database.ts';
import { testDatabases, type TestDatabase } from '../../../test/support/databases.ts';
import { startBroker, type Broker } from '../app.ts';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'AKIDPAYMESHTEST', secretAccessKey: 'not-checked' };

export interface TestBroker {
  readonly broker: Broker;
  readonly endpoint: string;
  /** The current SDK (JSON protocol), MD5 checks on as by default. */
  readonly sqs: SQSClient;
  readonly events: EventBridgeClient;
  /** Moves the broker's clock forward (retention, deduplication windows). */
  advanceClock(ms: number): void;
  createQueue(name: string, attributes?: Record<string, string>): Promise<string>;
  arnOf(name: string): string;
  /** ApproximateNumberOfMessages, -NotVisible and -Delayed. */
  counts(queueUrl: string): Promise<{ visible: number; inFlight: number; delayed: number }>;
}

export interface TestBrokerOptions {
  /** A database target from testDatabases(); a temporary SQLite file when absent. */
  database?: TestDatabase;
  applyTopology?: boolean;
}

/** Starts a broker on 127.0.0.1 port 0 over a fresh database, with SDK clients; all closed after the test. */
export async function startTestBroker(t: TestContext, options: TestBrokerOptions = {}): Promise<TestBroker> {
  let config: DatabaseConfig;
  let cleanup: () => Promise<void>;
  // BROKER_TEST_DATABASE=postgres runs every broker suite on PostgreSQL (the core suite always does).
  const database = options.database ?? (process.env.BROKER_TEST_DATABASE === 'postgres' ? (await testDatabases())[1] : undefined);
  if (database) {
    if (database.skip) throw new Error(database.skip);
    ({ config, cleanup } = await database.create());
  } else {
    const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-broker-'));
    config = { kind: 'sqlite', file: path.join(dir, 'broker.db') };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  let offset = 0;
  const broker = await startBroker(
    { host: '127.0.0.1', port: 0, accountId: ACCOUNT, region: REGION, database: config, applyTopology: options.applyTopology ?? false },
    pino({ level: process.env.BROKER_TEST_LOG ?? 'silent' }),
    {
      sqs: { intervalMs: 50, moveTaskIntervalMs: 20, clock: () => Date.now() + offset },
      eventBridge: { pollIntervalMs: 20, retryBaseDelayMs: 5, retryMaxDelayMs: 30 },
    },
  );
  const clientOptions = { region: REGION, endpoint: broker.endpoint, credentials: CREDENTIALS };
  const sqs = new SQSClient(clientOptions);
  const events = new EventBridgeClient(clientOptions);
  t.after(async () => {
    sqs.destroy();
    events.destroy();
    await broker.stop();
    await cleanup();
  });
  const arnOf = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
  return {
    broker,
    endpoint: broker.endpoint,
    sqs,
    events,
    advanceClock: (ms) => void (offset += ms),
    arnOf,
    async createQueue(name, attributes) {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      return QueueUrl!;
    },
    async counts(queueUrl) {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      return {
        visible: Number(Attributes.ApproximateNumberOfMessages),
        inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
        delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed),
      };
    },
  };
}

/**
 * Receives until `count` messages have arrived (long polls of up to `waitSeconds`
 * each, so it returns as soon as they are there), or fails after `timeoutMs`.
 */
export async function receiveCount(
  sqs: SQSClient,
  input: ReceiveMessageCommandInput,
  count: number,
  timeoutMs = 10_000,
): Promise<Message[]> {
  const out: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) {
    if (Date.now() > deadline) throw new Error(`received ${out.length} of ${count} messages before the timeout`);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ MaxNumberOfMessages: Math.min(10, count - out.length), WaitTimeSeconds: 2, ...input }),
    );
    out.push(...Messages);
  }
  return out;
}

/** An assert.rejects matcher for an SDK error: its name (the exception class) and, optionally, its query code and message. */
export function sdkError(name: string, code?: string, message?: string | RegExp) {
  return (err: any) => {
    if (err?.name !== name) throw new Error(`expected ${name}, got ${err?.name}: ${err?.message}`);
    if (code !== undefined && err.Code !== code) throw new Error(`expected code ${code}, got ${err.Code}`);
    if (typeof message === 'string' && err.message !== message) throw new Error(`expected message "${message}", got "${err.message}"`);
    if (message instanceof RegExp && !message.test(err.message)) throw new Error(`expected ${message} to match "${err.message}"`);
    return true;
  };
}
