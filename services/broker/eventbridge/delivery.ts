import { backoffMs } from '../../../core/backoff.ts';
import { withoutWaitingForDisk } from '../../../storage/transaction.ts';
import { AwsError } from '../aws-error.ts';
import type { QueueDelivery } from '../ports.ts';
import { purgeExpiredArchiveEvents } from './archives.ts';
import { num, type Deps } from './common.ts';
import { advanceReplays } from './replays.ts';
import type { DeliveryRow } from './schema.ts';
import { DEFAULT_MAX_EVENT_AGE_SECONDS, DEFAULT_MAX_RETRY_ATTEMPTS } from './targets.ts';

/**
 * The attributes EventBridge puts on every message it sends to a dead-letter
 * queue: ERROR_CODE, ERROR_MESSAGE, RULE_ARN, TARGET_ARN,
 * EXHAUSTED_RETRY_CONDITION and RETRY_ATTEMPTS.
 */
export type QueueDeliveryOptions = NonNullable<Parameters<QueueDelivery['deliverToQueueArn']>[2]>;
export type MessageAttributes = NonNullable<QueueDeliveryOptions['messageAttributes']>;

export interface DeliveryTiming {
  /** Longest wait between looks for due work when nothing wakes the worker. Default 1000 ms. */
  pollIntervalMs: number;
  /** First retry delay; each retry doubles it, with jitter. Default 1000 ms. */
  retryBaseDelayMs: number;
  /** Longest retry delay. Default 5 minutes. */
  retryMaxDelayMs: number;
  /** How long a claimed delivery belongs to the worker that claimed it (another broker process skips it). Default 30 s. */
  leaseMs: number;
  /** Deliveries claimed per round. Default 50. */
  batchSize: number;
  /** How often archived events past their retention are purged. Default hourly. */
  retentionSweepIntervalMs: number;
}

export const DEFAULT_TIMING: DeliveryTiming = {
  pollIntervalMs: 1000,
  retryBaseDelayMs: 1000,
  retryMaxDelayMs: 300_000,
  leaseMs: 30_000,
  batchSize: 50,
  retentionSweepIntervalMs: 3_600_000,
};

/**
 * Moves routed events from `eb_deliveries` to their queues, in the background.
 * A failed delivery is retried with exponential backoff and jitter until the
 * target's RetryPolicy is exhausted (by attempts or by event age); then the
 * event goes to the target's dead-letter queue with AWS's error attributes,
 * or, with no DLQ, is dropped with an error log line. Rows stay in the
 * database until the queue has the message, so a restarted broker picks up
 * where the last one stopped. Delivery is at least once, as on AWS.
 */
export class DeliveryWorker {
  private readonly deps: Deps;
  private readonly timing: DeliveryTiming;
  private running = false;
  private loop: Promise<void> | undefined;
  private woken = false;
  private wakeSleeper: (() => void) | undefined;
  private lastRetentionSweep = 0;

  constructor(deps: Deps, timing: DeliveryTiming) {
    this.deps = deps;
    this.timing = timing;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the round in progress; deliveries in flight finish first. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    this.loop = undefined;
  }

