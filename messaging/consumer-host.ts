import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { loadTopology, type QueueDeclaration } from '../contracts/topology.ts';
import { addReadinessCheck, removeReadinessCheck } from '../observability/health.ts';
import { detached } from '../observability/tracing.ts';
import { startQueueConsumer, type QueueConsumer, type QueueConsumerOptions } from './queue-consumer.ts';
import { QueueDepthMonitor } from './queue-depth.ts';
import type { QueueDirectory } from './queue-directory.ts';

let declarations: QueueDeclaration[] | undefined;
function declarationOf(queue: string): QueueDeclaration | undefined {
  declarations ??= loadTopology().queues;
  return declarations.find((q) => q.name === queue);
}

/**
 * Starts a consumer once its queue can be resolved: services start in any
 * order, so the broker (or the topology) may not be there yet. Retries the
 * lookup with backoff in the background; `stop` works at any point.
 * While it runs, the queue and its DLQ are in `message_queue_depth`, and the
 * process is not ready (GET /readyz) until the consumer runs and the broker answers.
 */
export function consumeWhenReady(
  options: { sqs: SQSClient; directory: QueueDirectory; queue: string; log: Logger } & Omit<QueueConsumerOptions, 'sqs' | 'queueUrl' | 'log'>,
): QueueConsumer {
  let consumer: QueueConsumer | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const declared = declarationOf(options.queue);
  const monitor = new QueueDepthMonitor({ sqs: options.sqs, directory: options.directory, log: options.log, queues: [options.queue, ...(declared ? [declared.deadLetter.name] : [])] });
  const readinessName = `queue ${options.queue}`;
  addReadinessCheck({
    name: readinessName,
    required: true,
    check: async (signal) => {
      if (!consumer) throw new Error('consumer not started yet (queue not resolved)');
      await options.sqs.send(new GetQueueUrlCommand({ QueueName: options.queue }), { abortSignal: signal });
    },
  });
  const attempt = async (delayMs: number) => {
    try {
      const queueUrl = await options.directory.url(options.queue);
      if (stopped) return;
      consumer = detached(() =>
        startQueueConsumer({ maxReceiveCount: declared?.deadLetter.maxReceiveCount, deadLetterQueue: declared?.deadLetter.name, ...options, queueUrl }),
      );
      monitor.start();
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
      removeReadinessCheck(readinessName);
      await monitor.stop();
      await consumer?.stop();
    },
  };
}

/** Parses an EventBridge envelope delivered to SQS. */
export function parseEventEnvelope<Detail>(body: string): { id: string; detailType: string; source: string; time: string | undefined; detail: Detail } {
  const envelope = JSON.parse(body) as { id?: string; 'detail-type'?: string; source?: string; time?: string; detail?: Detail };
  if (!envelope['detail-type'] || !envelope.detail || !envelope.source) throw new Error('not an EventBridge event envelope');
  return { id: envelope.id ?? '', detailType: envelope['detail-type'], source: envelope.source, time: envelope.time, detail: envelope.detail };
}
