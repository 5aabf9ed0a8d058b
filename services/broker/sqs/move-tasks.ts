import { randomUUID } from 'node:crypto';
import { AwsError } from '../aws-error.ts';
import type { SqsDeps } from './context.ts';
import { invalidParameterValue, resourceNotFound, unsupportedOperation } from './errors.ts';
import { compact, optionalInt, optionalString, requiredString, type Input } from './input.ts';
import { moveMessage, type MessageRow } from './messages.ts';
import type { Tx } from './store.ts';

/** Messages moved per task per housekeeping round when the task sets no rate. */
const UNLIMITED_PER_ROUND = 500;

interface TaskRow {
  task_handle: string;
  source_arn: string;
  destination_arn: string | null;
  max_per_second: number | bigint | null;
  status: 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  started_ms: number | bigint;
  to_move: number | bigint;
  moved: number | bigint;
  last_message_row: number | bigint;
  failure_reason: string | null;
}

async function run<T>(deps: SqsDeps, work: (tx: Tx) => Promise<T | AwsError>): Promise<T> {
  const result = await deps.store.run(work);
  if (result instanceof AwsError) throw result;
  return result;
}

/**
 * StartMessageMoveTask: moves the messages a dead-letter queue holds now back
 * to the queues they came from (their DeadLetterQueueSourceArn) or to
 * DestinationArn, at most MaxNumberOfMessagesPerSecond, in the background.
 */
export async function startMessageMoveTask(deps: SqsDeps, input: Input) {
  const sourceArn = requiredString(input, 'SourceArn');
  const destinationArn = optionalString(input, 'DestinationArn');
  const rate = optionalInt(input, 'MaxNumberOfMessagesPerSecond', 1, 500, 'MaxNumberOfMessagesPerSecond must be between 1 and 500.');
  const source = deps.registry.getByArn(sourceArn);
  if (!source) throw resourceNotFound('The resource that you specified for the SourceArn parameter doesn\'t exist.');
  if (!deps.registry.all().some((q) => q.settings.redrivePolicy?.deadLetterTargetArn === sourceArn)) {
    throw invalidParameterValue('Source queue must be configured as a Dead Letter Queue.');
  }
  if (destinationArn !== undefined) {
    const destination = deps.registry.getByArn(destinationArn);
    if (!destination) throw resourceNotFound('The resource that you specified for the DestinationArn parameter doesn\'t exist.');
    if (destination.fifo !== source.fifo) throw invalidParameterValue('The destination queue must be of the same type as the source queue.');
  }
  const handle = Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64url');
  return run(deps, async (tx) => {
    const [active] = await tx.sql.all("SELECT task_handle FROM sqs_move_tasks WHERE source_arn = ? AND status = 'RUNNING'", [sourceArn]);
    if (active) {
      // InvalidParameterValue, as SQS answers (recorded against SQS), though the API reference lists no error for it.
      return invalidParameterValue('There is already a task running. Only one active task is allowed for a source queue arn at a given time.');
    }
    const [stats] = await tx.sql.all<{ n: number | bigint | string; last: number | bigint | null }>(
      'SELECT COUNT(*) AS n, MAX(id) AS last FROM sqs_messages WHERE queue_id = ?',
      [source.id],
    );
    await tx.sql.run(
      `INSERT INTO sqs_move_tasks (task_handle, source_arn, destination_arn, max_per_second, status, started_ms, to_move, moved, last_message_row, failure_reason)
       VALUES (?, ?, ?, ?, 'RUNNING', ?, ?, 0, ?, NULL)`,
      [handle, sourceArn, destinationArn ?? null, rate ?? null, tx.now, Number(stats?.n ?? 0), Number(stats?.last ?? 0)],
    );
    return { TaskHandle: handle };
  });
}

export async function listMessageMoveTasks(deps: SqsDeps, input: Input) {
  const sourceArn = requiredString(input, 'SourceArn');
  const max = optionalInt(input, 'MaxResults', 1, 10, 'MaxResults must be between 1 and 10.') ?? 1;
  if (!deps.registry.getByArn(sourceArn)) throw resourceNotFound('The resource that you specified for the SourceArn parameter doesn\'t exist.');
  const rows = await deps.store.run((tx) =>
    tx.sql.all<TaskRow>('SELECT * FROM sqs_move_tasks WHERE source_arn = ? ORDER BY started_ms DESC LIMIT ?', [sourceArn, max]),
  );
  return {
    Results: rows.map((row) =>
      compact({
        TaskHandle: row.status === 'RUNNING' ? row.task_handle : undefined,
        Status: row.status,
        SourceArn: row.source_arn,
        DestinationArn: row.destination_arn ?? undefined,
        MaxNumberOfMessagesPerSecond: row.max_per_second === null ? undefined : Number(row.max_per_second),
        ApproximateNumberOfMessagesMoved: Number(row.moved),
        ApproximateNumberOfMessagesToMove: Number(row.to_move),
        FailureReason: row.failure_reason ?? undefined,
        StartedTimestamp: Number(row.started_ms),
      }),
    ),
  };
}