  wake(): void {
    this.woken = true;
    this.wakeSleeper?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let busy = false;
      try {
        busy = await this.round();
      } catch (err) {
        this.deps.log.error({ err }, 'EventBridge delivery round failed; retrying');
      }
      if (!this.running) break;
      if (!busy) await this.sleep(await this.idleWait());
    }
  }

  /** Until the next delivery is due, at most one poll interval. */
  private async idleWait(): Promise<number> {
    try {
      const row = await this.deps.db
        .selectFrom('eb_deliveries')
        .select((eb) => eb.fn.min<bigint | number | null>('next_attempt_ms').as('due'))
        .executeTakeFirst();
      if (row?.due === null || row?.due === undefined) return this.timing.pollIntervalMs;
      return Math.min(this.timing.pollIntervalMs, Math.max(0, num(row.due) - this.deps.now()));
    } catch {
      return this.timing.pollIntervalMs;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || ms <= 0) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }

  /** One round: due deliveries, replay batches, retention. Returns true when more work is already waiting. */
  async round(): Promise<boolean> {
    const claimed = await this.claimDue();
    // A queue's rows are all handed to the SQS store at once: it runs them in call order (so the queue's
    // order holds) in one group transaction, one fsync for the lot instead of one per event.
    const delivered: string[] = [];
    await Promise.all(claimed.map(async (row) => (await this.attempt(row)) && delivered.push(row.id)));
    // A removal lost in a crash only delivers those events again (at least once, as on AWS): no need to wait for the disk.
    if (delivered.length > 0) await withoutWaitingForDisk(this.deps, (db) => db.deleteFrom('eb_deliveries').where('id', 'in', delivered).execute());
    const replaying = await advanceReplays(this.deps);
    if (this.deps.now() - this.lastRetentionSweep >= this.timing.retentionSweepIntervalMs) {
      this.lastRetentionSweep = this.deps.now();
      const purged = await purgeExpiredArchiveEvents(this.deps);
      if (purged > 0) this.deps.log.info({ purged }, 'purged archived events past their retention');
    }
    return claimed.length >= this.timing.batchSize || replaying;
  }

  private async claimDue(): Promise<DeliveryRow[]> {
    const now = this.deps.now();
    const due = await this.deps.db
      .selectFrom('eb_deliveries')
      .selectAll()
      .where('next_attempt_ms', '<=', now)
      .where('lease_until_ms', '<=', now)
      .orderBy('next_attempt_ms')
      .orderBy('created_ms')
      .orderBy('seq')
      .limit(this.timing.batchSize)
      .execute();
    if (due.length === 0) return [];
    // One statement (one commit) leases the whole batch; rows another broker process leased meanwhile are not returned.
    // A lease only keeps live workers apart: one lost in a crash costs nothing, so it does not wait for the disk.
    const leased = await withoutWaitingForDisk(this.deps, (db) =>
      db
        .updateTable('eb_deliveries')
        .set({ lease_until_ms: now + this.timing.leaseMs })
        .where('id', 'in', due.map((row) => row.id))
        .where('lease_until_ms', '<=', now)
        .returning('id')
        .execute(),
    );
    const ids = new Set(leased.map((row) => row.id));
    return due.filter((row) => ids.has(row.id));
  }

  /** Sends one delivery to its queue; true once the queue has it (the caller removes the row), false after a failure was recorded. */
  private async attempt(row: DeliveryRow): Promise<boolean> {
    const { queues } = this.deps;
    try {
      if (row.phase === 'target') {
        const options: QueueDeliveryOptions = {};
        if (row.target_arn.endsWith('.fifo')) {
          if (row.message_group_id) options.messageGroupId = row.message_group_id;
          // The delivery id is stable across retries, so a retry after a crash is deduplicated by a FIFO queue.
          options.messageDeduplicationId = row.id;
        }
        await queues.deliverToQueueArn(row.target_arn, row.body, options);
      } else {
        const options: QueueDeliveryOptions = { messageAttributes: JSON.parse(row.dead_letter_attributes ?? '{}') as MessageAttributes };
        await queues.deliverToQueueArn(row.dead_letter_arn!, row.event, options);
      }
    } catch (err) {
      await this.failed(row, err);
      return false;
    }
    return true;
  }

  private backoff(attempts: number): number {
    // Whole milliseconds: the column is a bigint, and PostgreSQL refuses a fraction.
    return Math.floor(backoffMs(attempts - 1, { baseMs: this.timing.retryBaseDelayMs, maxMs: this.timing.retryMaxDelayMs, jitter: true }));
  }

  private async failed(row: DeliveryRow, err: unknown): Promise<void> {
    const { db, log } = this.deps;
    const code = err instanceof AwsError ? err.code : ((err as { code?: string } | null)?.code ?? 'InternalException');
    const message = err instanceof Error ? err.message : String(err);
    const attempts = num(row.attempts) + 1;
    const now = this.deps.now();
    const deadline = num(row.deadline_ms);
    const exhausted = attempts > num(row.max_retries) ? 'MaximumRetryAttempts' : now >= deadline ? 'MaximumEventAgeInSeconds' : undefined;
    const context = { eventId: row.event_id, ruleArn: row.rule_arn, targetArn: row.target_arn, attempts, errorCode: code, errorMessage: message };

    if (!exhausted) {
      await db
        .updateTable('eb_deliveries')
        .set({
          attempts,
          next_attempt_ms: Math.min(deadline, now + this.backoff(attempts)),
          lease_until_ms: 0,
          last_error_code: code,
          last_error_message: message,
        })
        .where('id', '=', row.id)
        .execute();
      log.warn({ ...context, phase: row.phase }, 'EventBridge delivery failed; will retry');
      return;
    }

    if (row.phase === 'target' && row.dead_letter_arn) {
      const attributes: MessageAttributes = {
        ERROR_CODE: { DataType: 'String', StringValue: code },
        ERROR_MESSAGE: { DataType: 'String', StringValue: message },
        EXHAUSTED_RETRY_CONDITION: { DataType: 'String', StringValue: exhausted },
        RETRY_ATTEMPTS: { DataType: 'Number', StringValue: String(attempts - 1) },
        RULE_ARN: { DataType: 'String', StringValue: row.rule_arn },
        TARGET_ARN: { DataType: 'String', StringValue: row.target_arn },
      };
      await db
        .updateTable('eb_deliveries')
        .set({
          phase: 'dead-letter',
          attempts: 0,
          max_retries: DEFAULT_MAX_RETRY_ATTEMPTS,
          deadline_ms: now + DEFAULT_MAX_EVENT_AGE_SECONDS * 1000,
          next_attempt_ms: now,
          lease_until_ms: 0,
          last_error_code: code,
          last_error_message: message,
          dead_letter_attributes: JSON.stringify(attributes),
        })
        .where('id', '=', row.id)
        .execute();
      log.warn({ ...context, deadLetterArn: row.dead_letter_arn, exhausted }, 'EventBridge retries exhausted; sending the event to the dead-letter queue');
      this.wake();
      return;
    }

    await db.deleteFrom('eb_deliveries').where('id', '=', row.id).execute();
    if (row.phase === 'target') {
      log.error({ ...context, exhausted }, 'EventBridge retries exhausted and the target has no dead-letter queue: event dropped');
    } else {
      log.error({ ...context, deadLetterArn: row.dead_letter_arn, exhausted }, 'EventBridge could not send the event to its dead-letter queue: event dropped');
    }
  }
}
