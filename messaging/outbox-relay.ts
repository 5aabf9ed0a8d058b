import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { backoffMs } from '../core/backoff.ts';
import { addReadinessCheck, removeReadinessCheck } from '../observability/health.ts';
import { gauge, counter } from '../observability/metrics.ts';
import { parseCarrier } from '../observability/propagation.ts';
import { detached } from '../observability/tracing.ts';
import type { Database } from '../storage/database.ts';
import { withoutWaitingForDisk } from '../storage/transaction.ts';
import { EventPublisher, type DomainEvent } from './event-publisher.ts';
import type { OutboxRow, OutboxTables } from './outbox-schema.ts';
import type { OutgoingMessage, QueuePublisher } from './queue-publisher.ts';

export interface OutboxRelayOptions {
  database: Database<any>;
  queues: QueuePublisher;
  eventBridge: EventBridgeClient;
  log: Logger;
  /** Service name, for metrics. */
  service: string;
  batchSize?: number;
  pollIntervalMs?: number;
  /** How long a claimed row is reserved for this relay before another may take it. */
  leaseSeconds?: number;
}

const published = counter('outbox_published_total', 'Outbox rows published', ['service', 'kind']);
const failures = counter('outbox_publish_failures_total', 'Outbox rows that failed to publish and will be retried', ['service', 'kind']);
const oldestUnsent = gauge('outbox_oldest_unsent_age_seconds', 'Age of the oldest unpublished outbox row (outbox lag)', ['service']);
const pending = gauge('outbox_pending', 'Outbox rows not yet published', ['service']);

/**
 * Publishes the outbox, two ways:
 * - Handed over (`handOff`): rows this process wrote for the hand-over are
 *   born leased to it (addToOutbox), and published from memory right after
 *   the commit that wrote them, with no claim first; rows handed over while
 *   a publish is under way go together in the next, in the order they were
 *   written. Their "sent" marks are written afterwards, off that path.
 * - Polled: claims a batch of unsent rows whose lease is over (pushing their
 *   next attempt out by a lease, so another relay replica skips them): rows
 *   of a process that died, rows whose publish failed, rows written without
 *   a hand-over.
 * Either way rows go out with SendMessageBatch / PutEvents in tens and are
 * marked sent. A crash after sending and before marking re-sends after the
 * lease; consumers' inboxes drop the duplicate. Failed rows retry with
 * backoff, never dropped.
 */
export class OutboxRelay {
  private readonly options: OutboxRelayOptions;
  private readonly db: Kysely<OutboxTables>;
  private readonly publishers = new Map<string, EventPublisher>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** Rows handed over and not yet published, in the order they were written. */
  private handedOver: OutboxRow[] = [];
  private publishingHandedOver: Promise<void> | undefined;
  /** Ids published from the hand-over whose "sent" mark is not written yet. */
  private unmarked: string[] = [];
  private marking: Promise<void> | undefined;

  constructor(options: OutboxRelayOptions) {
    this.options = options;
    this.db = options.database.db as Kysely<OutboxTables>;
  }

  start(): void {
    this.stopped = false;
    // Reported in /readyz, not required: the outbox exists so this service keeps working while the broker is away.
    addReadinessCheck({ name: 'outbox', required: false, check: () => this.lagReport() });
    this.schedule(0);
  }

  async stop(): Promise<void> {
    removeReadinessCheck('outbox');
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    // Rows handed over and not published yet stay in the outbox, leased to no one after their lease: the next relay sends them.
    this.handedOver = [];
    await this.publishingHandedOver;
    await this.marking;
  }

  /**
   * Publishes rows this process wrote with `handOff` (addToOutbox), once the
   * transaction that wrote them committed: at once, without claiming them.
   */
  handOff(rows: OutboxRow[]): void {
    if (this.stopped || rows.length === 0) return;
    this.handedOver.push(...rows);
    this.publishingHandedOver ??= detached(() => this.publishHandedOver()).finally(() => (this.publishingHandedOver = undefined));
  }

