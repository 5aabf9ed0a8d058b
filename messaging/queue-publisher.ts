import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, SendMessageCommand, type MessageAttributeValue, type SendMessageBatchCommandOutput, type SQSClient } from '@aws-sdk/client-sqs';
import type { TraceCarrier } from '../observability/propagation.ts';
import type { QueueDirectory } from './queue-directory.ts';
import { endSendSpan, startSendSpan, withTraceAttributes } from './tracing.ts';

export type Priority = 'high' | 'normal' | 'low';

export interface OutgoingMessage {
  body: string;
  /** The seed's `event_type` attribute, e.g. `payment_initiated`. */
  eventType: string;
  /** The seed's `priority` attribute. */
  priority?: Priority;
  /**
   * A stable id for this message (e.g. its outbox row id), sent as the `message_id`
   * attribute. Consumers dedupe on it, so a resend or a DLQ redrive, which gets a
   * new SQS MessageId, is still recognised.
   */
  messageId?: string;
  attributes?: Record<string, string>;
  delaySeconds?: number;
  messageGroupId?: string;
  deduplicationId?: string;
  /** The trace to send it in (an outbox row's stored context); the active context when absent. */
  traceContext?: TraceCarrier;
}

export interface BatchResult {
  /** messageIds (ours) accepted by the queue. */
  sent: string[];
  failed: Array<{ messageId: string; code: string; message: string; senderFault: boolean }>;
}

/** Message attribute names PayMesh sets on every message. */
export const ATTR = { eventType: 'event_type', priority: 'priority', messageId: 'message_id', contentType: 'content_type' } as const;

export class QueuePublisher {
  private readonly sqs: SQSClient;
  private readonly directory: QueueDirectory;

  constructor(sqs: SQSClient, directory: QueueDirectory) {
    this.sqs = sqs;
    this.directory = directory;
  }

  /** Sends one message with the seed's attributes; returns our stable message id. */
  async send(queueName: string, message: OutgoingMessage): Promise<string> {
    const messageId = message.messageId ?? randomUUID();
    const { span, carrier } = startSendSpan('aws.sqs', queueName, message.traceContext, spanAttributes(message, messageId));
    try {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: await this.directory.url(queueName),
          MessageBody: message.body,
          MessageAttributes: withTraceAttributes(attributesOf(message, messageId), carrier),
          DelaySeconds: message.delaySeconds,
          MessageGroupId: message.messageGroupId,
          MessageDeduplicationId: message.deduplicationId,
        }),
      );
    } catch (err) {
      endSendSpan(span, `${(err as Error).name}: ${(err as Error).message}`);
      throw err;
    }
    endSendSpan(span);
    return messageId;
  }

  /** Sends up to any number of messages in SendMessageBatch calls of 10, reporting each entry's fate. */
  async sendBatch(queueName: string, messages: OutgoingMessage[]): Promise<BatchResult> {
    const url = await this.directory.url(queueName);
    const result: BatchResult = { sent: [], failed: [] };
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10).map((m) => ({ ...m, messageId: m.messageId ?? randomUUID() }));
      // One PRODUCER span per message, each in its own trace (batched rows come from different requests).
      const sends = chunk.map((m) => startSendSpan('aws.sqs', queueName, m.traceContext, spanAttributes(m, m.messageId)));
      let response: SendMessageBatchCommandOutput;
      try {
        // Batch entry ids must be short and alphanumeric; index them and map back.
        response = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: chunk.map((m, index) => ({
              Id: `m${index}`,
              MessageBody: m.body,
              MessageAttributes: withTraceAttributes(attributesOf(m, m.messageId), sends[index]!.carrier),
              DelaySeconds: m.delaySeconds,
              MessageGroupId: m.messageGroupId,
              MessageDeduplicationId: m.deduplicationId,
            })),
          }),
        );
      } catch (err) {
        for (const { span } of sends) endSendSpan(span, `${(err as Error).name}: ${(err as Error).message}`);
        throw err;
      }
      const failedById = new Map((response.Failed ?? []).map((f) => [f.Id, `${f.Code ?? 'Unknown'}: ${f.Message ?? ''}`]));
      sends.forEach(({ span }, index) => endSendSpan(span, failedById.get(`m${index}`)));
      for (const ok of response.Successful ?? []) result.sent.push(chunk[Number(ok.Id!.slice(1))]!.messageId);
      for (const bad of response.Failed ?? []) {
        result.failed.push({
          messageId: chunk[Number(bad.Id!.slice(1))]!.messageId,
          code: bad.Code ?? 'Unknown',
          message: bad.Message ?? '',
          senderFault: bad.SenderFault ?? false,
        });
      }
    }
    return result;
  }
}

function spanAttributes(message: OutgoingMessage, messageId: string) {
  return { 'messaging.message.id': messageId, event_type: message.eventType };
}

function attributesOf(message: OutgoingMessage, messageId: string): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {
    [ATTR.eventType]: { DataType: 'String', StringValue: message.eventType },
    [ATTR.priority]: { DataType: 'String', StringValue: message.priority ?? 'normal' },
    [ATTR.messageId]: { DataType: 'String', StringValue: messageId },
  };
  for (const [name, value] of Object.entries(message.attributes ?? {})) {
    attributes[name] = { DataType: 'String', StringValue: value };
  }
  return attributes;
}
