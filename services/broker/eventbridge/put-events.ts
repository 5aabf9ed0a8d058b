import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { AwsError } from '../aws-error.ts';
import { inTransaction } from '../../../storage/transaction.ts';
import { busNameFrom, readTimestamp, ruleArn, validation, type Deps, type Input } from './common.ts';
import { renderTargetInput } from './input-transform.ts';
import { matchesPattern } from './pattern.ts';
import type { DeliveryRow, EventBridgeSchema } from './schema.ts';
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

/** An event entry may be at most 256 KB, counted as AWS's "Calculating PutEvents entry size" describes. */
export const MAX_ENTRY_BYTES = 256 * 1024;
const MAX_ENTRIES = 10;
const INSERT_CHUNK = 200;

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

interface PreparedEntry {
  index: number;
  bus: string;
  envelope: EventEnvelope;
}

/** Event times have whole seconds, as AWS's do. */
export function eventTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

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
  const resourceList = (resources as string[] | undefined) ?? [];
  const size =
    (entry.Time !== undefined && entry.Time !== null ? 14 : 0) +
    utf8(source) +
    utf8(detailType) +
    utf8(detailText) +
    resourceList.reduce((sum, r) => sum + utf8(r), 0);
  if (size > MAX_ENTRY_BYTES) {
    return entryFailure('InvalidArgument', `Parameter Entries is not valid. Reason: the entry is ${size} bytes; the maximum is ${MAX_ENTRY_BYTES}.`);
  }
  return {
    index,
    bus,
    envelope: {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: deps.accountId,
      time: eventTime(timeMs),
      region: deps.region,
      resources: resourceList,
      detail: detail as Record<string, unknown>,
    },
  };
}

/**
 * PutEvents. Every accepted entry is routed inside one transaction: a
 * delivery row per matching rule target and a copy per matching archive are
 * committed before the call returns, so an acknowledged event is never lost.
 * The delivery worker then moves the rows to their queues.
 */
export async function putEvents(deps: Deps, input: Input) {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length < 1) {
    throw validation("1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
  }
  if (entries.length > MAX_ENTRIES) {
    throw validation(`1 validation error detected: Value '[...]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`);
  }
  const now = deps.now();
  const prepared = entries.map((raw, index) => prepare(deps, raw, index, now));

  const results = await inTransaction(deps.db, async (trx) => {
    const out: EntryResult[] = prepared.map((p) => ('envelope' in p ? { EventId: p.envelope.id } : p));
    const byBus = new Map<string, PreparedEntry[]>();
    for (const p of prepared) {
      if (!('envelope' in p)) continue;
      const list = byBus.get(p.bus) ?? [];
      list.push(p);
      byBus.set(p.bus, list);
    }
    for (const [bus, list] of byBus) {
      if (bus !== 'default') {
        const exists = await trx.selectFrom('eb_event_buses').select('name').where('name', '=', bus).executeTakeFirst();
        if (!exists) {
          for (const p of list) out[p.index] = entryFailure('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
          continue;
        }
      }
      await routeEvents(trx, deps, bus, list.map((p) => p.envelope), { archive: true });
    }
    return out;
  }).catch((err: unknown) => {
    if (err instanceof AwsError) throw err;
    deps.log.error({ err }, 'PutEvents could not store its events');
    throw new AwsError('InternalException', 'The events could not be stored; none were accepted.', 500, 'Receiver');
  });

  deps.wake();
  return {
    FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length,
    Entries: results,
  };
}

/**
 * Routes events put on (or replayed onto) a bus: a delivery row for every
 * target of every enabled rule whose pattern matches, and, for new events, a
 * copy in every archive of the bus whose pattern matches. Runs inside the
 * caller's transaction.
 */
export async function routeEvents(
  trx: Transaction<EventBridgeSchema>,
  deps: Deps,
  bus: string,
  events: EventEnvelope[],
  options: { archive: boolean; onlyRuleArns?: Set<string> },
): Promise<number> {
  const now = deps.now();
  const rules = await trx.selectFrom('eb_rules').selectAll().where('bus_name', '=', bus).where('state', '=', 'ENABLED').execute();
  const targets = rules.length === 0 ? [] : await trx.selectFrom('eb_targets').selectAll().where('bus_name', '=', bus).orderBy('target_id').execute();
  const targetsByRule = new Map<string, TargetSpec[]>();
  for (const t of targets) {
    const list = targetsByRule.get(t.rule_name) ?? [];
    list.push(JSON.parse(t.spec) as TargetSpec);
    targetsByRule.set(t.rule_name, list);
  }

  const deliveries: DeliveryRow[] = [];
  const ingestionTime = new Date(now).toISOString();
  for (const envelope of events) {
    const eventJson = JSON.stringify(envelope);
    for (const rule of rules) {
      const arn = ruleArn(deps, bus, rule.name);
      if (options.onlyRuleArns && !options.onlyRuleArns.has(arn)) continue;
      const ruleTargets = targetsByRule.get(rule.name);
      if (!ruleTargets || !rule.event_pattern || !matchesPattern(deps.pattern(rule.event_pattern), envelope)) continue;
      for (const target of ruleTargets) {
        deliveries.push({
          id: randomUUID(),
          event_id: envelope.id,
          bus_name: bus,
          rule_arn: arn,
          target_id: target.Id,
          target_arn: target.Arn,
          body: renderTargetInput(target, envelope as unknown as Record<string, unknown>, { ruleArn: arn, ruleName: rule.name, ingestionTime }),
          event: eventJson,
          message_group_id: target.SqsParameters?.MessageGroupId ?? null,
          dead_letter_arn: target.DeadLetterConfig?.Arn ?? null,
          phase: 'target',
          attempts: 0,
          max_retries: target.RetryPolicy?.MaximumRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS,
          deadline_ms: now + (target.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000,
          next_attempt_ms: now,
          lease_until_ms: 0,
          last_error_code: null,
          last_error_message: null,
          dead_letter_attributes: null,
          created_ms: now,
          seq: deliveries.length,
        });
      }
    }
  }
  for (let i = 0; i < deliveries.length; i += INSERT_CHUNK) {
    await trx.insertInto('eb_deliveries').values(deliveries.slice(i, i + INSERT_CHUNK)).execute();
  }

  if (options.archive) await archiveEvents(trx, deps, bus, events, now);
  return deliveries.length;
}

async function archiveEvents(trx: Transaction<EventBridgeSchema>, deps: Deps, bus: string, events: EventEnvelope[], now: number): Promise<void> {
  const archives = await trx.selectFrom('eb_archives').select(['name', 'event_pattern']).where('bus_name', '=', bus).where('state', '=', 'ENABLED').execute();
  if (archives.length === 0) return;
  const rows = [];
  for (const envelope of events) {
    // Replayed events are never archived again (AWS's archive rules exclude them the same way).
    if (envelope['replay-name'] !== undefined) continue;
    const json = JSON.stringify(envelope);
    for (const archive of archives) {
      if (archive.event_pattern && !matchesPattern(deps.pattern(archive.event_pattern), envelope)) continue;
      rows.push({
        archive_name: archive.name,
        event_id: envelope.id,
        event_time_ms: Date.parse(envelope.time),
        archived_ms: now,
        size_bytes: utf8(json),
        envelope: json,
      });
    }
  }
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await trx.insertInto('eb_archive_events').values(rows.slice(i, i + INSERT_CHUNK)).execute();
  }
}
