import { createHash, randomUUID } from 'node:crypto';
import { AwsError } from '../aws-error.ts';
import type { QueueMessageOutcome, QueueMessageRequest } from '../ports.ts';
import { failure, readBatchEntries, type BatchFailure } from './batch.ts';
import { resolveQueue, type RequestContext, type SqsDeps } from './context.ts';
import { badParameter, invalidParameterValue, missingParameter, queueDoesNotExist } from './errors.ts';
import { compact, optionalString, requiredString, type Input } from './input.ts';
import {
  ALLOWED_CHARACTERS,
  attributesSize,
  invalidCharacter,
  md5Hex,
  md5OfAttributes,
  readMessageAttributes,
  readTraceHeader,
  type MessageAttributes,
} from './message-attributes.ts';
import { insertMessage, insertStandardMessages, sequenceNumberOf } from './messages.ts';
import { MAX_MESSAGE_BYTES } from './queue-attributes.ts';
import type { Queue } from './registry.ts';
import type { Tx } from './store.ts';

/** The FIFO deduplication interval. */
export const DEDUPLICATION_WINDOW_MS = 5 * 60 * 1000;
const MAX_DELAY_SECONDS = 900;
/** MessageGroupId and MessageDeduplicationId: 1 to 128 alphanumeric or punctuation characters. */
const FIFO_ID = /^[\x21-\x7E]{1,128}$/;

/** A message checked against its queue, ready to store. */
export interface PreparedMessage {
  body: string;
  md5Body: string;
  attributes: MessageAttributes | undefined;
  md5Attributes: string | undefined;
  traceHeader: string | undefined;
  md5SystemAttributes: string | undefined;
  /** Seconds before the message can be received. */
  delaySeconds: number;
  groupId: string | undefined;
  dedupId: string | undefined;
  /** Body plus attributes, as the size limit counts them. */
  size: number;
}

export interface SendResult {
  MessageId: string;
  MD5OfMessageBody: string;
  MD5OfMessageAttributes?: string;
  MD5OfMessageSystemAttributes?: string;
  SequenceNumber?: string;
}

/**
 * Validates one message (SendMessage, a batch entry, an EventBridge delivery) as SQS does.
 * `httpTraceHeader` is the request's X-Amzn-Trace-Id: the message's AWSTraceHeader when it sets
 * none itself. MD5OfMessageSystemAttributes digests only what the request sent as system
 * attributes, so an SDK that checks it against its request never sees one it did not send.
 */