/**
 * The source queue ARN a task handle names. A handle is base64 of `{"taskId", "sourceArn"}` (as
 * SQS's are); one that is not is InvalidParameterValue, as SQS answers (recorded against SQS).
 */
function sourceArnOfHandle(handle: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(handle, 'base64').toString('utf8'));
  } catch {
    doc = undefined;
  }
  const { taskId, sourceArn } = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  if (typeof taskId !== 'string' || typeof sourceArn !== 'string') throw invalidParameterValue('Value for parameter TaskHandle is invalid.');
  return sourceArn;
}

export async function cancelMessageMoveTask(deps: SqsDeps, input: Input) {
  const handle = requiredString(input, 'TaskHandle');
  if (!deps.registry.getByArn(sourceArnOfHandle(handle))) {
    throw resourceNotFound('The resource that you specified for the SourceArn parameter doesn\'t exist.');
  }
  return run(deps, async (tx) => {
    const [task] = await tx.sql.all<TaskRow>('SELECT * FROM sqs_move_tasks WHERE task_handle = ?', [handle]);
    if (!task) return resourceNotFound('Task does not exist.');
    if (task.status !== 'RUNNING') return unsupportedOperation(`Task is ${task.status}: only a running task can be cancelled.`);
    await tx.sql.run("UPDATE sqs_move_tasks SET status = 'CANCELLED' WHERE task_handle = ?", [handle]);
    return { ApproximateNumberOfMessagesMoved: Number(task.moved) };
  });
}

/**
 * One round of every running task: moves what its rate allows, then marks it
 * COMPLETED once none of the messages it started with is left, or FAILED when
 * a message has nowhere to go. Returns whether a task is still running.
 */
export async function advanceMoveTasks(tx: Tx, deps: SqsDeps): Promise<boolean> {
  const tasks = await tx.sql.all<TaskRow>("SELECT * FROM sqs_move_tasks WHERE status = 'RUNNING'");
  let running = false;
  for (const task of tasks) {
    const finish = (status: TaskRow['status'], reason: string | null, moved: number) =>
      tx.sql.run('UPDATE sqs_move_tasks SET status = ?, failure_reason = ?, moved = ? WHERE task_handle = ?', [status, reason, moved, task.task_handle]);
    let moved = Number(task.moved);
    const source = deps.registry.getByArn(task.source_arn);
    if (!source) {
      await finish('FAILED', 'AWS.SimpleQueueService.NonExistentQueue', moved);
      continue;
    }
    const rate = task.max_per_second === null ? undefined : Number(task.max_per_second);
    const allowance = rate === undefined ? UNLIMITED_PER_ROUND : Math.min(UNLIMITED_PER_ROUND, Math.floor((rate * (tx.now - Number(task.started_ms))) / 1000) - moved);
    let failed: string | undefined;
    if (allowance > 0) {
      const rows = await tx.sql.all<MessageRow>(
        'SELECT * FROM sqs_messages WHERE queue_id = ? AND id <= ? AND visible_at <= ? ORDER BY id LIMIT ?',
        [source.id, task.last_message_row, tx.now, allowance],
      );
      for (const row of rows) {
        const destinationArn = task.destination_arn ?? row.dead_letter_source_arn;
        const destination = destinationArn ? deps.registry.getByArn(destinationArn) : undefined;
        if (!destination) {
          failed = destinationArn ? 'AWS.SimpleQueueService.NonExistentQueue' : 'CouldNotDetermineMessageSource';
          break;
        }
        await moveMessage(tx, deps, row, source, destination, { sentMs: tx.now, deadLetterSourceArn: null });
        moved++;
      }
    }
    if (failed) {
      await finish('FAILED', failed, moved);
      continue;
    }
    const left = await tx.sql.all('SELECT id FROM sqs_messages WHERE queue_id = ? AND id <= ? LIMIT 1', [source.id, task.last_message_row]);
    if (left.length === 0) {
      await finish('COMPLETED', null, moved);
    } else {
      await tx.sql.run('UPDATE sqs_move_tasks SET moved = ? WHERE task_handle = ?', [moved, task.task_handle]);
      running = true;
    }
  }
  return running;
}
