import { setTimeout as sleep } from 'node:timers/promises';
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { isPayMeshError } from '../contracts/errors.ts';
import { backoffMs } from '../core/backoff.ts';
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

/** Runs `work` inside the message's CONSUMER span (a child of its producer's), recording how long it took. */
export type TraceMessage = <T>(message: ReceivedMessage, work: () => Promise<T>) => Promise<T>;

/**
 * Handles a whole received batch (e.g. in one database transaction) and
 * returns, per message in order, `undefined` for success or the error it
 * failed with. Each message's work should run inside `traced`.
 */
export type BatchHandler = (messages: ReceivedMessage[], traced: TraceMessage) => Promise<Array<unknown>>;

export interface QueueConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** One message at a time; the messages of a batch run concurrently. Give this or `batchHandler`. */
  handler?: MessageHandler;
  /** The whole batch at once. */
  batchHandler?: BatchHandler;
  log: Logger;
  /** Messages per receive (1..10). */
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
  /**
   * After a receive that brought messages but not a full batch, wait this
   * long before the next, so that under load each receive (and its delete)
   * carries more messages. For consumers no one waits on (records, audit);
   * 0, the default, for those on a user's path.
   */
  fillBatchMs?: number;
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

/** A PayMesh refusal of the message itself (INVALID_MESSAGE and other invalid-argument errors): it will never succeed. */
export const isInvalidMessage = (err: unknown): boolean => isPayMeshError(err) && err.kind === 'invalid_argument';

/** Exponential backoff with jitter, capped at 5 minutes. */
export const defaultRetryDelay = (receiveCount: number): number =>
  Math.round(backoffMs(Math.min(receiveCount, 8), { baseMs: 1, maxMs: 300, jitter: true }));

/**
 * Long-polls a queue and hands each received batch to the handler. Messages
 * that succeeded are deleted with DeleteMessageBatch in the background, the
 * deletes of several batches sharing a request when they come close together,
 * while the loop is already back in its next long poll: the delete is
 * bookkeeping, and a message whose delete is lost in a crash comes back to an
 * inbox that drops it. A failed message becomes visible again after a
 * backoff, and after the queue's maxReceiveCount SQS moves it to the
 * dead-letter queue. A slow batch's visibility is extended while it works.
 *
 * Written here rather than on sqs-consumer (which PayMesh used before) because
 * sqs-consumer waits for a batch's delete before its next receive and has no
 * way to hand a batch to one database transaction.
 */