export function prepareMessage(queue: Queue, input: Input, httpTraceHeader?: string): PreparedMessage {
  const body = input.MessageBody;
  if (body === undefined || body === null || body === '') throw missingParameter('MessageBody');
  if (typeof body !== 'string') throw invalidParameterValue('MessageBody must be a string.');
  const bad = invalidCharacter(body);
  if (bad) {
    throw new AwsError(
      'InvalidMessageContents',
      `Invalid binary character '${bad}' was found in the message body, the set of allowed characters is ${ALLOWED_CHARACTERS}`,
    );
  }
  const attributes = readMessageAttributes(input.MessageAttributes);
  const sentTraceHeader = readTraceHeader(input.MessageSystemAttributes);
  const traceHeader = sentTraceHeader ?? (httpTraceHeader || undefined);
  const size = Buffer.byteLength(body, 'utf8') + attributesSize(attributes);
  const limit = queue.settings.maximumMessageSize;
  if (size > limit) {
    throw invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`);
  }

  let delaySeconds = queue.settings.delaySeconds;
  const rawDelay = input.DelaySeconds;
  if (rawDelay !== undefined && rawDelay !== null) {
    const delay = typeof rawDelay === 'number' ? rawDelay : typeof rawDelay === 'string' && /^-?\d+$/.test(rawDelay) ? Number(rawDelay) : Number.NaN;
    if (!Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_SECONDS) {
      throw badParameter('DelaySeconds', rawDelay, `DelaySeconds must be >= 0 and <= ${MAX_DELAY_SECONDS}.`);
    }
    // FIFO queues take only the queue's delay.
    if (queue.fifo && delay !== 0) throw badParameter('DelaySeconds', rawDelay, 'The request include parameter that is not valid for this queue type.');
    if (!queue.fifo) delaySeconds = delay;
  }

  let groupId = optionalString(input, 'MessageGroupId');
  let dedupId = optionalString(input, 'MessageDeduplicationId');
  if (groupId !== undefined && !FIFO_ID.test(groupId)) {
    throw badParameter('MessageGroupId', groupId, 'MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.');
  }
  if (queue.fifo) {
    if (groupId === undefined || groupId === '') throw missingParameter('MessageGroupId');
    if (dedupId !== undefined && !FIFO_ID.test(dedupId)) {
      throw badParameter('MessageDeduplicationId', dedupId, 'MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.');
    }
    if (dedupId === undefined) {
      if (!queue.settings.contentBasedDeduplication) {
        throw invalidParameterValue('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
      }
      // Content-based deduplication hashes the body only (SQS developer guide).
      dedupId = createHash('sha256').update(body, 'utf8').digest('hex');
    }
  } else {
    if (dedupId !== undefined) {
      throw badParameter('MessageDeduplicationId', dedupId, 'The request include parameter that is not valid for this queue type.');
    }
    // Standard queues accept a MessageGroupId (fair queues) and report it back; it does not order anything.
    if (groupId === '') groupId = undefined;
  }

  return {
    body,
    md5Body: md5Hex(body),
    attributes,
    md5Attributes: md5OfAttributes(attributes),
    traceHeader,
    md5SystemAttributes: sentTraceHeader === undefined ? undefined : md5OfAttributes({ AWSTraceHeader: { DataType: 'String', StringValue: sentTraceHeader } }),
    delaySeconds,
    groupId,
    dedupId,
    size,
  };
}

/**
 * Stores prepared messages on a queue inside the caller's transaction.
 * A FIFO message whose deduplication id was seen in the last five minutes is
 * accepted but not stored again: it gets the first one's MessageId and
 * SequenceNumber, as SQS answers. Returns undefined if the queue is gone.
 */
export async function storeMessages(
  tx: Tx,
  deps: SqsDeps,
  queueId: number,
  messages: PreparedMessage[],
  senderId: string,
): Promise<Array<{ messageId: string; sequenceNumber?: string }> | undefined> {
  const queue = deps.registry.getById(queueId);
  if (!queue) return undefined;
  const results: Array<{ messageId: string; sequenceNumber?: string }> = [];
  if (!queue.fifo) {
    const rows = messages.map((m) => ({ message: newMessage(m, randomUUID(), senderId, tx.now), readyAt: tx.now + m.delaySeconds * 1000 }));
    await insertStandardMessages(tx, queue, rows);
    tx.afterCommit(() => deps.waiters.notify(queue.id));
    return rows.map((r) => ({ messageId: r.message.messageId }));
  }
  for (const m of messages) {
    if (queue.fifo) {
      const key = queue.settings.deduplicationScope === 'messageGroup' ? `${m.groupId}\u0000${m.dedupId}` : m.dedupId!;
      const [seen] = await tx.sql.all<{ message_id: string; sequence_number: string }>(
        'SELECT message_id, sequence_number FROM sqs_deduplication WHERE queue_id = ? AND dedup_key = ? AND expires_ms > ?',
        [queue.id, key, tx.now],
      );
      if (seen) {
        results.push({ messageId: seen.message_id, sequenceNumber: seen.sequence_number });
        continue;
      }
      const messageId = randomUUID();
      const rowId = await insertMessage(tx, queue, newMessage(m, messageId, senderId, tx.now), tx.now + m.delaySeconds * 1000);
      const sequenceNumber = sequenceNumberOf(rowId);
      await tx.sql.run(
        `INSERT INTO sqs_deduplication (queue_id, dedup_key, message_id, sequence_number, expires_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (queue_id, dedup_key) DO UPDATE SET message_id = excluded.message_id, sequence_number = excluded.sequence_number, expires_ms = excluded.expires_ms`,
        [queue.id, key, messageId, sequenceNumber, tx.now + DEDUPLICATION_WINDOW_MS],
      );
      results.push({ messageId, sequenceNumber });
    } else {
      const messageId = randomUUID();
      await insertMessage(tx, queue, newMessage(m, messageId, senderId, tx.now), tx.now + m.delaySeconds * 1000);
      results.push({ messageId });
    }
  }
  tx.afterCommit(() => deps.waiters.notify(queue.id));
  return results;
}

function newMessage(m: PreparedMessage, messageId: string, senderId: string, now: number) {
  return {
    messageId,
    body: m.body,
    md5Body: m.md5Body,
    attributes: m.attributes ? JSON.stringify(m.attributes) : null,
    traceHeader: m.traceHeader ?? null,
    senderId,
    sentMs: now,
    groupId: m.groupId ?? null,
    dedupId: m.dedupId ?? null,
    deadLetterSourceArn: null,
  };
}

function resultOf(m: PreparedMessage, stored: { messageId: string; sequenceNumber?: string }): SendResult {
  return compact({
    MessageId: stored.messageId,
    MD5OfMessageBody: m.md5Body,
    MD5OfMessageAttributes: m.md5Attributes,
    MD5OfMessageSystemAttributes: m.md5SystemAttributes,
    SequenceNumber: stored.sequenceNumber,
  });
}

export async function sendMessage(deps: SqsDeps, input: Input, ctx: RequestContext): Promise<SendResult> {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const message = prepareMessage(queue, input, ctx.traceHeader);
  const stored = await deps.store.run((tx) => storeMessages(tx, deps, queue.id, [message], ctx.callerId ?? deps.accountId));
  if (!stored) throw queueDoesNotExist();
  return resultOf(message, stored[0]!);
}

/**
 * The most a SendMessageBatch may carry, bodies and attributes of all entries together: 1 MiB,
 * whatever the queue's MaximumMessageSize (SendMessageBatch API reference; recorded against SQS).
 */
export const BATCH_SIZE_LIMIT = MAX_MESSAGE_BYTES;

/**
 * A FIFO batch entry without MessageGroupId, or without MessageDeduplicationId on a queue without
 * content-based deduplication, fails the whole request (InvalidParameterValue), not just the entry,
 * as SQS answers (recorded against SQS; SendMessage alone says MissingParameter for the group id).
 */
function checkFifoEntry(queue: Queue, entry: Input): void {
  const groupId = entry.MessageGroupId;
  if (typeof groupId !== 'string' || groupId === '') throw invalidParameterValue('The request must contain the parameter MessageGroupId.');
  const dedupId = entry.MessageDeduplicationId;
  if ((typeof dedupId !== 'string' || dedupId === '') && !queue.settings.contentBasedDeduplication) {
    throw invalidParameterValue('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
  }
}

/** What an entry SQS refused on its own still adds to the batch's length: its body. */
function bodyBytes(entry: Input): number {
  return typeof entry.MessageBody === 'string' ? Buffer.byteLength(entry.MessageBody, 'utf8') : 0;
}

export async function sendMessageBatch(deps: SqsDeps, input: Input, ctx: RequestContext) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const entries = readBatchEntries(input, 'SendMessageBatchRequestEntry');
  if (queue.fifo) for (const entry of entries) checkFifoEntry(queue, entry);
  const failed: BatchFailure[] = [];
  const accepted: Array<{ id: string; message: PreparedMessage }> = [];
  let total = 0;
  for (const entry of entries) {
    try {
      const message = prepareMessage(queue, entry, ctx.traceHeader);
      total += message.size;
      accepted.push({ id: entry.Id, message });
    } catch (err) {
      total += bodyBytes(entry);
      failed.push(failure(entry.Id, err));
    }
  }
  // Checked over every entry before any is stored: too long a batch is refused as a whole.
  if (total > BATCH_SIZE_LIMIT) {
    throw new AwsError('AWS.SimpleQueueService.BatchRequestTooLong', `Batch requests cannot be longer than ${BATCH_SIZE_LIMIT} bytes. You have sent ${total} bytes.`);
  }
  const stored = accepted.length === 0
    ? []
    : await deps.store.run((tx) => storeMessages(tx, deps, queue.id, accepted.map((a) => a.message), ctx.callerId ?? deps.accountId));
  if (!stored) throw queueDoesNotExist();
  return {
    Successful: accepted.map((a, i) => ({ Id: a.id, ...resultOf(a.message, stored[i]!) })),
    Failed: failed,
  };
}

/**
 * The QueueTransactions port: EventBridge's messages for its targets, stored
 * like sends in the caller's unit of work. A message a queue refuses (the
 * queue is gone, or SQS would refuse it) is reported, not thrown, so the rest
 * of the unit commits.
 */
export async function deliverInTransaction(tx: Tx, deps: SqsDeps, requests: QueueMessageRequest[]): Promise<QueueMessageOutcome[]> {
  const outcomes: QueueMessageOutcome[] = new Array(requests.length);
  const byQueue = new Map<number, Array<{ index: number; message: PreparedMessage }>>();
  requests.forEach((request, index) => {
    const queue = deps.registry.getByArn(request.queueArn);
    if (!queue) {
      outcomes[index] = { error: queueDoesNotExist() };
      return;
    }
    try {
      const message = prepareMessage(queue, {
        MessageBody: request.body,
        MessageAttributes: request.messageAttributes,
        ...(queue.fifo ? { MessageGroupId: request.messageGroupId, MessageDeduplicationId: request.messageDeduplicationId } : {}),
      });
      const list = byQueue.get(queue.id) ?? [];
      list.push({ index, message });
      byQueue.set(queue.id, list);
    } catch (err) {
      outcomes[index] = { error: err instanceof AwsError ? err : new AwsError('InternalError', String((err as Error)?.message ?? err), 500, 'Receiver') };
    }
  });
  for (const [queueId, list] of byQueue) {
    const stored = await storeMessages(tx, deps, queueId, list.map((m) => m.message), deps.accountId);
    list.forEach(({ index }, k) => (outcomes[index] = stored ? { messageId: stored[k]!.messageId } : { error: queueDoesNotExist() }));
  }
  return outcomes;
}

/** The QueueDelivery port: one of EventBridge's later deliveries (the worker's), in a durable unit of its own. */
export async function deliverToQueueArn(deps: SqsDeps, arn: string, body: string, options: Omit<QueueMessageRequest, 'queueArn' | 'body'> = {}): Promise<{ messageId: string }> {
  const [outcome] = await deps.store.run((tx) => deliverInTransaction(tx, deps, [{ queueArn: arn, body, ...options }]));
  if ('error' in outcome!) throw outcome.error;
  return outcome!;
}
