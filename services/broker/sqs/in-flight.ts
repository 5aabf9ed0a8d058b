import { AwsError } from '../aws-error.ts';
import { failure, readBatchEntries, type BatchFailure } from './batch.ts';
import { resolveQueue, type SqsDeps } from './context.ts';
import { badParameter, missingParameter, queueDoesNotExist, receiptHandleIsInvalid } from './errors.ts';
import { optionalInt, requiredString, type Input } from './input.ts';
import { BLOCKED, placeholders, unblockGroup } from './messages.ts';
import { decodeReceiptHandle, type Receipt } from './receipts.ts';
import type { Queue } from './registry.ts';
import type { Tx } from './store.ts';

const MAX_VISIBILITY_SECONDS = 43_200;
/** Deletes and visibility changes undone by a crash only make a message visible again: they need not wait for the disk. */
const NOT_DURABLE = { durable: false } as const;

interface InFlightRow {
  id: number | bigint;
  receive_count: number | bigint;
  visible_at: number | bigint;
  last_receive_ms: number | bigint | null;
  group_id: string | null;
}

const FIND = 'SELECT id, receive_count, visible_at, last_receive_ms, group_id FROM sqs_messages WHERE id = ? AND queue_id = ?';

function readReceipt(queue: Queue, handle: string): Receipt {
  const receipt = decodeReceiptHandle(handle);
  if (!receipt || receipt.queueId !== queue.id) throw receiptHandleIsInvalid(handle);
  return receipt;
}

const expired = (handle: string) => badParameter('ReceiptHandle', handle, 'The receipt handle has expired.');

interface Named {
  handle: string;
  receipt: Receipt;
}

/**
 * Deletes the messages receipt handles name, with one query and one delete
 * for a whole batch. As SQS documents: deleting a message already gone
 * succeeds; on a standard queue a handle from an earlier receive (the message
 * was received again since) succeeds without deleting, so a slow consumer
 * never deletes a message another consumer now holds; a FIFO queue refuses a
 * handle whose visibility timeout has run out.
 */
async function deleteMany(tx: Tx, deps: SqsDeps, queue: Queue, items: Named[]): Promise<Array<AwsError | undefined>> {
  const ids = [...new Set(items.map((i) => i.receipt.rowId))];
  const rows = await tx.sql.all<InFlightRow>(
    `SELECT id, receive_count, visible_at, last_receive_ms, group_id FROM sqs_messages WHERE queue_id = ? AND id IN (${placeholders(ids.length)})`,
    [queue.id, ...ids],
  );
  const byId = new Map(rows.map((row) => [Number(row.id), row]));
  const doomed = new Map<number, InFlightRow>();
  const results = items.map(({ handle, receipt }) => {
    const row = byId.get(receipt.rowId);
    if (!row) return undefined;
    const current = Number(row.receive_count) === receipt.receiveCount;
    if (queue.fifo && (!current || Number(row.visible_at) <= tx.now)) return expired(handle);
    if (current) doomed.set(receipt.rowId, row);
    return undefined;
  });
  if (doomed.size > 0) {
    await tx.sql.run(`DELETE FROM sqs_messages WHERE id IN (${placeholders(doomed.size)})`, [...doomed.keys()]);
    if (queue.fifo) {
      for (const group of new Set([...doomed.values()].map((row) => row.group_id))) {
        if (group !== null) await unblockGroup(tx, deps, queue, group);
      }
    }
  }
  return results;
}

const notAvailable = (handle: string) =>
  badParameter('ReceiptHandle', handle, 'Message does not exist or is not available for visibility timeout change.');

/**
 * Changes the visibility timeout of the message a receipt handle names, from
 * now. On a standard queue, as AWS does, any receipt handle of a message still
 * in the queue changes it: the latest one after its visibility timeout ran
 * out (the message is hidden again for the new timeout), and an earlier one
 * too (visibility 0 with an old handle makes the message visible at once). A
 * FIFO queue keeps its receipt strict, as its deletes do: only the latest
 * handle, and only while the message is in flight. A deleted message is
 * InvalidParameterValue. The total since the last receive may not pass 12
 * hours.
 */
