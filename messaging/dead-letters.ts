import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { CONTENT_TYPES, parseAvroSchema } from '../contracts/avro.ts';
import { linkTo, traceCarrier } from '../observability/propagation.ts';
import { ROOT_CONTEXT, SpanKind, withSpan } from '../observability/tracing.ts';
import { unframe } from './avro-codec.ts';
import { REDRIVES_ATTRIBUTE } from './dlq-handler.ts';
import { toReceived } from './queue-consumer.ts';
import { ATTR } from './queue-publisher.ts';
import { carrierOfMessage, withTraceAttributes } from './tracing.ts';

/**
 * An operator's view of dead-letter queues over the plain SQS API, so it works
 * on AWS as on the embedded broker. SQS shows a message only by receiving it:
 * browsing receives the visible messages with a short visibility timeout and
 * hands them straight back (visibility 0), the way the AWS console's "poll for
 * messages" does. Each look counts as a receive (ApproximateReceiveCount goes
 * up). Messages a DLQ handler parked are in flight and cannot be seen here:
 * their owner's ParkedMessages records show them (messaging/parked-messages.ts).
 */

/** A dead-lettered message as received, with the receipt handle of that receive. */
export interface DeadLetter {
  /** SQS's MessageId. */
  messageId: string;
  body: string;
  /** Message attributes as SQS returned them. */
  attributes: Record<string, MessageAttributeValue>;
  eventType: string | undefined;
  receiveCount: number;
  sentAt: string | undefined;
  /** How often the DLQ handler sent it back already. */
  redrives: number;
  receiptHandle: string;
}

const RECEIVE_BATCH = 10;

function toDeadLetter(message: Message): DeadLetter {
  const received = toReceived(message);
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: received.sqsMessageId,
    body: received.body,
    attributes: message.MessageAttributes ?? {},
    eventType: received.eventType,
    receiveCount: received.receiveCount,
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : undefined,
    redrives: Number(received.attributes[REDRIVES_ATTRIBUTE] ?? '0'),
    receiptHandle: message.ReceiptHandle!,
  };
}

/**
 * Receives visible messages (at most `limit`, or until `enough` says so) and
 * holds them invisible for `holdSeconds` while it looks, so one look does not
 * see a message twice. The caller gets them with `release`, which makes the
 * ones it did not consume visible again at once.
 */
async function receiveHeld(sqs: SQSClient, queueUrl: string, options: { limit: number; holdSeconds: number; enough?: (seen: DeadLetter[]) => boolean }) {
  const seen: DeadLetter[] = [];
  while (seen.length < options.limit && !options.enough?.(seen)) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(RECEIVE_BATCH, options.limit - seen.length),
        WaitTimeSeconds: 0,
        VisibilityTimeout: options.holdSeconds,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    seen.push(...Messages.map(toDeadLetter));
  }
  const release = async (keep: ReadonlySet<string> = new Set()) => {
    const back = seen.filter((m) => !keep.has(m.messageId));
    for (let start = 0; start < back.length; start += RECEIVE_BATCH) {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: back.slice(start, start + RECEIVE_BATCH).map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    }
  };
  return { seen, release };
}

/** The visible messages of a dead-letter queue (up to `limit`), left where they were. */
export async function peekDeadLetters(sqs: SQSClient, queueUrl: string, limit = 100): Promise<DeadLetter[]> {
  const { seen, release } = await receiveHeld(sqs, queueUrl, { limit, holdSeconds: 20 });
  await release();
  return seen;
}

/**
 * Receives the named visible messages to act on them: they stay held for
 * `holdSeconds` (the receipt handles are valid that long); every other
 * message seen on the way is handed back at once.
 */
