import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { AwsError } from '../aws-error.ts';
import type { QueueMessageRequest } from '../ports.ts';
import type { Sql } from '../sqs/store.ts';
import { busNameFrom, readTimestamp, ruleArn, validation, type Deps, type Input } from './common.ts';
import type { MessageAttributes } from './delivery.ts';
import { expandDottedKeys, jsonShape } from './dotted-keys.ts';
import { renderTargetInput } from './input-transform.ts';
import { matchableEvent, matchesPreparedEvent } from './pattern.ts';
import type { RuleRoute } from './routing-table.ts';
import type { ArchiveEventRow, DeliveryRow, EventBridgeSchema } from './schema.ts';
import { DEFAULT_MAX_EVENT_AGE_SECONDS, DEFAULT_MAX_RETRY_ATTEMPTS, type TargetSpec } from './targets.ts';

/** The envelope every delivered event carries (and the SQS message body, unless the target transforms it). */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
  /** Set on events re-delivered by a replay. */
  'replay-name'?: string;
}

/**
 * The entries of one PutEvents request may total 256 KB, each counted as
 * AWS's "Calculating PutEvents event entry size" describes
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
 * Over it, AWS refuses the whole request (one oversized entry included).
 */
export const MAX_REQUEST_BYTES = 256 * 1024;
/** "PutEvents will only process nested JSON up to 1100 levels deep" (API reference, PutEvents). */
export const MAX_DETAIL_DEPTH = 1100;
const MAX_ENTRIES = 10;
const INSERT_CHUNK = 200;

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

interface PreparedEntry {
  index: number;
  bus: string;
  envelope: EventEnvelope;
  /** The envelope as patterns see it: itself unless its detail has dotted keys (dotted-keys.ts). */
  matchable: EventEnvelope;
}

/** Event times have whole seconds, as AWS's do. */
export function eventTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Time counts 14 bytes when given; Source, DetailType, Detail and each of Resources their UTF-8 bytes. */
function entrySize(raw: unknown): number {
  if (typeof raw !== 'object' || raw === null) return 0;
  const entry = raw as Record<string, unknown>;
  let size = entry.Time !== undefined && entry.Time !== null ? 14 : 0;
  if (typeof entry.Source === 'string') size += utf8(entry.Source);
  if (typeof entry.DetailType === 'string') size += utf8(entry.DetailType);
  if (typeof entry.Detail === 'string') size += utf8(entry.Detail);
  if (Array.isArray(entry.Resources)) for (const r of entry.Resources) if (typeof r === 'string') size += utf8(r);
  return size;
}

function entryFailure(code: string, message: string): { ErrorCode: string; ErrorMessage: string } {
  return { ErrorCode: code, ErrorMessage: message };
}

