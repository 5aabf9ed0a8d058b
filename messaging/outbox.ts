import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { serializeCarrier, traceCarrier } from '../observability/propagation.ts';
import type { DomainEvent } from './event-publisher.ts';
import type { OutboxTables } from './outbox-schema.ts';
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
 * Writes messages to the outbox inside the caller's transaction: they are
 * published if and only if the state change that caused them commits.
 * Returns the outbox ids, which travel as the messages' `message_id`. The
 * active trace context is stored with each row, so the relay publishes them
 * in the trace of the request (or message) that caused them.
 */
export async function addToOutbox(
  trx: Transaction<any> | Kysely<any>,
  items: Array<{ queueMessage: QueueMessageDraft } | { event: DomainEvent; bus: string }>,
  nowIso = new Date().toISOString(),
): Promise<string[]> {
  if (items.length === 0) return [];
  // Only written when there is a trace, so an outbox migrated before the column existed still works untraced.
  const traced = serializeCarrier(traceCarrier());
  const trace_context = traced ? { trace_context: traced } : {};
  const rows = items.map((item) => {
    const id = randomUUID();
    if ('queueMessage' in item) {
      const { queue, ...payload } = item.queueMessage;
      return { id, seq: nextSeq(), kind: 'queue' as const, destination: queue, payload: JSON.stringify(payload), created_at: nowIso, next_attempt_at: nowIso, attempts: 0n, sent_at: null, last_error: null, ...trace_context };
    }
    const { time, ...event } = item.event;
    return {
      id,
      seq: nextSeq(),
      kind: 'event' as const,
      destination: item.bus,
      payload: JSON.stringify({ ...event, time: (time ?? new Date(nowIso)).toISOString() }),
      created_at: nowIso,
      next_attempt_at: nowIso,
      attempts: 0n,
      sent_at: null,
      last_error: null,
      ...trace_context,
    };
  });
  await (trx as Kysely<OutboxTables>).insertInto('outbox').values(rows).execute();
  return rows.map((r) => r.id);
}
