import { resolveQueue, type RequestContext, type SqsDeps } from './context.ts';
import { badParameter, invalidAttributeName, queueDoesNotExist } from './errors.ts';
import { compact, optionalInt, optionalString, optionalStringList, requiredString, type Input } from './input.ts';
import { md5OfAttributes, selectAttributes, type MessageAttributes } from './message-attributes.ts';
import { BLOCKED, moveMessage, placeholders, sequenceNumberOf, type MessageRow } from './messages.ts';
import { encodeReceiptHandle } from './receipts.ts';
import type { Queue } from './registry.ts';
import type { Tx } from './store.ts';

/** The message system attributes a receive may ask for (AttributeNames or MessageSystemAttributeNames). */
const SYSTEM_ATTRIBUTES = new Set([
  'All',
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
]);
/** Queue attribute names the deprecated AttributeNames list accepts (they select nothing on a message). */
const QUEUE_ATTRIBUTE_NAMES = new Set([
  'Policy',
  'VisibilityTimeout',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
  'ApproximateNumberOfMessagesDelayed',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'RedriveAllowPolicy',
  'SqsManagedSseEnabled',
]);

interface Received {
  row: MessageRow;
  receiveCount: number;
  firstReceiveMs: number;
}

interface ReceiveOutcome {
  gone: boolean;
  /** The queue's waiter sequence number as it was before the read (see waiters.ts). */
  seen: number;
  messages: Received[];
  /** When the next message becomes visible by time, if any: a long poll sleeps at most until then. */
  nextVisibleAt: number | undefined;
}

export interface ReceiveOptions {
  max: number;
  visibilityTimeout: number;
  /** FIFO only: the ReceiveRequestAttemptId, whose retries get the same messages (see receiveFifoAttempt). */
  attemptId?: string;
}

/**
 * One receive attempt inside a transaction: the oldest visible messages are
 * made invisible for the visibility timeout and handed out; a message that
 * has already been received maxReceiveCount times moves to the dead-letter
 * queue instead. A FIFO queue hands out the heads of groups that are visible,
 * each followed by the messages behind it in order while they are visible.
 */
export async function receiveOnce(tx: Tx, deps: SqsDeps, queueId: number, options: ReceiveOptions): Promise<ReceiveOutcome> {
  const seen = deps.waiters.sequenceOf(queueId);
  const queue = deps.registry.getById(queueId);
  if (!queue) return { gone: true, seen, messages: [], nextVisibleAt: undefined };
  const messages = !queue.fifo
    ? await receiveStandard(tx, deps, queue, options)
    : options.attemptId === undefined
      ? await receiveFifo(tx, deps, queue, options)
      : await receiveFifoAttempt(tx, deps, queue, options, options.attemptId);
  let nextVisibleAt: number | undefined;
  if (messages.length === 0) {
    const [row] = await tx.sql.all<{ next: number | bigint | null }>(
      'SELECT min(visible_at) AS next FROM sqs_messages WHERE queue_id = ? AND visible_at > ? AND visible_at < ?',
      [queue.id, tx.now, BLOCKED],
    );
    if (row?.next !== null && row?.next !== undefined) nextVisibleAt = Number(row.next);
  }
  return { gone: false, seen, messages, nextVisibleAt };
}

const VISIBLE = `SELECT * FROM sqs_messages WHERE queue_id = ? AND visible_at <= ? AND sent_ms >= ? ORDER BY visible_at, id LIMIT ?`;
const MARK_RECEIVED = `UPDATE sqs_messages SET visible_at = ?, receive_count = receive_count + 1,
  first_receive_ms = COALESCE(first_receive_ms, ?), last_receive_ms = ? WHERE id = ?`;

/** The dead-letter queue a message goes to instead of its next receive, if its queue has one and it is due. */
function deadLetterQueueFor(deps: SqsDeps, queue: Queue, row: MessageRow): Queue | undefined {
  const policy = queue.settings.redrivePolicy;
  if (!policy || Number(row.receive_count) < policy.maxReceiveCount) return undefined;
  return deps.registry.getByArn(policy.deadLetterTargetArn);
}

async function markReceived(tx: Tx, row: MessageRow, visibilityTimeout: number): Promise<Received> {
  await tx.sql.run(MARK_RECEIVED, [tx.now + visibilityTimeout * 1000, tx.now, tx.now, row.id]);
  return received(tx, row);
}

function received(tx: Tx, row: MessageRow): Received {
  const firstReceiveMs = row.first_receive_ms === null ? tx.now : Number(row.first_receive_ms);
  return { row, receiveCount: Number(row.receive_count) + 1, firstReceiveMs };
}