export function startQueueConsumer(options: QueueConsumerOptions): QueueConsumer {
  if (!options.handler === !options.batchHandler) throw new Error('give a queue consumer a handler or a batchHandler');
  const queue = queueNameOf(options.queueUrl);
  const visibility = options.visibilityTimeoutSeconds ?? 30;
  const retryDelay = options.retryDelaySeconds ?? defaultRetryDelay;
  const isPermanent = options.isPermanent ?? isInvalidMessage;
  const log = options.log;
  const deleter = new BatchDeleter(options.sqs, options.queueUrl, log);
  const stopping = new AbortController();

  /** One CONSUMER span per message, child of its producer's span (from its attributes or its event's detail). */
  const traced: TraceMessage = (received, work) => {
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
          const result = await work();
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          processingTime.observe({ queue, outcome: 'ok' }, seconds);
          // Inside the span: the line carries the message's trace id.
          log.debug({ queue, messageId: received.id, ms: Math.round(seconds * 1000) }, 'message processed');
          return result;
        } catch (err) {
          const permanent = isPermanent(err);
          processingTime.observe({ queue, outcome: permanent ? 'permanent' : 'retry' }, Number(process.hrtime.bigint() - started) / 1e9);
          if (options.maxReceiveCount !== undefined && received.receiveCount >= options.maxReceiveCount) {
            dlqArrivals.inc({ queue: options.deadLetterQueue ?? `${queue}-dlq`, source: queue });
          }
          // Logged here, inside the span, so the line carries the trace id.
          log.warn({ err, queue, messageId: received.id, receiveCount: received.receiveCount }, 'message handling failed; it will be retried');
          throw err;
        }
      },
    );
  };

  const handleBatch = async (messages: ReceivedMessage[]): Promise<unknown[]> => {
    if (options.batchHandler) {
      try {
        return await options.batchHandler(messages, traced);
      } catch (err) {
        log.warn({ err, queue }, 'batch handler failed; every message of the batch will be retried');
        return messages.map(() => err);
      }
    }
    const handler = options.handler!;
    return Promise.all(messages.map((m) => traced(m, () => handler(m)).then(() => undefined, (err: unknown) => err ?? new Error('handler failed'))));
  };

  /** Sets when failed messages are handed out again; if that call fails, they come back when their visibility timeout ends. */
  const retryLater = async (failed: Array<{ message: ReceivedMessage; delaySeconds: number }>): Promise<void> => {
    try {
      const result = await options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: failed.map(({ message, delaySeconds }, i) => ({ Id: `r${i}`, ReceiptHandle: message.raw.ReceiptHandle!, VisibilityTimeout: delaySeconds })),
        }),
      );
      if (result.Failed?.length) log.warn({ queue, failed: result.Failed }, 'could not set the retry delay of failed messages; they return after their visibility timeout');
    } catch (err) {
      log.warn({ err, queue }, 'could not set the retry delay of failed messages; they return after their visibility timeout');
    }
  };

  /** While a batch is still being handled, its messages stay invisible to other consumers. */
  const keepInvisible = (messages: ReceivedMessage[]) =>
    setInterval(() => {
      options.sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: messages.map((m, i) => ({ Id: `h${i}`, ReceiptHandle: m.raw.ReceiptHandle!, VisibilityTimeout: visibility })),
          }),
        )
        .catch((err: unknown) => log.warn({ err, queue }, 'could not extend the visibility of a batch still being handled'));
    }, Math.max(1, Math.floor(visibility / 3)) * 1000);

  const poll = async (): Promise<void> => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      let raw: Message[];
      try {
        const response = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize ?? 10,
            WaitTimeSeconds: options.waitTimeSeconds ?? 20,
            VisibilityTimeout: visibility,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
          { abortSignal: stopping.signal },
        );
        raw = response.Messages ?? [];
        failures = 0;
      } catch (err) {
        if (stopping.signal.aborted) return;
        log.error({ err, queue: options.queueUrl }, 'queue consumer error');
        await sleep(backoffMs(failures++, { baseMs: 100, maxMs: 5000, jitter: true })).catch(() => {});
        continue;
      }
      if (raw.length === 0) continue;
      const messages = raw.map(toReceived);
      const heartbeat = keepInvisible(messages);
      let outcomes: unknown[];
      try {
        outcomes = await handleBatch(messages);
      } finally {
        clearInterval(heartbeat);
      }
      const done: ReceivedMessage[] = [];
      const failed: Array<{ message: ReceivedMessage; delaySeconds: number }> = [];
      messages.forEach((message, i) => {
        const err = outcomes[i];
        if (err === undefined) return done.push(message);
        // A message that can never succeed comes back at once (the redrive policy dead-letters it in seconds), others after a
        // backoff; one refused by an open breaker not before the breaker lets a call through, so an outage spends few receives.
        const delaySeconds = isPermanent(err) ? 0 : Math.min(MAX_RETRY_DELAY_SECONDS, Math.max(retryDelay(message.receiveCount), retryAfterOf(err)));
        failed.push({ message, delaySeconds });
      });
      deleter.add(done.map((m) => m.raw.ReceiptHandle!));
      if (failed.length > 0) void retryLater(failed);
      if (options.fillBatchMs && messages.length < (options.batchSize ?? 10)) await sleep(options.fillBatchMs).catch(() => {});
    }
  };

  const loops = Array.from({ length: options.pollers ?? 1 }, () => poll());
  return {
    async stop() {
      // Aborts the long polls; a batch being handled finishes, and its deletes go out before stop returns.
      stopping.abort();
      await Promise.all(loops);
      await deleter.drain();
    },
  };
}

/**
 * Deletes handled messages in DeleteMessageBatch requests of up to 10, off
 * the consumer's loop. Handled messages wait a moment (LINGER_MS, or until
 * ten are waiting) so that the deletes of several receives share a request:
 * a delete is bookkeeping, and a message handled but not yet deleted stays
 * invisible (its visibility timeout is far longer) and, should this process
 * die, comes back to an inbox that drops it. A failed delete means the same.
 */
class BatchDeleter {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;
  private readonly log: Logger;
  private pending: string[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(sqs: SQSClient, queueUrl: string, log: Logger) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
    this.log = log;
  }

  add(receiptHandles: string[]): void {
    if (receiptHandles.length === 0) return;
    this.pending.push(...receiptHandles);
    if (this.pending.length >= 10) this.flushSoon(0);
    else this.flushSoon(LINGER_MS);
  }

  /** Sends what is waiting now (on stop). */
  async drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.pending.length > 0) {
      this.flushing = this.flush().finally(() => (this.flushing = undefined));
      await this.flushing;
    }
  }

  private flushSoon(delayMs: number): void {
    if (this.flushing) return; // the flush under way takes what is added meanwhile
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.pending.length > 0) this.flushSoon(this.pending.length >= 10 ? 0 : LINGER_MS);
      });
    }, delayMs);
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const chunk = this.pending.splice(0, 10);
      try {
        const result = await this.sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: chunk.map((handle, i) => ({ Id: `d${i}`, ReceiptHandle: handle })) }),
        );
        if (result.Failed?.length) this.log.warn({ queue: this.queueUrl, failed: result.Failed }, 'some handled messages could not be deleted; they will be redelivered and dropped by the inbox');
      } catch (err) {
        this.log.warn({ err, queue: this.queueUrl, messages: chunk.length }, 'handled messages could not be deleted; they will be redelivered and dropped by the inbox');
      }
    }
  }
}

/** How long handled messages wait for others to share their DeleteMessageBatch: far below any visibility timeout. */
const LINGER_MS = 250;

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