export async function takeDeadLetters(sqs: SQSClient, queueUrl: string, messageIds: readonly string[], holdSeconds = 60): Promise<Map<string, DeadLetter>> {
  const wanted = new Set(messageIds);
  const { seen, release } = await receiveHeld(sqs, queueUrl, {
    limit: 1000,
    holdSeconds,
    enough: (got) => [...wanted].every((id) => got.some((m) => m.messageId === id)),
  });
  const taken = new Map(seen.filter((m) => wanted.has(m.messageId)).map((m) => [m.messageId, m]));
  await release(new Set(taken.keys()));
  return taken;
}

/**
 * Sends a dead-lettered message back to its source queue, then deletes it
 * from the DLQ (send first: a crash in between leaves a duplicate, which
 * consumers' inboxes drop, never a loss). The DLQ handler's redrive count is
 * dropped: a redrive an operator asked for (after fixing the cause) starts
 * afresh. The new send continues a trace linked to the message's own.
 */
export async function redriveDeadLetter(
  sqs: SQSClient,
  target: { deadLetterQueue: string; deadLetterQueueUrl: string; sourceQueueUrl: string },
  message: Pick<DeadLetter, 'messageId' | 'body' | 'attributes' | 'receiptHandle'>,
): Promise<void> {
  const strings = Object.fromEntries(Object.entries(message.attributes).flatMap(([k, v]) => (v.StringValue !== undefined ? [[k, v.StringValue]] : [])));
  await withSpan(
    `redrive ${target.deadLetterQueue}`,
    {
      kind: SpanKind.PRODUCER,
      parent: ROOT_CONTEXT,
      links: linkTo(carrierOfMessage({ attributes: strings, body: message.body }), { 'paymesh.link': 'dead-lettered message' }),
      attributes: { 'messaging.system.name': 'aws.sqs', 'messaging.destination.name': target.deadLetterQueue, 'messaging.message.id': message.messageId, 'paymesh.redrive': 'operator' },
    },
    async () => {
      const attributes = { ...message.attributes };
      delete attributes[REDRIVES_ATTRIBUTE];
      await sqs.send(new SendMessageCommand({ QueueUrl: target.sourceQueueUrl, MessageBody: message.body, MessageAttributes: withTraceAttributes(attributes, traceCarrier()) }));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: target.deadLetterQueueUrl, ReceiptHandle: message.receiptHandle }));
    },
  );
}

export async function deleteDeadLetter(sqs: SQSClient, queueUrl: string, receiptHandle: string): Promise<void> {
  await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
}

/** A message body as an operator reads it. */
export interface DisplayedBody {
  format: 'avro' | 'json' | 'text';
  /** The decoded value (Avro longs as decimal strings, bytes as base64). */
  value: unknown;
  /** Avro: the writer schema's id in the registry. */
  schemaId?: number;
  /** Why it could not be decoded (the raw body is then the value). */
  error?: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const jsonSafe = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v?.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data).toString('base64') : v)));

/**
 * Decodes a body for display: Confluent-framed Avro (by its `content_type`
 * attribute or its framing) with the writer schema from the registry, else
 * JSON, else text. Never throws: what cannot be decoded is shown raw, with why.
 */
export async function displayBody(body: string, attributes: Record<string, string>, schemaById: (id: number) => Promise<string>): Promise<DisplayedBody> {
  const trimmed = body.trim();
  const framed = trimmed.length >= 8 && BASE64.test(trimmed) && Buffer.from(trimmed, 'base64')[0] === 0;
  if (attributes[ATTR.contentType] === CONTENT_TYPES.avro || framed) {
    try {
      const { schemaId, payload } = unframe(Buffer.from(trimmed, 'base64'));
      try {
        const type = parseAvroSchema(await schemaById(schemaId));
        return { format: 'avro', schemaId, value: jsonSafe(type.fromBuffer(payload)) };
      } catch (err) {
        return { format: 'avro', schemaId, value: body, error: `cannot decode with writer schema ${schemaId}: ${(err as Error).message}` };
      }
    } catch (err) {
      return { format: 'avro', value: body, error: (err as Error).message };
    }
  }
  try {
    return { format: 'json', value: JSON.parse(body) };
  } catch {
    return { format: 'text', value: body };
  }
}
