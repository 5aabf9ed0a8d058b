import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { Logger } from 'pino';
import { ATTR } from './queue-publisher.ts';

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
}

export interface QueueConsumer {
  stop(): Promise<void>;
}

/** Exponential backoff with jitter, capped at 5 minutes. */
export const defaultRetryDelay = (receiveCount: number): number =>
  Math.min(300, Math.round(2 ** Math.min(receiveCount, 8) * (0.5 + Math.random() / 2)));

/**
 * Long-polls a queue and runs `handler` on each message: deleted after
 * success; after a failure it becomes visible again after a backoff, and after
 * the queue's maxReceiveCount SQS moves it to the dead-letter queue. A slow
 * handler's visibility is extended by heartbeats so no one else picks it up.
 * Built on sqs-consumer, which does the polling, heartbeats and deletes.
 */
export function startQueueConsumer(options: QueueConsumerOptions): QueueConsumer {
  const visibility = options.visibilityTimeoutSeconds ?? 30;
  const retryDelay = options.retryDelaySeconds ?? defaultRetryDelay;
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
      terminateVisibilityTimeout: (messages: Message[]) => retryDelay(receiveCountOf(messages[0])),
      handleMessage: async (message: Message) => {
        await options.handler(toReceived(message));
        return message;
      },
    });
    consumer.on('processing_error', (err, message) =>
      options.log.warn({ err, queue: options.queueUrl, messageId: (message as Message | undefined)?.MessageId }, 'message handling failed; it will be retried'),
    );
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
