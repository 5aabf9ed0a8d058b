import type { Kysely, Migration } from 'kysely';

/**
 * What a DLQ handler parked: SQS can only show a message by receiving it, and
 * a parked message stays in flight (invisible) for about 12 hours, so no one
 * could browse it. The handler writes down, as it parks, everything an
 * operator needs: the body and attributes to show and redrive, why it was
 * parked, and the receipt handle of that receive, which stays valid as long as
 * the message is in flight and lets the owning service redrive or delete it
 * on real SQS as on the embedded broker. When the message becomes visible
 * again and is parked anew, its row is updated with the new receipt handle.
 */
export interface ParkedMessageRow {
  /** The dead-letter queue it sits in. */
  queue: string;
  /** SQS's MessageId (what receipt handles belong to). */
  message_id: string;
  /** Where a redrive sends it. */
  source_queue: string;
  event_type: string | null;
  body: string;
  /** JSON: the message attributes as SQS returned them (name → {DataType, StringValue}). */
  attributes: string;
  receive_count: bigint;
  /** Redrives the DLQ handler made before giving up on it. */
  redrives: bigint;
  reason: string;
  receipt_handle: string;
  /** When it was first sent (SentTimestamp), ISO. */
  sent_at: string | null;
  parked_at: string;
  /** When it becomes visible again, if no one acts on it. */
  parked_until: string;
}

export interface ParkedMessageTables {
  parked_messages: ParkedMessageRow;
}

export const parkedMessagesMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('parked_messages')
      .addColumn('queue', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('source_queue', 'text', (c) => c.notNull())
      .addColumn('event_type', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('attributes', 'text', (c) => c.notNull())
      .addColumn('receive_count', 'bigint', (c) => c.notNull())
      .addColumn('redrives', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('receipt_handle', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'text')
      .addColumn('parked_at', 'text', (c) => c.notNull())
      .addColumn('parked_until', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('parked_messages_pk', ['queue', 'message_id'])
      .execute();
  },
};

export type ParkedMessage = Omit<ParkedMessageRow, 'receive_count' | 'redrives'> & { receive_count: number; redrives: number };

const fromRow = (row: ParkedMessageRow): ParkedMessage => ({ ...row, receive_count: Number(row.receive_count), redrives: Number(row.redrives) });

/** The parked-message records of one service's database. */
export class ParkedMessages {
  private readonly db: Kysely<ParkedMessageTables>;

  constructor(db: Kysely<ParkedMessageTables>) {
    this.db = db;
  }

  /** Records a message as parked, or refreshes the record of one parked again (new receipt handle). */
  async record(message: ParkedMessage): Promise<void> {
    const row = { ...message, receive_count: BigInt(message.receive_count), redrives: BigInt(message.redrives) };
    const { queue: _queue, message_id: _id, ...changes } = row;
    await this.db
      .insertInto('parked_messages')
      .values(row)
      .onConflict((oc) => oc.columns(['queue', 'message_id']).doUpdateSet(changes))
      .execute();
  }

  /** Oldest first; every queue unless one is named. */
  async list(queue?: string, limit = 500): Promise<ParkedMessage[]> {
    const rows = await this.db
      .selectFrom('parked_messages')
      .selectAll()
      .$if(queue !== undefined, (q) => q.where('queue', '=', queue!))
      .orderBy('parked_at')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  async get(queue: string, messageId: string): Promise<ParkedMessage | undefined> {
    const row = await this.db.selectFrom('parked_messages').selectAll().where('queue', '=', queue).where('message_id', '=', messageId).executeTakeFirst();
    return row && fromRow(row);
  }

  async forget(queue: string, messageId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('parked_messages').where('queue', '=', queue).where('message_id', '=', messageId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Per queue: how many are parked and since when the oldest was sent (or parked). */
  async summary(): Promise<Array<{ queue: string; parked: number; oldest: string | null }>> {
    const rows = await this.db
      .selectFrom('parked_messages')
      .select((eb) => ['queue', eb.fn.countAll<number | bigint>().as('parked'), eb.fn.min('parked_at').as('oldest_parked'), eb.fn.min('sent_at').as('oldest_sent')])
      .groupBy('queue')
      .execute();
    return rows.map((r) => ({ queue: r.queue, parked: Number(r.parked), oldest: (r.oldest_sent as string | null) ?? (r.oldest_parked as string | null) }));
  }
}