/** Validates one PutEvents entry into its envelope, or the error that entry alone gets. */
function prepare(deps: Deps, raw: unknown, index: number, now: number): PreparedEntry | { ErrorCode: string; ErrorMessage: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return entryFailure('InvalidArgument', 'Parameter Entries is not valid. Reason: an entry must be an object.');
  }
  const entry = raw as Record<string, unknown>;
  const { Source: source, DetailType: detailType, Detail: detailText, Resources: resources } = entry;
  if (typeof source !== 'string' || source === '') {
    return entryFailure('InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.');
  }
  if (source.length > 256) return entryFailure('InvalidArgument', 'Parameter Source is not valid. Reason: Source is longer than 256 characters.');
  if (source.startsWith('aws.')) return entryFailure('NotAuthorizedForSourceException', 'Not authorized for the source.');
  if (typeof detailType !== 'string' || detailType === '') {
    return entryFailure('InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is a required argument.');
  }
  if (detailType.length > 128) {
    return entryFailure('InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is longer than 128 characters.');
  }
  if (typeof detailText !== 'string' || detailText === '') {
    return entryFailure('InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.');
  }
  let detail: unknown;
  try {
    detail = JSON.parse(detailText);
  } catch {
    return entryFailure('MalformedDetail', 'Detail is malformed.');
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return entryFailure('MalformedDetail', 'Detail is malformed.');
  // Only a detail longer than two characters a level can nest that deep, and only one with a dot (or an
  // escape, which may spell one) can have a dotted key: most details skip the walk.
  let matchDetail = detail;
  if (detailText.length > 2 * MAX_DETAIL_DEPTH || detailText.includes('.') || detailText.includes('\\u')) {
    const shape = jsonShape(detail);
    if (shape.depth > MAX_DETAIL_DEPTH) {
      return entryFailure('MalformedDetail', `Detail is malformed. Reason: it nests deeper than ${MAX_DETAIL_DEPTH} levels, the most PutEvents processes.`);
    }
    if (shape.dottedKeys) matchDetail = expandDottedKeys(detail) as object;
  }
  if (resources !== undefined && resources !== null && (!Array.isArray(resources) || resources.some((r) => typeof r !== 'string'))) {
    return entryFailure('InvalidArgument', 'Parameter Resources is not valid. Reason: Resources must be a list of strings.');
  }
  let timeMs: number;
  let bus: string;
  try {
    timeMs = readTimestamp(entry.Time, 'Time') ?? now;
    bus = busNameFrom(entry.EventBusName);
  } catch (err) {
    return entryFailure('InvalidArgument', (err as Error).message);
  }
  const envelope: EventEnvelope = {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: deps.accountId,
    time: eventTime(timeMs),
    region: deps.region,
    resources: (resources as string[] | undefined) ?? [],
    detail: detail as Record<string, unknown>,
  };
  const matchable = matchDetail === detail ? envelope : { ...envelope, detail: matchDetail as Record<string, unknown> };
  return { index, bus, envelope, matchable };
}

/** A message for one rule target, with what a delivery row needs should the queue refuse it. */
interface TargetMessage {
  request: QueueMessageRequest;
  event: EventEnvelope;
  eventJson: string;
  bus: string;
  ruleArn: string;
  target: TargetSpec;
}

/**
 * PutEvents. Each accepted entry is matched against its bus's rules (the
 * routing table in memory), and its messages are written into the target
 * queues in one durable unit of the SQS store's group commit, the same one
 * that acknowledges the call: once PutEvents answers, the queues have the
 * events, with a single fsync shared with whatever else committed alongside.
 * Only what cannot be written at once becomes a delivery row for the worker,
 * with the target's retry policy and dead-letter queue: a target queue that is
 * missing or of another account, a message SQS refuses, an input transformer
 * that fails. Archive copies are written by a unit of their own that the
 * acknowledgement does not wait for.
 */
export async function putEvents(deps: Deps, input: Input) {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length < 1) {
    throw validation("1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
  }
  if (entries.length > MAX_ENTRIES) {
    throw validation(`1 validation error detected: Value '[...]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`);
  }
  let size = 0;
  for (const raw of entries) size += entrySize(raw);
  if (size > MAX_REQUEST_BYTES) throw validation('Total size of the entries in the request is over the limit.');
  const now = deps.now();
  const prepared = entries.map((raw, index) => prepare(deps, raw, index, now));
  const results: EntryResult[] = prepared.map((p) => ('envelope' in p ? { EventId: p.envelope.id } : p));
  const routes = await deps.routes.current();

  const messages: TargetMessage[] = [];
  const parked: DeliveryRow[] = [];
  const archived: ArchiveEventRow[] = [];
  const ingestionTime = new Date(now).toISOString();
  for (const p of prepared) {
    if (!('envelope' in p)) continue;
    const bus = routes.get(p.bus);
    if (!bus) {
      results[p.index] = entryFailure('ResourceNotFoundException', `Event bus ${p.bus} does not exist.`);
      continue;
    }
    const { envelope, matchable } = p;
    const eventJson = JSON.stringify(envelope);
    routeToTargets(deps, p.bus, bus.rules, envelope, matchable, eventJson, { now, ingestionTime }, { messages, parked });
    for (const archive of bus.archives) {
      if (archive.pattern && !matchesPreparedEvent(archive.pattern, matchable)) continue;
      archived.push({ archive_name: archive.name, event_id: envelope.id, event_time_ms: Date.parse(envelope.time), archived_ms: now, size_bytes: utf8(eventJson), envelope: eventJson });
    }
  }

  let waiting = parked.length;
  if (messages.length > 0 || parked.length > 0) {
    try {
      waiting = await deps.queues.transact(async (tx) => {
        const outcomes = await tx.deliver(messages.map((m) => m.request));
        const rows = [...parked];
        outcomes.forEach((outcome, i) => 'error' in outcome && rows.push(deliveryRow(messages[i]!, tx.now, rows.length)));
        await insertDeliveries(tx.sql, rows);
        return rows.length;
      });
    } catch (err) {
      deps.log.error({ err }, 'PutEvents could not store its events');
      throw new AwsError('InternalException', 'The events could not be stored; none were accepted.', 500, 'Receiver');
    }
  }
  if (waiting > 0) deps.wake();
  if (archived.length > 0) {
    deps.queues
      .transact(async (tx) => void (await insertArchived(tx.sql, archived)))
      .catch((err: unknown) => deps.log.error({ err, events: archived.length }, 'archiving events for replay failed; they were delivered'));
  }
  return {
    FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length,
    Entries: results,
  };
}

