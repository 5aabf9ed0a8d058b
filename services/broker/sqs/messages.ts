import type { SqsDeps } from './context.ts';
import type { Queue } from './registry.ts';
import type { Tx } from './store.ts';

/**
 * `visible_at` of a FIFO message queued behind its group's head: never
 * visible by time, only when the messages ahead of it are gone (unblockGroup).
 * Keeping it out of the receive index's visible range makes a FIFO receive
 * the same index range scan as a standard one.
 */
export const BLOCKED = Number.MAX_SAFE_INTEGER;

export interface MessageRow {
  id: number | bigint;
  queue_id: number | bigint;
  message_id: string;
  body: string;
  md5_body: string;
  attributes: string | null;
  trace_header: string | null;
  sender_id: string;
  sent_ms: number | bigint;
  visible_at: number | bigint;
  receive_count: number | bigint;
  first_receive_ms: number | bigint | null;
  last_receive_ms: number | bigint | null;
  group_id: string | null;
  dedup_id: string | null;
  dead_letter_source_arn: string | null;
}

export interface NewMessage {
  messageId: string;
  body: string;
  md5Body: string;
  /** MessageAttributes as stored (JSON), null when none. */
  attributes: string | null;
  traceHeader: string | null;
  senderId: string;
  sentMs: number;
  groupId: string | null;
  dedupId: string | null;
  deadLetterSourceArn: string | null;
}

/** FIFO sequence numbers: 20 digits, increasing with the row id, as SQS's are large and increasing. */
export function sequenceNumberOf(rowId: number | bigint): string {
  return (10n ** 19n + BigInt(rowId)).toString();
}

const INSERT = `INSERT INTO sqs_messages (queue_id, message_id, body, md5_body, attributes, trace_header, sender_id, sent_ms,
  visible_at, receive_count, first_receive_ms, last_receive_ms, group_id, dedup_id, dead_letter_source_arn)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL, ?, ?, ?) RETURNING id`;

/** Appends a message; a FIFO message behind others of its group waits BLOCKED. Returns its row id. */
export async function insertMessage(tx: Tx, queue: Queue, message: NewMessage, readyAt: number): Promise<number> {
  let visibleAt = readyAt;
  if (queue.fifo && message.groupId !== null) {
    const ahead = await tx.sql.all('SELECT id FROM sqs_messages WHERE queue_id = ? AND group_id = ? LIMIT 1', [queue.id, message.groupId]);
    if (ahead.length > 0) visibleAt = BLOCKED;
  }
  const rows = await tx.sql.all<{ id: number | bigint }>(INSERT, [
    queue.id,
    message.messageId,
    message.body,
    message.md5Body,
    message.attributes,
    message.traceHeader,
    message.senderId,
    message.sentMs,
    visibleAt,
    message.groupId,
    message.dedupId,
    message.deadLetterSourceArn,
  ]);
  return Number(rows[0]!.id);
}

const INSERT_MANY_PREFIX = `INSERT INTO sqs_messages (queue_id, message_id, body, md5_body, attributes, trace_header, sender_id, sent_ms,
  visible_at, receive_count, first_receive_ms, last_receive_ms, group_id, dedup_id, dead_letter_source_arn) VALUES `;
const ROW_PLACEHOLDERS = '(?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL, ?, ?, ?)';

/** Appends messages to a standard queue in one statement (a batch is one insert, not ten). */
export async function insertStandardMessages(tx: Tx, queue: Queue, messages: Array<{ message: NewMessage; readyAt: number }>): Promise<void> {
  const params: unknown[] = [];
  for (const { message, readyAt } of messages) {
    params.push(
      queue.id,
      message.messageId,
      message.body,
      message.md5Body,
      message.attributes,
      message.traceHeader,
      message.senderId,
      message.sentMs,
      readyAt,
      message.groupId,
      message.dedupId,
      message.deadLetterSourceArn,
    );
  }
  await tx.sql.run(INSERT_MANY_PREFIX + Array(messages.length).fill(ROW_PLACEHOLDERS).join(', '), params);
}

/** `?, ?, ?` for an IN list of `n` values. */
export function placeholders(n: number): string {
  return Array(n).fill('?').join(', ');
}

/** After a FIFO group lost its head (deleted, moved, expired), the next message becomes receivable. */
export async function unblockGroup(tx: Tx, deps: SqsDeps, queue: Queue, groupId: string): Promise<void> {
  const [head] = await tx.sql.all<{ id: number | bigint; visible_at: number | bigint; sent_ms: number | bigint }>(
    'SELECT id, visible_at, sent_ms FROM sqs_messages WHERE queue_id = ? AND group_id = ? ORDER BY id LIMIT 1',
    [queue.id, groupId],
  );
  if (!head || Number(head.visible_at) !== BLOCKED) return;
  // A FIFO queue's delay applies retroactively (SQS developer guide, "Delay queues").
  const readyAt = Math.max(tx.now, Number(head.sent_ms) + queue.settings.delaySeconds * 1000);
  await tx.sql.run('UPDATE sqs_messages SET visible_at = ? WHERE id = ?', [readyAt, head.id]);
  tx.afterCommit(() => deps.waiters.notify(queue.id));
}

/** Deletes one message by row id, unblocking its FIFO group. */
export async function deleteMessageRow(tx: Tx, deps: SqsDeps, queue: Queue, row: { id: number | bigint; group_id: string | null }): Promise<void> {
  await tx.sql.run('DELETE FROM sqs_messages WHERE id = ?', [row.id]);
  if (queue.fifo && row.group_id !== null) await unblockGroup(tx, deps, queue, row.group_id);
}

/**
 * Moves a message to another queue as a new row at its tail (so FIFO order
 * there holds), keeping its MessageId, body and attributes; the receive count
 * starts again. Used for the redrive to a dead-letter queue and by message
 * move tasks.
 */
export async function moveMessage(
  tx: Tx,
  deps: SqsDeps,
  row: MessageRow,
  from: Queue,
  to: Queue,
  options: { sentMs: number; deadLetterSourceArn: string | null },
): Promise<void> {
  await insertMessage(
    tx,
    to,
    {
      messageId: row.message_id,
      body: row.body,
      md5Body: row.md5_body,
      attributes: row.attributes,
      traceHeader: row.trace_header,
      senderId: row.sender_id,
      sentMs: options.sentMs,
      groupId: row.group_id,
      dedupId: row.dedup_id,
      deadLetterSourceArn: options.deadLetterSourceArn,
    },
    tx.now,
  );
  await deleteMessageRow(tx, deps, from, row);
  tx.afterCommit(() => deps.waiters.notify(to.id));
}
