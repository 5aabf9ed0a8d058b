import { createHash } from 'node:crypto';
import type { Kysely, Migration, Transaction } from 'kysely';
import { outboxInboxMigration, type OutboxTables } from '../../messaging/outbox-schema.ts';
import { inTransaction } from '../../storage/transaction.ts';

/**
 * The audit log: append-only records, each carrying the hash of the one
 * before it, so changing, removing or reordering any record breaks every
 * hash after it. `verifyChain` recomputes the chain from the first record.
 */
export interface AuditRecordRow {
  seq: bigint;
  event_id: string;
  source: string;
  detail_type: string;
  /** Who caused it, when known (a user or operator id). */
  actor: string | null;
  payload: string;
  occurred_at: string;
  recorded_at: string;
  prev_hash: string;
  hash: string;
}

export interface AuditSchema extends OutboxTables {
  audit_records: AuditRecordRow;
  audit_head: { id: bigint; seq: bigint; hash: string };
}

export const GENESIS_HASH = '0'.repeat(64);

const auditLog: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('audit_records')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull().unique())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('detail_type', 'text', (c) => c.notNull())
      .addColumn('actor', 'text')
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    // One row holding the chain's head: appending locks it, so concurrent writers queue up.
    await db.schema
      .createTable('audit_head')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await db.insertInto('audit_head').values({ id: 1n, seq: 0n, hash: GENESIS_HASH }).execute();
  },
};

export const auditMigrations: Record<string, Migration> = {
  '0001_outbox_inbox': outboxInboxMigration,
  '0002_audit_log': auditLog,
};

export interface AuditEntry {
  eventId: string;
  source: string;
  detailType: string;
  actor?: string;
  payload: unknown;
  occurredAt: string;
}

export function recordHash(prevHash: string, r: { seq: bigint; event_id: string; source: string; detail_type: string; actor: string | null; payload: string; occurred_at: string; recorded_at: string }): string {
  return createHash('sha256')
    .update(JSON.stringify([prevHash, r.seq.toString(), r.event_id, r.source, r.detail_type, r.actor, r.payload, r.occurred_at, r.recorded_at]))
    .digest('hex');
}

/** Appends one entry unless an entry with its event id is already in the log. Returns whether it was appended. */
export async function appendAuditRecord(db: Kysely<AuditSchema>, entry: AuditEntry, dialect: 'sqlite' | 'postgres'): Promise<boolean> {
  return inTransaction(db, (trx) => appendToChain(trx, entry, dialect));
}

/** One entry onto the chain inside the caller's transaction, unless its event id is already there (the log is its own inbox). */
export async function appendToChain(trx: Transaction<AuditSchema>, entry: AuditEntry, dialect: 'sqlite' | 'postgres'): Promise<boolean> {
  const duplicate = await trx.selectFrom('audit_records').select('seq').where('event_id', '=', entry.eventId).executeTakeFirst();
  if (duplicate) return false;
  const head = await trx
    .selectFrom('audit_head')
    .selectAll()
    .where('id', '=', 1n)
    .$if(dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirstOrThrow();
  const row = {
    seq: BigInt(head.seq) + 1n,
    event_id: entry.eventId,
    source: entry.source,
    detail_type: entry.detailType,
    actor: entry.actor ?? null,
    payload: JSON.stringify(entry.payload),
    occurred_at: entry.occurredAt,
    recorded_at: new Date().toISOString(),
    prev_hash: head.hash,
  };
  const hash = recordHash(head.hash, row);
  await trx.insertInto('audit_records').values({ ...row, hash }).execute();
  await trx.updateTable('audit_head').set({ seq: row.seq, hash }).where('id', '=', 1n).execute();
  return true;
}

export interface ChainVerdict {
  ok: boolean;
  records: number;
  /** The first record whose hash or link does not hold, if any. */
  brokenAt?: bigint;
  problem?: string;
}

/** Recomputes every hash in order, in pages, and checks the head matches the last record. */
export async function verifyChain(db: Kysely<AuditSchema>): Promise<ChainVerdict> {
  let prev = GENESIS_HASH;
  let expectedSeq = 1n;
  let count = 0;
  for (;;) {
    const page = await db.selectFrom('audit_records').selectAll().where('seq', '>=', expectedSeq).orderBy('seq').limit(1000).execute();
    if (page.length === 0) break;
    for (const r of page) {
      const seq = BigInt(r.seq);
      if (seq !== expectedSeq) return { ok: false, records: count, brokenAt: expectedSeq, problem: `record ${expectedSeq} is missing` };
      if (r.prev_hash !== prev) return { ok: false, records: count, brokenAt: seq, problem: `record ${seq} does not link to the record before it` };
      if (recordHash(prev, { ...r, seq }) !== r.hash) return { ok: false, records: count, brokenAt: seq, problem: `record ${seq} was altered` };
      prev = r.hash;
      expectedSeq++;
      count++;
    }
  }
  const head = await db.selectFrom('audit_head').selectAll().where('id', '=', 1n).executeTakeFirst();
  if (!head || BigInt(head.seq) !== BigInt(count) || head.hash !== prev) {
    return { ok: false, records: count, brokenAt: BigInt(count), problem: 'the chain head does not match the last record (records were removed from the end)' };
  }
  return { ok: true, records: count };
}