/** Marks several messages received in one statement. */
async function markAllReceived(tx: Tx, rows: MessageRow[], visibilityTimeout: number): Promise<Received[]> {
  if (rows.length === 0) return [];
  await tx.sql.run(MARK_RECEIVED.replace('WHERE id = ?', `WHERE id IN (${placeholders(rows.length)})`), [
    tx.now + visibilityTimeout * 1000,
    tx.now,
    tx.now,
    ...rows.map((r) => r.id),
  ]);
  return rows.map((row) => received(tx, row));
}

function retentionCutoff(tx: Tx, queue: Queue): number {
  return tx.now - queue.settings.retentionSeconds * 1000;
}

async function receiveStandard(tx: Tx, deps: SqsDeps, queue: Queue, options: ReceiveOptions): Promise<Received[]> {
  const out: Received[] = [];
  // A round may move poison messages to the DLQ instead of handing them out; look again to fill the batch.
  for (let round = 0; round < 5 && out.length < options.max; round++) {
    const want = options.max - out.length;
    const rows = await tx.sql.all<MessageRow>(VISIBLE, [queue.id, tx.now, retentionCutoff(tx, queue), want]);
    let moved = 0;
    const deliver: MessageRow[] = [];
    for (const row of rows) {
      const dlq = deadLetterQueueFor(deps, queue, row);
      if (dlq) {
        await moveMessage(tx, deps, row, queue, dlq, { sentMs: Number(row.sent_ms), deadLetterSourceArn: queue.arn });
        moved++;
        continue;
      }
      deliver.push(row);
    }
    out.push(...(await markAllReceived(tx, deliver, options.visibilityTimeout)));
    if (moved === 0 || rows.length < want) break;
  }
  return out;
}

const GROUP_HEAD = 'SELECT id FROM sqs_messages WHERE queue_id = ? AND group_id = ? ORDER BY id LIMIT 1';
const GROUP_AFTER = 'SELECT * FROM sqs_messages WHERE queue_id = ? AND group_id = ? AND id > ? ORDER BY id LIMIT ?';

/**
 * A FIFO receive. As SQS does, a group's messages are handed out from its
 * head, in order, up to the first one that is not visible: an invisible
 * (in-flight) message holds back the messages behind it, not those ahead of
 * it. So a head whose visibility ran out or was set to 0 is handed out again
 * (with the returned messages behind it, then the never-received ones) even
 * while a later message of its group is still in flight; a later message that
 * came back holds nothing up and waits behind its head. Groups come in the
 * order their heads became visible, so a group that came back queues behind
 * the groups already waiting (SQS developer guide, "FIFO queue delivery logic";
 * ReceiveMessage: "you can receive up to 10 messages from the same group").
 */
async function receiveFifo(tx: Tx, deps: SqsDeps, queue: Queue, options: ReceiveOptions): Promise<Received[]> {
  const out: Received[] = [];
  const cutoff = retentionCutoff(tx, queue);
  const groupsSeen = new Set<string>();
  // Candidates are mostly group heads; a few may be messages received together with their head whose
  // visibility ran out, which the head check skips. Look at more than needed so those do not starve the batch.
  const candidates = await tx.sql.all<MessageRow>(VISIBLE, [queue.id, tx.now, cutoff, options.max * 4]);
  for (const candidate of candidates) {
    if (out.length >= options.max) break;
    const group = candidate.group_id!;
    if (groupsSeen.has(group)) continue;
    groupsSeen.add(group);
    const [head] = await tx.sql.all<{ id: number | bigint }>(GROUP_HEAD, [queue.id, group]);
    if (!head || Number(head.id) !== Number(candidate.id)) continue;

    const dlq = deadLetterQueueFor(deps, queue, candidate);
    if (dlq) {
      // The next message of the group is unblocked by the move and is handed out by a later receive.
      await moveMessage(tx, deps, candidate, queue, dlq, { sentMs: Number(candidate.sent_ms), deadLetterSourceArn: queue.arn });
      continue;
    }
    out.push(await markReceived(tx, candidate, options.visibilityTimeout));
    if (out.length >= options.max) break;

    // The messages behind the head, in order, while they are ready: SQS returns a group's messages together,
    // and one still in flight ends the run (the messages behind it wait for it).
    const readyAt = tx.now - queue.settings.delaySeconds * 1000;
    const followers = await tx.sql.all<MessageRow>(GROUP_AFTER, [queue.id, group, candidate.id, options.max - out.length]);
    for (const row of followers) {
      const visibleAt = Number(row.visible_at);
      const ready = visibleAt === BLOCKED ? Number(row.sent_ms) <= readyAt : visibleAt <= tx.now;
      if (!ready || Number(row.sent_ms) < cutoff || deadLetterQueueFor(deps, queue, row)) break;
      out.push(await markReceived(tx, row, options.visibilityTimeout));
    }
  }
  return out;
}

