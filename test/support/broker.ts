import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createEventBridgeClient, createSqsClient, type MessagingConfig } from '../../messaging/aws.ts';
import { spawnService } from './processes.ts';

const BROKER_MAIN = path.join(import.meta.dirname, '..', '..', 'services', 'broker', 'main.ts');

export interface TestBroker {
  messaging: MessagingConfig;
  sqs: SQSClient;
  eventBridge: EventBridgeClient;
}

/**
 * The embedded broker as its own process (topology applied, its own SQLite
 * file), with SDK clients pointed at it; all of it is gone after the test.
 */
export async function startTestBroker(t: TestContext, env: Record<string, string> = {}): Promise<TestBroker> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paymesh-broker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }));
  const broker = await spawnService(BROKER_MAIN, { DATA_DIR: dir, BROKER_PORT: '0', DATABASE_URL: '', BROKER_DATABASE_URL: '', ...env }, (line) =>
    typeof line.address === 'string' ? line.address : undefined,
  );
  t.after(() => broker.kill());
  const messaging: MessagingConfig = { region: 'us-east-1', endpoint: `http://${broker.ready}`, embedded: true };
  const sqs = createSqsClient(messaging);
  const eventBridge = createEventBridgeClient(messaging);
  t.after(() => {
    sqs.destroy();
    eventBridge.destroy();
  });
  return { messaging, sqs, eventBridge };
}