/**
 * One event's messages for the targets of the rules it matches (of `onlyRuleArns`
 * when given), each target's input rendered; a target whose input cannot be
 * rendered gets a dead-letter delivery row instead (or nothing: `untransformable`).
 * Rules match `matchable` (the envelope as patterns see it); targets get `envelope`.
 */
function routeToTargets(
  deps: Deps,
  bus: string,
  rules: RuleRoute[],
  envelope: EventEnvelope,
  matchable: EventEnvelope,
  eventJson: string,
  at: { now: number; ingestionTime: string },
  into: { messages: TargetMessage[]; parked: DeliveryRow[] },
  onlyRuleArns?: Set<string>,
): void {
  for (const rule of rules) {
    const arn = ruleArn(deps, bus, rule.name);
    if (onlyRuleArns && !onlyRuleArns.has(arn)) continue;
    if (!matchesPreparedEvent(rule.pattern, matchable)) continue;
    for (const target of rule.targets) {
      const m: TargetMessage = { event: envelope, eventJson, bus, ruleArn: arn, target, request: { queueArn: target.Arn, body: eventJson } };
      try {
        m.request.body = renderTargetInput(target, envelope as unknown as Record<string, unknown>, { ruleArn: arn, ruleName: rule.name, ingestionTime: at.ingestionTime });
      } catch (err) {
        const row = untransformable(deps, m, err, at.now, into.parked.length);
        if (row) into.parked.push(row);
        continue;
      }
      // A FIFO target: the rule's group, and an id of this delivery's own for deduplication.
      if (target.Arn.endsWith('.fifo')) Object.assign(m.request, { messageGroupId: target.SqsParameters?.MessageGroupId, messageDeduplicationId: randomUUID() });
      into.messages.push(m);
    }
  }
}