/** How long a ReceiveRequestAttemptId deduplicates retries (ReceiveMessage API reference: 5 minutes). */
const ATTEMPT_WINDOW_MS = 5 * 60 * 1000;
/** ReceiveMessage API reference: up to 128 characters, alphanumeric and punctuation. */
const ATTEMPT_ID = /^[\x21-\x7e]{1,128}$/;

/** One message of a recorded attempt: its row, and its receive count and visibility as that receive left them. */
type AttemptMessage = [rowId: number, receiveCount: number, visibleAt: number];

/**
 * A FIFO receive with a ReceiveRequestAttemptId. As the ReceiveMessage API
 * reference documents, a retry with the same id within 5 minutes returns the
 * same messages with the same receipt handles (so a response lost on the
 * network loses no messages and does not hold their groups until the
 * visibility timeout), and resets their visibility timeout; once any of them
 * was deleted or had its visibility changed, the id no longer applies and the
 * retry is an ordinary receive. A message counts as unchanged while it is in
 * flight with the receive count and visibility time this receive gave it: a
 * delete removes the row, a ChangeMessageVisibility or another receive moves
 * `visible_at`, so the check needs nothing from the delete and visibility
 * paths. Only receives that name an attempt id touch sqs_receive_attempts.
 */
async function receiveFifoAttempt(tx: Tx, deps: SqsDeps, queue: Queue, options: ReceiveOptions, attemptId: string): Promise<Received[]> {
  const [attempt] = await tx.sql.all<{ messages: string }>(
    'SELECT messages FROM sqs_receive_attempts WHERE queue_id = ? AND attempt_id = ? AND expires_ms > ?',
    [queue.id, attemptId, tx.now],
  );
  if (attempt) {
    const replayed = await replayAttempt(tx, queue, options, attemptId, JSON.parse(attempt.messages) as AttemptMessage[]);
    if (replayed) return replayed;
  }
  const out = await receiveFifo(tx, deps, queue, options);
  // An empty receive leaves nothing to hand out again. A stale record (its messages changed) can never match
  // again: it stays until its window ends or a receive with the id that hands out messages replaces it.
  if (out.length > 0) {
    const messages: AttemptMessage[] = out.map((r) => [Number(r.row.id), r.receiveCount, tx.now + options.visibilityTimeout * 1000]);
    await tx.sql.run(
      `INSERT INTO sqs_receive_attempts (queue_id, attempt_id, messages, expires_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (queue_id, attempt_id) DO UPDATE SET messages = excluded.messages, expires_ms = excluded.expires_ms`,
      [queue.id, attemptId, JSON.stringify(messages), tx.now + ATTEMPT_WINDOW_MS],
    );
  }
  return out;
}

/** The messages of a recorded attempt again, their visibility reset, if every one is still in flight unchanged. */
async function replayAttempt(
  tx: Tx,
  queue: Queue,
  options: ReceiveOptions,
  attemptId: string,
  recorded: AttemptMessage[],
): Promise<Received[] | undefined> {
  const ids = recorded.map(([rowId]) => rowId);
  const rows = await tx.sql.all<MessageRow>(`SELECT * FROM sqs_messages WHERE queue_id = ? AND id IN (${placeholders(ids.length)})`, [queue.id, ...ids]);
  const byId = new Map(rows.map((row) => [Number(row.id), row]));
  const unchanged = recorded.every(([rowId, receiveCount, visibleAt]) => {
    const row = byId.get(rowId);
    return row !== undefined && Number(row.receive_count) === receiveCount && Number(row.visible_at) === visibleAt && visibleAt > tx.now;
  });
  if (!unchanged) return undefined;
  const visibleAt = tx.now + options.visibilityTimeout * 1000;
  await tx.sql.run(`UPDATE sqs_messages SET visible_at = ? WHERE id IN (${placeholders(ids.length)})`, [visibleAt, ...ids]);
  await tx.sql.run('UPDATE sqs_receive_attempts SET messages = ? WHERE queue_id = ? AND attempt_id = ?', [
    JSON.stringify(recorded.map(([rowId, receiveCount]) => [rowId, receiveCount, visibleAt])),
    queue.id,
    attemptId,
  ]);
  // The same receive again: same receive count, so the same receipt handles and ApproximateReceiveCount.
  return recorded.map(([rowId]) => {
    const row = byId.get(rowId)!;
    return { row, receiveCount: Number(row.receive_count), firstReceiveMs: Number(row.first_receive_ms ?? tx.now) };
  });
}

