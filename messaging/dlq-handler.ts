import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { backoffMs } from '../core/backoff.ts';
import { counter } from '../observability/metrics.ts';
import { linkTo, traceCarrier } from '../observability/propagation.ts';
import { detached, ROOT_CONTEXT, SpanKind, withSpan } from '../observability/tracing.ts';
import type { EventPublisher } from './event-publisher.ts';
import type { ParkedMessages } from './parked-messages.ts';
import { toReceived, type ReceivedMessage } from './queue-consumer.ts';
import type { QueueDirectory } from './queue-directory.ts';
import { carrierOfMessage, withTraceAttributes } from './tracing.ts';

export type FailureClass = 'temporary' | 'permanent';

export interface Classification {
  class: FailureClass;
  reason: string;
}

export interface OperationsAlert {
  deadLetterQueue: string;
  sourceQueue: string;
  messageId: string;
  eventType: string | undefined;
  reason: string;
  receiveCount: number;
  redrives: number;
}

export interface DlqHandlerOptions {
  sqs: SQSClient;
  directory: QueueDirectory;
  deadLetterQueue: string;
  /** Where temporary failures are sent back to. */
  sourceQueue: string;
  /**
   * Tells a temporary failure (the handler's dependency was down) from a permanent
   * one (the message can never be processed: undecodable, invalid). By default
   * every message is temporary until it has been redriven `maxRedrives` times.
   */
  classify?: (message: ReceivedMessage) => Promise<Classification> | Classification;
  alert: (alert: OperationsAlert) => Promise<void>;
  log: Logger;
  maxRedrives?: number;
  /** Where parked messages are written down, so operators can browse, redrive and delete them (they are invisible in the queue). */
  parked?: Pick<ParkedMessages, 'record'>;
}

/** Attribute counting how often the DLQ handler has sent a message back to its source queue. */
export const REDRIVES_ATTRIBUTE = 'dlq_redrives';
/**
 * How long an alerted message stays hidden in the DLQ before it is looked at
 * (and alerted) again. SQS allows at most 12 hours counted from the receive,
 * and some of that has passed by the time we park it: stay a few minutes short.
 */
const PARKED_SECONDS = 12 * 3600 - 300;

const dlqMessages = counter('dlq_messages_total', 'Messages taken from dead-letter queues, by outcome', ['queue', 'outcome']);
const operationsAlerts = counter('operations_alerts_total', 'Operations alerts raised for permanent message failures', ['queue']);

/**
 * The seed's DLQ handler, made safe: temporary failures go back to their
 * source queue with growing delays; permanent ones raise an operations alert
 * (an event and a metric) and stay parked in the DLQ for an operator to
 * inspect, redrive or delete. Nothing is deleted without being redriven.
 */
export class DlqHandler {
  private readonly options: DlqHandlerOptions;
  private readonly maxRedrives: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(options: DlqHandlerOptions) {
    this.options = options;
    this.maxRedrives = options.maxRedrives ?? 3;
  }

  /** Handles what is visible in the DLQ now; returns what it did. */
  async drainOnce(): Promise<{ redriven: number; alerted: number }> {
    const { sqs, directory } = this.options;
    const dlqUrl = await directory.url(this.options.deadLetterQueue);
    const outcome = { redriven: 0, alerted: 0 };
    for (;;) {
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const messages = response.Messages ?? [];
      if (messages.length === 0) return outcome;
      for (const raw of messages) {
        const message = toReceived(raw);
        const redrives = Number(message.attributes[REDRIVES_ATTRIBUTE] ?? '0');
        const verdict: Classification =
          redrives >= this.maxRedrives
            ? { class: 'permanent', reason: `still failing after ${redrives} redrives` }
            : await (this.options.classify?.(message) ?? { class: 'temporary' as const, reason: 'processing failed repeatedly' });
        // A new trace per dead-lettered message, linked to the one it failed in.
        const span = {
          kind: verdict.class === 'temporary' ? SpanKind.PRODUCER : SpanKind.INTERNAL,
          parent: ROOT_CONTEXT,
          links: linkTo(carrierOfMessage(message), { 'paymesh.link': 'dead-lettered message' }),
          attributes: { 'messaging.system.name': 'aws.sqs', 'messaging.destination.name': this.options.deadLetterQueue, 'messaging.message.id': message.id, 'paymesh.dlq.redrives': redrives },
        };
        if (verdict.class === 'temporary') {
          await withSpan(`redrive ${this.options.deadLetterQueue}`, span, () => this.redrive(message, redrives, dlqUrl));
          outcome.redriven++;
        } else {
          await withSpan(`dead-letter ${this.options.deadLetterQueue}`, span, () => this.park(message, redrives, verdict.reason, dlqUrl));
          outcome.alerted++;
        }
      }
    }
  }

