import { ChangeMessageVisibilityBatchCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { Logger } from 'pino';
import { isPayMeshError } from '../core/errors.ts';
import { counter, histogram } from '../observability/metrics.ts';
import { SpanKind, withSpan } from '../observability/tracing.ts';
import { ATTR } from './queue-publisher.ts';
import { carrierOfMessage, consumerParent, queueNameOf } from './tracing.ts';

export interface ReceivedMessage {
  /** Our stable id (the `message_id` attribute), else SQS's MessageId. Inboxes dedupe on it. */
  id: string;
  sqsMessageId: string;
  body: string;
  /** String-typed message attributes by name. */
  attributes: Record<string, string>;
  eventType: string | undefined;
  /** How many times SQS has handed this message out, this time included. */
  receiveCount: number;
  raw: Message;
}

export type MessageHandler = (message: ReceivedMessage) => Promise<void>;

export interface QueueConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  handler: MessageHandler;
  log: Logger;
  /** Messages per receive (1..10); they are handled concurrently. */
  batchSize?: number;
  /** Parallel receive loops; concurrency is bounded by pollers × batchSize. */
  pollers?: number;
  visibilityTimeoutSeconds?: number;
  waitTimeSeconds?: number;
  /** Seconds before a failed message is visible again, by its receive count. */
  retryDelaySeconds?: (receiveCount: number) => number;
  /**
   * Whether a handler error means the message can never be processed (it does
   * not decode, it is invalid). Such a message is made visible again at once,
   * so the queue's redrive policy moves it to the DLQ in seconds instead of
   * after minutes of backoff meant for outages.
   */
  isPermanent?: (err: unknown) => boolean;
  /** The queue's redrive maxReceiveCount: a failure at this count sends the message to the DLQ (counted in dlq_arrivals_total). */
  maxReceiveCount?: number;
  /** The queue's dead-letter queue, for the dlq_arrivals_total label. */
  deadLetterQueue?: string;
}

const processingTime = histogram(
  'message_processing_duration_seconds',
  'Time a consumer spent on one message, by queue and outcome (ok, retry, permanent)',
  ['queue', 'outcome'],
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
);
const dlqArrivals = counter('dlq_arrivals_total', 'Messages that failed their last allowed attempt and go to the dead-letter queue, by DLQ and source queue', ['queue', 'source']);

export interface QueueConsumer {
  stop(): Promise<void>;
}

/** A message PayMesh refuses as invalid (INVALID_MESSAGE and other invalid-argument errors) will never succeed. */
export const isInvalidMessage = (err: unknown): boolean => isPayMeshError(err) && err.kind === 'invalid_argument';

/** Exponential backoff with jitter, capped at 5 minutes. */
export const defaultRetryDelay = (receiveCount: number): number =>
  Math.min(300, Math.round(2 ** Math.min(receiveCount, 8) * (0.5 + Math.random() / 2)));

/**
 * Long-polls a queue and runs `handler` on each message of a batch
 * concurrently: the ones that succeeded are deleted together (one
 * DeleteMessageBatch per batch rather than a DeleteMessage each); a failed one
 * becomes visible again after a backoff, and after the queue's
 * maxReceiveCount SQS moves it to the dead-letter queue. A slow handler's
 * visibility is extended by heartbeats so no one else picks it up. Built on
 * sqs-consumer, which does the polling, heartbeats and deletes.
 */