async function changeOne(tx: Tx, deps: SqsDeps, queue: Queue, handle: string, receipt: Receipt, seconds: number): Promise<AwsError | undefined> {
  const [row] = await tx.sql.all<InFlightRow>(FIND, [receipt.rowId, queue.id]);
  // A handle from a later receive than the message has had is not one this broker issued for it.
  if (!row || receipt.receiveCount > Number(row.receive_count)) return notAvailable(handle);
  if (queue.fifo) {
    if (receipt.receiveCount !== Number(row.receive_count)) return notAvailable(handle);
    const visibleAt = Number(row.visible_at);
    if (visibleAt <= tx.now || visibleAt === BLOCKED) {
      return new AwsError('AWS.SimpleQueueService.MessageNotInflight', 'Message does not exist or is not available for visibility timeout change.');
    }
  }
  const newVisibleAt = tx.now + seconds * 1000;
  if (row.last_receive_ms !== null && newVisibleAt - Number(row.last_receive_ms) > MAX_VISIBILITY_SECONDS * 1000) {
    return badParameter('VisibilityTimeout', String(seconds), `Total VisibilityTimeout for the message is beyond the limit [${MAX_VISIBILITY_SECONDS} seconds]`);
  }
  await tx.sql.run('UPDATE sqs_messages SET visible_at = ? WHERE id = ?', [newVisibleAt, row.id]);
  // Any change, not only to 0: a long poll sleeping until the old visibility time must look again at the new one.
  tx.afterCommit(() => deps.waiters.notify(queue.id));
  return undefined;
}

function liveQueue(deps: SqsDeps, queue: Queue): Queue | undefined {
  return deps.registry.getById(queue.id);
}

export async function deleteMessage(deps: SqsDeps, input: Input) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const handle = requiredString(input, 'ReceiptHandle');
  const receipt = readReceipt(queue, handle);
  const error = await deps.store.run((tx) => {
    const live = liveQueue(deps, queue);
    return live ? deleteMany(tx, deps, live, [{ handle, receipt }]).then(([error]) => error) : queueDoesNotExist();
  }, NOT_DURABLE);
  if (error) throw error;
  return {};
}

function readVisibilityTimeout(input: Input): number {
  const seconds = optionalInt(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS, `Must be >= 0 and <= ${MAX_VISIBILITY_SECONDS}, if provided.`);
  if (seconds === undefined) throw missingParameter('VisibilityTimeout');
  return seconds;
}

export async function changeMessageVisibility(deps: SqsDeps, input: Input) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const handle = requiredString(input, 'ReceiptHandle');
  const seconds = readVisibilityTimeout(input);
  const receipt = readReceipt(queue, handle);
  const error = await deps.store.run((tx) => {
    const live = liveQueue(deps, queue);
    return live ? changeOne(tx, deps, live, handle, receipt, seconds) : queueDoesNotExist();
  }, NOT_DURABLE);
  if (error) throw error;
  return {};
}

type EntryWork = Named & { id: string; seconds: number };

/** Runs checked batch entries in one unit of work; entries that fail before (bad handle, bad timeout) are reported as failed. */
async function runBatch(
  deps: SqsDeps,
  input: Input,
  entryName: string,
  readSeconds: boolean,
  apply: (tx: Tx, queue: Queue, entries: EntryWork[]) => Promise<Array<AwsError | undefined>>,
) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const entries = readBatchEntries(input, entryName);
  const failed: BatchFailure[] = [];
  const work: EntryWork[] = [];
  for (const entry of entries) {
    try {
      const handle = requiredString(entry, 'ReceiptHandle');
      const seconds = readSeconds ? readVisibilityTimeout(entry) : 0;
      work.push({ id: entry.Id, handle, receipt: readReceipt(queue, handle), seconds });
    } catch (err) {
      failed.push(failure(entry.Id, err));
    }
  }
  const errors = await deps.store.run(async (tx) => {
    const live = liveQueue(deps, queue);
    if (!live) return undefined;
    return work.length > 0 ? apply(tx, live, work) : [];
  }, NOT_DURABLE);
  if (!errors) throw queueDoesNotExist();
  const successful: Array<{ Id: string }> = [];
  work.forEach((entry, i) => {
    const error = errors[i];
    if (error) failed.push(failure(entry.id, error));
    else successful.push({ Id: entry.id });
  });
  return { Successful: successful, Failed: failed };
}

export function deleteMessageBatch(deps: SqsDeps, input: Input) {
  return runBatch(deps, input, 'DeleteMessageBatchRequestEntry', false, (tx, queue, entries) => deleteMany(tx, deps, queue, entries));
}

export function changeMessageVisibilityBatch(deps: SqsDeps, input: Input) {
  return runBatch(deps, input, 'ChangeMessageVisibilityBatchRequestEntry', true, async (tx, queue, entries) => {
    const out: Array<AwsError | undefined> = [];
    for (const e of entries) out.push(await changeOne(tx, deps, queue, e.handle, e.receipt, e.seconds));
    return out;
  });
}