/** A delivery the worker makes later: the queue refused it now, or its input could not be rendered. */
function deliveryRow(m: TargetMessage, now: number, seq: number): DeliveryRow {
  return {
    id: randomUUID(),
    event_id: m.event.id,
    bus_name: m.bus,
    rule_arn: m.ruleArn,
    target_id: m.target.Id,
    target_arn: m.target.Arn,
    body: m.request.body,
    event: m.eventJson,
    message_group_id: m.target.SqsParameters?.MessageGroupId ?? null,
    dead_letter_arn: m.target.DeadLetterConfig?.Arn ?? null,
    phase: 'target',
    attempts: 0,
    max_retries: m.target.RetryPolicy?.MaximumRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS,
    deadline_ms: now + (m.target.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000,
    next_attempt_ms: now,
    lease_until_ms: 0,
    last_error_code: null,
    last_error_message: null,
    dead_letter_attributes: null,
    created_ms: now,
    seq,
  };
}

/**
 * An event whose target input cannot be rendered is never delivered to the
 * target (trying again renders the same): it goes to the target's dead-letter
 * queue, with EventBridge's error attributes, or is dropped with an error log
 * line when the target has none.
 */
function untransformable(deps: Deps, m: TargetMessage, err: unknown, now: number, seq: number): DeliveryRow | undefined {
  const message = `The input transformer failed: ${(err as Error)?.message ?? String(err)}`.slice(0, 1000);
  const context = { eventId: m.event.id, ruleArn: m.ruleArn, targetArn: m.target.Arn };
  if (!m.target.DeadLetterConfig?.Arn) {
    deps.log.error(context, `${message}; the target has no dead-letter queue: event dropped`);
    return undefined;
  }
  deps.log.warn(context, `${message}; sending the event to the dead-letter queue`);
  const attributes: MessageAttributes = {
    ERROR_CODE: { DataType: 'String', StringValue: 'InputTransformationFailed' },
    ERROR_MESSAGE: { DataType: 'String', StringValue: message },
    RETRY_ATTEMPTS: { DataType: 'Number', StringValue: '0' },
    RULE_ARN: { DataType: 'String', StringValue: m.ruleArn },
    TARGET_ARN: { DataType: 'String', StringValue: m.target.Arn },
  };
  return { ...deliveryRow(m, now, seq), phase: 'dead-letter', last_error_code: 'InputTransformationFailed', last_error_message: message, dead_letter_attributes: JSON.stringify(attributes) };
}

const DELIVERY_COLUMNS = [
  'id', 'event_id', 'bus_name', 'rule_arn', 'target_id', 'target_arn', 'body', 'event', 'message_group_id', 'dead_letter_arn', 'phase', 'attempts',
  'max_retries', 'deadline_ms', 'next_attempt_ms', 'lease_until_ms', 'last_error_code', 'last_error_message', 'dead_letter_attributes', 'created_ms', 'seq',
] as const satisfies ReadonlyArray<keyof DeliveryRow>;
const INSERT_DELIVERY = `INSERT INTO eb_deliveries (${DELIVERY_COLUMNS.join(', ')}) VALUES (${DELIVERY_COLUMNS.map(() => '?').join(', ')})`;

async function insertDeliveries(sql: Sql, rows: DeliveryRow[]): Promise<void> {
  for (const row of rows) await sql.run(INSERT_DELIVERY, DELIVERY_COLUMNS.map((column) => row[column]));
}

const ARCHIVE_COLUMNS = ['archive_name', 'event_id', 'event_time_ms', 'archived_ms', 'size_bytes', 'envelope'] as const satisfies ReadonlyArray<keyof ArchiveEventRow>;
const INSERT_ARCHIVED = `INSERT INTO eb_archive_events (${ARCHIVE_COLUMNS.join(', ')}) VALUES (${ARCHIVE_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`;

async function insertArchived(sql: Sql, rows: ArchiveEventRow[]): Promise<void> {
  for (const row of rows) await sql.run(INSERT_ARCHIVED, ARCHIVE_COLUMNS.map((column) => row[column]));
}

/**
 * Routes replayed events (a replay's batch, inside its transaction): a
 * delivery row for every target of every enabled rule of the bus whose
 * pattern matches (of the replay's rules only, when it names some), which the
 * worker delivers. Replayed events are never archived again (AWS's archive
 * rules exclude them the same way).
 */
export async function routeReplayedEvents(
  trx: Transaction<EventBridgeSchema>,
  deps: Deps,
  bus: string,
  events: EventEnvelope[],
  onlyRuleArns: Set<string> | undefined,
): Promise<number> {
  const now = deps.now();
  const rules = (await deps.routes.current()).get(bus)?.rules ?? [];
  const routed = { messages: [] as TargetMessage[], parked: [] as DeliveryRow[] };
  const at = { now, ingestionTime: new Date(now).toISOString() };
  for (const envelope of events) routeToTargets(deps, bus, rules, envelope, matchableEvent(envelope), JSON.stringify(envelope), at, routed, onlyRuleArns);
  // Every delivery goes through the worker; seq keeps the order the events were replayed in.
  const deliveries = [...routed.messages.map((m) => deliveryRow(m, now, 0)), ...routed.parked].map((row, seq) => ({ ...row, seq }));
  for (let i = 0; i < deliveries.length; i += INSERT_CHUNK) {
    await trx.insertInto('eb_deliveries').values(deliveries.slice(i, i + INSERT_CHUNK)).execute();
  }
  return deliveries.length;
}