/** The ReceiveRequestAttemptId of a FIFO receive, checked; ignored on a standard queue, as SQS ignores it there. */
function readAttemptId(input: Input, queue: Queue): string | undefined {
  if (!queue.fifo) return undefined;
  const id = optionalString(input, 'ReceiveRequestAttemptId');
  if (id === undefined) return undefined;
  if (!ATTEMPT_ID.test(id)) {
    throw badParameter('ReceiveRequestAttemptId', id, 'It must be 1 to 128 alphanumeric or punctuation characters.');
  }
  return id;
}

/** The message system attributes asked for, validated; `undefined` when none. */
function readSystemAttributeNames(input: Input): Set<string> | undefined {
  const names = [...(optionalStringList(input, 'AttributeNames') ?? []), ...(optionalStringList(input, 'MessageSystemAttributeNames') ?? [])];
  if (names.length === 0) return undefined;
  for (const name of names) if (!SYSTEM_ATTRIBUTES.has(name) && !QUEUE_ATTRIBUTE_NAMES.has(name)) throw invalidAttributeName(name);
  return new Set(names);
}

function systemAttributes(queue: Queue, received: Received, wanted: Set<string> | undefined): Record<string, string> | undefined {
  if (!wanted) return undefined;
  const all = wanted.has('All');
  const { row } = received;
  const out: Record<string, string> = {};
  const put = (name: string, value: string | null | undefined) => {
    if (value !== null && value !== undefined && (all || wanted.has(name))) out[name] = value;
  };
  put('SenderId', row.sender_id);
  put('SentTimestamp', String(row.sent_ms));
  put('ApproximateReceiveCount', String(received.receiveCount));
  put('ApproximateFirstReceiveTimestamp', String(received.firstReceiveMs));
  if (queue.fifo) {
    put('SequenceNumber', sequenceNumberOf(row.id));
    put('MessageDeduplicationId', row.dedup_id);
  }
  put('MessageGroupId', row.group_id);
  put('AWSTraceHeader', row.trace_header);
  put('DeadLetterQueueSourceArn', row.dead_letter_source_arn);
  return Object.keys(out).length > 0 ? out : undefined;
}

function render(queue: Queue, received: Received, systemNames: Set<string> | undefined, attributeNames: string[] | undefined) {
  const { row } = received;
  const stored = row.attributes === null ? undefined : (JSON.parse(row.attributes) as MessageAttributes);
  const attributes = selectAttributes(stored, attributeNames);
  return compact({
    MessageId: row.message_id,
    ReceiptHandle: encodeReceiptHandle(queue.id, Number(row.id), received.receiveCount),
    MD5OfBody: row.md5_body,
    Body: row.body,
    Attributes: systemAttributes(queue, received, systemNames),
    // Over the attributes returned, as the SDKs that check it compute it.
    MD5OfMessageAttributes: md5OfAttributes(attributes),
    MessageAttributes: attributes,
  });
}

/**
 * ReceiveMessage. With WaitTimeSeconds (or the queue's
 * ReceiveMessageWaitTimeSeconds) it long-polls: it waits until a message can
 * be handed out, then returns at once.
 */
export async function receiveMessage(deps: SqsDeps, input: Input, ctx: RequestContext) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const max = optionalInt(input, 'MaxNumberOfMessages', 1, 10, 'Must be between 1 and 10, if provided.') ?? 1;
  const visibilityTimeout = optionalInt(input, 'VisibilityTimeout', 0, 43_200, 'Must be >= 0 and <= 43200, if provided.') ?? queue.settings.visibilityTimeout;
  const waitSeconds = optionalInt(input, 'WaitTimeSeconds', 0, 20, 'Must be >= 0 and <= 20, if provided.') ?? queue.settings.receiveWaitSeconds;
  const systemNames = readSystemAttributeNames(input);
  const attributeNames = optionalStringList(input, 'MessageAttributeNames');
  const attemptId = readAttemptId(input, queue);

  const deadline = deps.clock() + waitSeconds * 1000;
  for (;;) {
    // Not durable: a receive undone by a crash only makes its messages visible again (at least once).
    const outcome = await deps.store.run((tx) => receiveOnce(tx, deps, queue.id, { max, visibilityTimeout, attemptId }), { durable: false });
    if (outcome.gone) throw queueDoesNotExist();
    if (outcome.messages.length > 0) {
      return { Messages: outcome.messages.map((m) => render(queue, m, systemNames, attributeNames)) };
    }
    const now = deps.clock();
    if (now >= deadline || ctx.signal?.aborted) return {};
    await deps.waiters.wait(queue.id, Math.min(deadline, outcome.nextVisibleAt ?? deadline), ctx.signal, outcome.seen);
    if (ctx.signal?.aborted) return {};
  }
}

