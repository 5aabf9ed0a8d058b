import type { SqsDeps } from './context.ts';
import { unblockGroup } from './messages.ts';
import { advanceMoveTasks } from './move-tasks.ts';
import type { Tx } from './store.ts';

/** Expired messages deleted per queue per round, so one round never holds the store for long. */
const EXPIRY_BATCH = 1000;
const DELETED_QUEUE_MEMORY_MS = 60_000;

export interface HousekeepingTiming {
  /** Rounds when no move task runs. Default 1000 ms. */
  intervalMs: number;
  /** Rounds while a move task runs, so MaxNumberOfMessagesPerSecond is followed closely. Default 100 ms. */
  moveTaskIntervalMs: number;
}

export const DEFAULT_HOUSEKEEPING: HousekeepingTiming = { intervalMs: 1000, moveTaskIntervalMs: 100 };

/** Drops messages past their queue's MessageRetentionPeriod; a FIFO group behind them moves up. */
async function expireMessages(tx: Tx, deps: SqsDeps): Promise<number> {
  let expired = 0;
  for (const queue of deps.registry.all()) {
    const rows = await tx.sql.all<{ group_id: string | null }>(
      'DELETE FROM sqs_messages WHERE id IN (SELECT id FROM sqs_messages WHERE queue_id = ? AND sent_ms < ? LIMIT ?) RETURNING group_id',
      [queue.id, tx.now - queue.settings.retentionSeconds * 1000, EXPIRY_BATCH],
    );
    expired += rows.length;
    if (queue.fifo) {
      for (const group of new Set(rows.map((r) => r.group_id))) if (group !== null) await unblockGroup(tx, deps, queue, group);
    }
  }
  return expired;
}

/**
 * The SQS half's background work: retention expiry, the end of FIFO
 * deduplication and receive-attempt windows, the 60 s memory of deleted
 * queue names, and message move tasks. Each round is one unit of work in the
 * store.
 */
export class Housekeeping {
  private readonly deps: SqsDeps;
  private readonly timing: HousekeepingTiming;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private running = false;

  constructor(deps: SqsDeps, timing: HousekeepingTiming) {
    this.deps = deps;
    this.timing = timing;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.round;
  }

  /** Asks for a round soon (e.g. a move task just started). */
  poke(): void {
    if (!this.running || this.round) return;
    clearTimeout(this.timer);
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.round = this.runRound().then((busy) => {
        this.round = undefined;
        if (this.running) this.schedule(busy ? this.timing.moveTaskIntervalMs : this.timing.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async runRound(): Promise<boolean> {
    try {
      return await this.deps.store.run(async (tx) => {
        const expired = await expireMessages(tx, this.deps);
        if (expired > 0) this.deps.log.info({ expired }, 'deleted messages past their retention period');
        await tx.sql.run('DELETE FROM sqs_deduplication WHERE expires_ms <= ?', [tx.now]);
        await tx.sql.run('DELETE FROM sqs_receive_attempts WHERE expires_ms <= ?', [tx.now]);
        await tx.sql.run('DELETE FROM sqs_deleted_queues WHERE deleted_ms <= ?', [tx.now - DELETED_QUEUE_MEMORY_MS]);
        return advanceMoveTasks(tx, this.deps);
        // Undone by a crash, a round only leaves messages where they were (expired ones, or a move's in its DLQ): run again later.
      }, { durable: false });
    } catch (err) {
      this.deps.log.error({ err }, 'SQS housekeeping round failed; retrying at the next');
      return false;
    }
  }
}
