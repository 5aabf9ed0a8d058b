import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { inTransaction } from '../../storage/transaction.ts';
import type { AuditSchema } from './schema.ts';

/**
 * The audit log: append-only records, each carrying the hash of the one
 * before it, so changing, removing or reordering any record breaks every
 * hash after it. `verifyChain` recomputes the chain from the first record.
 */
export const GENESIS_HASH = '0'.repeat(64);

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

/**
 * The chain's head as the caller's transaction last left it: a received batch
 * is chained in one transaction, and only its first entry needs to read (and
 * on PostgreSQL lock) the head row. A transaction that fails is thrown away
 * with its entry here.
 */
const headInTransaction = new WeakMap<object, { seq: bigint; hash: string }>();

/** One entry onto the chain inside the caller's transaction, unless its event id is already there (the log is its own inbox). */
export async function appendToChain(trx: Transaction<AuditSchema>, entry: AuditEntry, dialect: 'sqlite' | 'postgres'): Promise<boolean> {
  let head = headInTransaction.get(trx);
  if (!head) {
    const row = await trx
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1n)
      .$if(dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirstOrThrow();
    head = { seq: BigInt(row.seq), hash: row.hash };
  }
  const row = {
    seq: head.seq + 1n,
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
  // The unique event id makes a redelivered entry a no-op in the same statement that appends a new one.
  const appended = await trx
    .insertInto('audit_records')
    .values({ ...row, hash })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .returning('seq')
    .executeTakeFirst();
  headInTransaction.set(trx, appended ? { seq: row.seq, hash } : head);
  if (!appended) return false;
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