  private async publishHandedOver(): Promise<void> {
    // One turn first: rows of commits that finish together share the requests.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.handedOver.length > 0 && !this.stopped) {
      const rows = this.handedOver.splice(0, this.options.batchSize ?? 100);
      try {
        const { sentIds, failed } = await this.publish(rows);
        this.unmarked.push(...sentIds);
        this.marking ??= this.markHandedOver().finally(() => (this.marking = undefined));
        await this.markFailed(failed);
      } catch (err) {
        // Left in the outbox: the poll takes them when their lease ends.
        this.options.log.error({ err }, 'outbox hand-over failed; the rows go out with the next poll after their lease');
      }
    }
  }

  /** The "sent" marks of published hand-overs, many per statement, after the fact: a lost mark only publishes again. */
  private async markHandedOver(): Promise<void> {
    while (this.unmarked.length > 0) {
      const ids = this.unmarked.splice(0, 500);
      try {
        await this.markSent(ids);
      } catch (err) {
        this.options.log.warn({ err, rows: ids.length }, 'could not mark published outbox rows sent; they will be published again after their lease');
      }
    }
  }

  /** Publishes what is due, batch after batch, until nothing is left; returns how many rows were sent. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const sent = await this.relayOnce();
      total += sent.sent;
      if (sent.claimed === 0) return total;
    }
  }

  /** Claims and publishes one batch. */
  async relayOnce(): Promise<{ claimed: number; sent: number }> {
    const now = new Date();
    const rows = await this.claim(now);
    if (rows.length === 0) {
      await this.updateLagMetrics(now);
      return { claimed: 0, sent: 0 };
    }
    const { sentIds, failed } = await this.publish(rows);
    await this.markSent(sentIds);
    await this.markFailed(failed);
    return { claimed: rows.length, sent: sentIds.length };
  }

  /**
   * Sends rows grouped by destination, each destination's rows in order and
   * the destinations at once (no order holds between a queue and the bus);
   * reports which went out and which failed (and why).
   */
  private async publish(rows: OutboxRow[]): Promise<{ sentIds: string[]; failed: Array<{ row: OutboxRow; error: string }> }> {
    const sentIds: string[] = [];
    const failed: Array<{ row: OutboxRow; error: string }> = [];
    const toQueues = [...groupBy(rows.filter((r) => r.kind === 'queue'), (r) => r.destination)].map(async ([destination, group]) => {
      try {
        const result = await this.options.queues.sendBatch(destination, group.map(toOutgoing));
        sentIds.push(...result.sent);
        for (const f of result.failed) failed.push({ row: group.find((r) => r.id === f.messageId)!, error: `${f.code}: ${f.message}` });
      } catch (err) {
        for (const row of group) failed.push({ row, error: errorText(err) });
      }
    });
    const toBuses = [...groupBy(rows.filter((r) => r.kind === 'event'), (r) => r.destination)].map(async ([bus, group]) => {
      try {
        const result = await this.publisher(bus).publish(group.map(toEvent));
        result.eventIds.forEach((eventId, index) => eventId && sentIds.push(group[index]!.id));
        for (const f of result.failed) failed.push({ row: group[f.index]!, error: `${f.code}: ${f.message}` });
      } catch (err) {
        for (const row of group) failed.push({ row, error: errorText(err) });
      }
    });
    await Promise.all([...toQueues, ...toBuses]);

    const sent = new Set(sentIds);
    for (const row of rows) if (sent.has(row.id)) published.inc({ service: this.options.service, kind: row.kind });
    for (const f of failed) failures.inc({ service: this.options.service, kind: f.row.kind });
    if (failed.length > 0) {
      this.options.log.warn({ failed: failed.length, error: failed[0]!.error }, 'outbox rows failed to publish; will retry');
    }
    return { sentIds, failed };
  }

  private async claim(now: Date): Promise<OutboxRow[]> {
    const nowIso = now.toISOString();
    const leaseUntil = new Date(now.getTime() + (this.options.leaseSeconds ?? 30) * 1000).toISOString();
    const limit = this.options.batchSize ?? 100;
    // One statement claims the batch on both databases; on PostgreSQL SKIP LOCKED lets replicas share the work.
    const skipLocked = this.options.database.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    // A lease lost in a crash costs nothing (the rows are claimed again), so the claim does not wait for the disk.
    const result = await withoutWaitingForDisk(this.options.database, (db) =>
      sql<OutboxRow>`
        update outbox set next_attempt_at = ${leaseUntil}
        where id in (
          select id from outbox
          where sent_at is null and next_attempt_at <= ${nowIso}
          order by seq limit ${limit} ${skipLocked}
        )
        returning *`.execute(db),
    );
    return result.rows.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
  }

  private async markSent(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    // A mark lost in a crash only sends the rows again, and the consumers' inboxes drop the duplicates.
    await withoutWaitingForDisk(this.options.database, (db: Kysely<OutboxTables>) =>
      db.updateTable('outbox').set({ sent_at: new Date().toISOString(), last_error: null }).where('id', 'in', ids).execute(),
    );
  }

  private async markFailed(failed: Array<{ row: OutboxRow; error: string }>): Promise<void> {
    for (const { row, error } of failed) {
      const attempts = Number(row.attempts) + 1;
      const delayMs = backoffMs(attempts, { baseMs: 100, maxMs: 60_000 });
      await this.db
        .updateTable('outbox')
        .set({ attempts: BigInt(attempts), last_error: error.slice(0, 1000), next_attempt_at: new Date(Date.now() + delayMs).toISOString() })
        .where('id', '=', row.id)
        .execute();
    }
  }

  private async lagReport(): Promise<string> {
    const row = await this.db
      .selectFrom('outbox')
      .select([(eb) => eb.fn.min('created_at').as('oldest'), (eb) => eb.fn.countAll<bigint>().as('n')])
      .where('sent_at', 'is', null)
      .executeTakeFirst();
    const lagSeconds = row?.oldest ? Math.max(0, (Date.now() - Date.parse(String(row.oldest))) / 1000) : 0;
    const report = `${Number(row?.n ?? 0)} unsent, oldest ${lagSeconds.toFixed(1)} s`;
    if (lagSeconds > 60) throw new Error(`broker not taking messages: ${report}`);
    return report;
  }

  private async updateLagMetrics(now: Date): Promise<void> {
    const row = await this.db
      .selectFrom('outbox')
      .select([(eb) => eb.fn.min('created_at').as('oldest'), (eb) => eb.fn.countAll<bigint>().as('n')])
      .where('sent_at', 'is', null)
      .executeTakeFirst();
    pending.set({ service: this.options.service }, Number(row?.n ?? 0));
    const oldest = row?.oldest ? (now.getTime() - Date.parse(String(row.oldest))) / 1000 : 0;
    oldestUnsent.set({ service: this.options.service }, Math.max(0, oldest));
  }

  private publisher(bus: string): EventPublisher {
    let publisher = this.publishers.get(bus);
    if (!publisher) {
      publisher = new EventPublisher(this.options.eventBridge, bus);
      this.publishers.set(bus, publisher);
    }
    return publisher;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    // Detached: the relay publishes each row in the trace stored with it, not in that of whoever woke it.
    this.timer = setTimeout(() => detached(() => {
      this.running = this.drain()
        .then(() => undefined)
        .catch((err) => this.options.log.error({ err }, 'outbox relay failed'))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.schedule(this.options.pollIntervalMs ?? 500);
        });
    }), delayMs);
  }
}

function toOutgoing(row: OutboxRow): OutgoingMessage {
  const payload = JSON.parse(row.payload) as Omit<OutgoingMessage, 'messageId'>;
  return { ...payload, messageId: row.id, traceContext: parseCarrier(row.trace_context) };
}

function toEvent(row: OutboxRow): DomainEvent {
  const payload = JSON.parse(row.payload) as Omit<DomainEvent, 'time'> & { time: string };
  // The outbox id rides in the detail so consumers can dedupe a re-published event,
  // which EventBridge gives a new envelope id.
  return {
    ...payload,
    time: new Date(payload.time),
    detail: { ...payload.detail, event_id: payload.detail.event_id ?? row.id },
    traceContext: parseCarrier(row.trace_context),
  };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}