  start(intervalMs = 10_000): void {
    const tick = () => {
      this.running = detached(() => this.drainOnce())
        .catch((err) => this.options.log.error({ err, queue: this.options.deadLetterQueue }, 'DLQ handling failed'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async redrive(message: ReceivedMessage, redrives: number, dlqUrl: string): Promise<void> {
    const { sqs, directory, log } = this.options;
    const attributes: Record<string, MessageAttributeValue> = { ...message.raw.MessageAttributes };
    attributes[REDRIVES_ATTRIBUTE] = { DataType: 'Number', StringValue: String(redrives + 1) };
    // Send first, delete second: a crash in between leaves a duplicate, which the inbox drops, never a loss.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: await directory.url(this.options.sourceQueue),
        MessageBody: message.body,
        // The redriven message continues the redrive's trace, which links back to the original.
        MessageAttributes: withTraceAttributes(attributes, traceCarrier()),
        DelaySeconds: backoffMs(redrives, { baseMs: 5, maxMs: 900 }),
      }),
    );
    await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.raw.ReceiptHandle }));
    dlqMessages.inc({ queue: this.options.deadLetterQueue, outcome: 'redriven' });
    log.warn({ queue: this.options.deadLetterQueue, messageId: message.id, redrives: redrives + 1 }, 'redrove a dead-lettered message');
  }

  private async park(message: ReceivedMessage, redrives: number, reason: string, dlqUrl: string): Promise<void> {
    const { sqs, log } = this.options;
    await this.options.alert({
      deadLetterQueue: this.options.deadLetterQueue,
      sourceQueue: this.options.sourceQueue,
      messageId: message.id,
      eventType: message.eventType,
      reason,
      receiveCount: message.receiveCount,
      redrives,
    });
    operationsAlerts.inc({ queue: this.options.deadLetterQueue });
    dlqMessages.inc({ queue: this.options.deadLetterQueue, outcome: 'alerted' });
    // Written down before it is hidden: a failure in between leaves it visible, to be parked (and recorded) again.
    const now = Date.now();
    const sent = Number(message.raw.Attributes?.SentTimestamp);
    await this.options.parked?.record({
      queue: this.options.deadLetterQueue,
      message_id: message.sqsMessageId,
      source_queue: this.options.sourceQueue,
      event_type: message.eventType ?? null,
      body: message.body,
      attributes: JSON.stringify(message.raw.MessageAttributes ?? {}),
      receive_count: message.receiveCount,
      redrives,
      reason,
      receipt_handle: message.raw.ReceiptHandle!,
      sent_at: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : null,
      parked_at: new Date(now).toISOString(),
      parked_until: new Date(now + PARKED_SECONDS * 1000).toISOString(),
    });
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.raw.ReceiptHandle, VisibilityTimeout: PARKED_SECONDS }));
    log.error({ queue: this.options.deadLetterQueue, messageId: message.id, reason }, 'permanent message failure: operations alerted');
  }
}

/** Raises alerts as `Operations alert` events on the bus, for whoever watches operations. */
export function eventBridgeAlert(publisher: EventPublisher): (alert: OperationsAlert) => Promise<void> {
  return async (alert) => {
    const result = await publisher.publish([
      { source: 'paypal-clone.operations', detailType: 'Operations alert', detail: { kind: 'dead_letter', ...alert } },
    ]);
    if (result.failed.length > 0) throw new Error(`could not publish the operations alert: ${result.failed[0]!.message}`);
  };
}
