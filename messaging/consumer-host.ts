import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import type { QueueDirectory } from './queue-directory.ts';
import { startQueueConsumer, type MessageHandler, type QueueConsumer, type QueueConsumerOptions } from './queue-consumer.ts';

/**
 * Starts a consumer once its queue can be resolved: services start in any
 * order, so the broker (or the topology) may not be there yet. Retries the
 * lookup with backoff in the background; `stop` works at any point.
 */
export function consumeWhenReady(
  options: { sqs: SQSClient; directory: QueueDirectory; queue: string; handler: MessageHandler; log: Logger } & Omit<QueueConsumerOptions, 'sqs' | 'queueUrl' | 'handler' | 'log'>,
): QueueConsumer {
  let consumer: QueueConsumer | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = async (delayMs: number) => {
    try {
      const queueUrl = await options.directory.url(options.queue);
      if (stopped) return;
      consumer = startQueueConsumer({ ...options, queueUrl });
      options.log.info({ queue: options.queue }, 'consuming queue');
    } catch (err) {
      if (stopped) return;
      options.log.warn({ queue: options.queue, err: (err as Error).message }, `queue not reachable yet; retrying in ${delayMs} ms`);
      timer = setTimeout(() => void attempt(Math.min(delayMs * 2, 10_000)), delayMs);
    }
  };
  void attempt(250);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await consumer?.stop();
    },
  };
}

/** Parses an EventBridge envelope delivered to SQS. */
export function parseEventEnvelope<Detail>(body: string): { id: string; detailType: string; source: string; detail: Detail } {
  const envelope = JSON.parse(body) as { id?: string; 'detail-type'?: string; source?: string; detail?: Detail };
  if (!envelope['detail-type'] || !envelope.detail || !envelope.source) throw new Error('not an EventBridge event envelope');
  return { id: envelope.id ?? '', detailType: envelope['detail-type'], source: envelope.source, detail: envelope.detail };
}