export function startQueueConsumer(options: QueueConsumerOptions): QueueConsumer {
  const visibility = options.visibilityTimeoutSeconds ?? 30;
  const retryDelay = options.retryDelaySeconds ?? defaultRetryDelay;
  const isPermanent = options.isPermanent ?? isInvalidMessage;
  const queue = queueNameOf(options.queueUrl);
  /** One CONSUMER span per message, child of its producer's span (from its attributes or its event's detail). */
  const handleTraced = (message: Message): Promise<void> => {
    const received = toReceived(message);
    const started = process.hrtime.bigint();
    return withSpan(
      `process ${queue}`,
      {
        kind: SpanKind.CONSUMER,
        parent: consumerParent(carrierOfMessage(received)),
        attributes: {
          'messaging.system.name': 'aws.sqs',
          'messaging.system': 'aws_sqs',
          'messaging.destination.name': queue,
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.message.id': received.id,
          'paymesh.receive_count': received.receiveCount,
          ...(received.eventType ? { event_type: received.eventType } : {}),
        },
      },
      async () => {
        try {
          await options.handler(received);
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          processingTime.observe({ queue, outcome: 'ok' }, seconds);
          options.log.debug({ queue, messageId: received.id, ms: Math.round(seconds * 1000) }, 'message processed');
        } catch (err) {
          const permanent = isPermanent(err);
          processingTime.observe({ queue, outcome: permanent ? 'permanent' : 'retry' }, Number(process.hrtime.bigint() - started) / 1e9);
          if (options.maxReceiveCount !== undefined && received.receiveCount >= options.maxReceiveCount) {
            dlqArrivals.inc({ queue: options.deadLetterQueue ?? `${queue}-dlq`, source: queue });
          }
          // Logged here, inside the span, so the line carries the trace id.
          options.log.warn({ err, queue, messageId: received.id, receiveCount: received.receiveCount }, 'message handling failed; it will be retried');
          throw err;
        }
      },
    );
  };
  /** Sets when failed messages are handed out again; if that call fails, they come back when their visibility timeout ends. */
  const retryLater = async (failed: Array<{ message: Message; delaySeconds: number }>): Promise<void> => {
    try {
      const result = await options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: failed.map(({ message, delaySeconds }) => ({ Id: message.MessageId!, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: delaySeconds })),
        }),
      );
      if (result.Failed?.length) options.log.warn({ queue, failed: result.Failed }, 'could not set the retry delay of failed messages; they return after their visibility timeout');
    } catch (err) {
      options.log.warn({ err, queue }, 'could not set the retry delay of failed messages; they return after their visibility timeout');
    }
  };
  const consumers = Array.from({ length: options.pollers ?? 1 }, () => {
    const consumer = Consumer.create({
      sqs: options.sqs,
      queueUrl: options.queueUrl,
      batchSize: options.batchSize ?? 10,
      waitTimeSeconds: options.waitTimeSeconds ?? 20,
      visibilityTimeout: visibility,
      heartbeatInterval: Math.max(1, Math.floor(visibility / 3)),
      messageAttributeNames: ['All'],
      messageSystemAttributeNames: ['All'],
      // Failures are dealt with message by message below; the batch handler itself never throws.
      terminateVisibilityTimeout: false,
      // Returns the messages that succeeded: sqs-consumer deletes them in one DeleteMessageBatch.
      handleMessageBatch: async (messages: Message[]) => {
        const outcomes = await Promise.all(
          messages.map((message) =>
            handleTraced(message).then(
              () => ({ message, failed: false, permanent: false, retryAfterSeconds: 0 }),
              (err: unknown) => ({ message, failed: true, permanent: isPermanent(err), retryAfterSeconds: retryAfterOf(err) }),
            ),
          ),
        );
        const failed = outcomes.filter((o) => o.failed);
        // A message that can never succeed comes back at once (the redrive policy dead-letters it in seconds), others after a
        // backoff; one refused by an open breaker not before the breaker lets a call through, so an outage spends few receives.
        const delayOf = (o: (typeof failed)[number]) => (o.permanent ? 0 : Math.min(MAX_RETRY_DELAY_SECONDS, Math.max(retryDelay(receiveCountOf(o.message)), o.retryAfterSeconds)));
        if (failed.length > 0) await retryLater(failed.map((o) => ({ message: o.message, delaySeconds: delayOf(o) })));
        return outcomes.filter((o) => !o.failed).map((o) => o.message);
      },
    });
    consumer.on('error', (err) => options.log.error({ err, queue: options.queueUrl }, 'queue consumer error'));
    consumer.start();
    return consumer;
  });
  return {
    async stop() {
      await Promise.all(
        consumers.map(
          (consumer) =>
            new Promise<void>((resolve) => {
              if (!consumer.status.isRunning) return resolve();
              consumer.once('stopped', () => resolve());
              // Abort the long poll; a message whose delete is cut short is redelivered and deduped by the inbox.
              consumer.stop({ abort: true });
            }),
        ),
      );
    },
  };
}

/** SQS's longest visibility timeout is 12 hours. */
const MAX_RETRY_DELAY_SECONDS = 43_200;

/** When the failure itself says trying again is pointless before some time (an open breaker's Retry-After). */
function retryAfterOf(err: unknown): number {
  return isPayMeshError(err) && err.kind === 'unavailable' ? (err.retryAfterSeconds ?? 0) : 0;
}

function receiveCountOf(message: Message | undefined): number {
  return Number(message?.Attributes?.ApproximateReceiveCount ?? '1');
}

export function toReceived(message: Message): ReceivedMessage {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (value.StringValue !== undefined) attributes[name] = value.StringValue;
  }
  return {
    id: attributes[ATTR.messageId] ?? message.MessageId!,
    sqsMessageId: message.MessageId!,
    body: message.Body ?? '',
    attributes,
    eventType: attributes[ATTR.eventType],
    receiveCount: receiveCountOf(message),
    raw: message,
  };
}
