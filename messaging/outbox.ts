import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { serializeCarrier, traceCarrier } from '../observability/propagation.ts';
import type { DomainEvent } from './event-publisher.ts';
import type { OutboxRow, OutboxTables } from './outbox-schema.ts';
import type { Priority } from './queue-publisher.ts';

export interface QueueMessageDraft {
  queue: string;
  body: string;
  eventType: string;
  priority?: Priority;
  attributes?: Record<string, string>;
}

let lastSeq = 0n;
/** Process-local monotonic sequence (microsecond clock, bumped on ties): the relay's publishing order. */
function nextSeq(): bigint {
  const now = BigInt(Date.now()) * 1000n;
  lastSeq = now > lastSeq ? now : lastSeq + 1n;
  return lastSeq;
}

/**
 * How long rows written for a hand-over (`handOff`) are reserved for the
 * relay of the process that wrote them, which publishes them from memory
 * right after the commit. Only if that process dies do others claim them.
 */
export const HAND_OFF_LEASE_MS = 10_000;

/**
 * Writes messages to the outbox inside the caller's transaction: they are
 * published if and only if the state change that caused them commits.
 * Returns the rows; their ids travel as the messages' `message_id`. The
 * active trace context is stored with each row, so the relay publishes them
 * in the trace of the request (or message) that caused them.
 *
 * With `handOff`, the caller hands the rows to its relay once the
 * transaction committed (`OutboxRelay.handOff`), which publishes them at once
 * without claiming them first: they are born leased to it.
 */
export async function addToOutbox(
  trx: Transaction<any> | Kysely<any>,
  items: Array<{ queueMessage: QueueMessageDraft } | { event: DomainEvent; bus: string }>,
  nowIso = new Date().toISOString(),
  options: { handOff?: boolean } = {},
): Promise<OutboxRow[]> {
  if (items.length === 0) return [];
  // Only written when there is a trace, so an outbox migrated before the column existed still works untraced.
  const traced = serializeCarrier(traceCarrier());
  const trace_context = traced ? { trace_context: traced } : {};
  const next_attempt_at = options.handOff ? new Date(Date.parse(nowIso) + HAND_OFF_LEASE_MS).toISOString() : nowIso;
  const rows: OutboxRow[] = items.map((item) => {
    const id = randomUUID();
    if ('queueMessage' in item) {
      const { queue, ...payload } = item.queueMessage;
      return { id, seq: nextSeq(), kind: 'queue' as const, destination: queue, payload: JSON.stringify(payload), created_at: nowIso, next_attempt_at, attempts: 0n, sent_at: null, last_error: null, trace_context: traced ?? null };
    }
    const { time, ...event } = item.event;
    return {
      id,
      seq: nextSeq(),
      kind: 'event' as const,
      destination: item.bus,
      payload: JSON.stringify({ ...event, time: (time ?? new Date(nowIso)).toISOString() }),
      created_at: nowIso,
      next_attempt_at,
      attempts: 0n,
      sent_at: null,
      last_error: null,
      trace_context: traced ?? null,
    };
  });
  await (trx as Kysely<OutboxTables>)
    .insertInto('outbox')
    .values(rows.map(({ trace_context: _, ...row }) => ({ ...row, ...trace_context })))
    .execute();
  return rows;
}
