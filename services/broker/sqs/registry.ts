import { settingsOf, type QueueSettings } from './queue-attributes.ts';
import type { Sql } from './store.ts';

export interface Queue {
  readonly id: number;
  readonly name: string;
  readonly fifo: boolean;
  readonly arn: string;
  /** Settable attributes as GetQueueAttributes returns them. */
  readonly attributes: Record<string, string>;
  readonly tags: Record<string, string>;
  readonly createdMs: number;
  readonly modifiedMs: number;
  readonly lastPurgeMs: number | null;
  readonly settings: QueueSettings;
}

interface QueueRow {
  id: number | bigint;
  name: string;
  fifo: number | bigint;
  attributes: string;
  tags: string;
  created_ms: number | bigint;
  modified_ms: number | bigint;
  last_purge_ms: number | bigint | null;
}

/**
 * Every queue's definition, in memory: each request resolves its queue and
 * settings without a query. All changes go through the broker's one store,
 * which updates this map inside the same unit of work and reloads it after a
 * rollback, so it never disagrees with the database. One broker process owns
 * a database.
 */
export class QueueRegistry {
  private readonly byName = new Map<string, Queue>();
  private readonly byId = new Map<number, Queue>();
  private readonly region: string;
  private readonly accountId: string;

  constructor(region: string, accountId: string) {
    this.region = region;
    this.accountId = accountId;
  }

  arnOf(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${name}`;
  }

  /** The queue name in an SQS ARN of this account and Region, if it is one. */
  nameFromArn(arn: string): string | undefined {
    const prefix = `arn:aws:sqs:${this.region}:${this.accountId}:`;
    return arn.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
  }

  async load(sql: Sql): Promise<void> {
    const rows = await sql.all<QueueRow>('SELECT * FROM sqs_queues');
    this.byName.clear();
    this.byId.clear();
    for (const row of rows) this.put(this.fromRow(row));
  }

  get(name: string): Queue | undefined {
    return this.byName.get(name);
  }

  getById(id: number): Queue | undefined {
    return this.byId.get(id);
  }

  getByArn(arn: string): Queue | undefined {
    const name = this.nameFromArn(arn);
    return name === undefined ? undefined : this.byName.get(name);
  }

  all(): Queue[] {
    return [...this.byName.values()];
  }

  put(queue: Queue): void {
    this.byName.set(queue.name, queue);
    this.byId.set(queue.id, queue);
  }

  remove(queue: Queue): void {
    this.byName.delete(queue.name);
    this.byId.delete(queue.id);
  }

  fromRow(row: QueueRow): Queue {
    const attributes = JSON.parse(row.attributes) as Record<string, string>;
    return {
      id: Number(row.id),
      name: row.name,
      fifo: Number(row.fifo) === 1,
      arn: this.arnOf(row.name),
      attributes,
      tags: JSON.parse(row.tags) as Record<string, string>,
      createdMs: Number(row.created_ms),
      modifiedMs: Number(row.modified_ms),
      lastPurgeMs: row.last_purge_ms === null ? null : Number(row.last_purge_ms),
      settings: settingsOf(attributes),
    };
  }

  with(queue: Queue, changes: Partial<Pick<Queue, 'attributes' | 'tags' | 'modifiedMs' | 'lastPurgeMs'>>): Queue {
    const attributes = changes.attributes ?? queue.attributes;
    return { ...queue, ...changes, attributes, settings: settingsOf(attributes) };
  }
}
