import { isUniqueViolation } from '../../../storage/database.ts';
import { inTransaction } from '../../../storage/transaction.ts';
import { AwsError } from '../aws-error.ts';
import { requireBus } from './buses.ts';
import {
  alreadyExists,
  busNameFromArn,
  compact,
  limitExceeded,
  nextToken,
  notFound,
  page,
  readString,
  readTimestamp,
  replayArn,
  requireString,
  seconds,
  startsWith,
  validation,
  type Deps,
  type Input,
} from './common.ts';
import { routeReplayedEvents, type EventEnvelope } from './put-events.ts';
import type { ReplayRow, ReplayState } from './schema.ts';

const REPLAY_NAME = /^[.\-_A-Za-z0-9]+$/;
const ARCHIVE_ARN = /^arn:aws[\w-]*:events:[^:]*:[^:]*:archive\/([.\-_A-Za-z0-9]+)$/;
/** AWS allows ten replays in progress per account and Region. */
export const MAX_ACTIVE_REPLAYS = 10;
/** Archived events replayed per transaction: a replay resumes from its cursor after a restart. */
const REPLAY_BATCH = 100;
const ACTIVE: ReplayState[] = ['STARTING', 'RUNNING', 'CANCELLING'];

interface Destination {
  Arn: string;
  FilterArns?: string[];
}

function readDestination(input: Input): Destination {
  const raw = input.Destination;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw validation("1 validation error detected: Value null at 'destination' failed to satisfy constraint: Member must not be null");
  }
  const destination = raw as Record<string, unknown>;
  const arn = requireString(destination, 'Arn', { min: 1, max: 1600 });
  const filters = destination.FilterArns;
  if (filters !== undefined && filters !== null && (!Array.isArray(filters) || filters.some((f) => typeof f !== 'string'))) {
    throw validation('Parameter Destination.FilterArns is not valid. Reason: it must be a list of rule ARNs.');
  }
  return compact({ Arn: arn, FilterArns: filters as string[] | undefined }) as Destination;
}

export async function startReplay(deps: Deps, input: Input) {
  const name = requireString(input, 'ReplayName', { min: 1, max: 64, pattern: REPLAY_NAME });
  const description = readString(input, 'Description', { max: 512 }) ?? null;
  const sourceArn = requireString(input, 'EventSourceArn', { min: 1, max: 1600 });
  const archiveName = ARCHIVE_ARN.exec(sourceArn)?.[1];
  if (!archiveName) throw validation('Parameter EventSourceArn is not valid. Reason: Provided Arn is not in correct format.');
  const start = readTimestamp(input.EventStartTime, 'EventStartTime');
  const end = readTimestamp(input.EventEndTime, 'EventEndTime');
  if (start === undefined) throw validation("1 validation error detected: Value null at 'eventStartTime' failed to satisfy constraint: Member must not be null");
  if (end === undefined) throw validation("1 validation error detected: Value null at 'eventEndTime' failed to satisfy constraint: Member must not be null");
  if (start >= end) throw validation('Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.');
  const destination = readDestination(input);
  const destinationBus = busNameFromArn(destination.Arn, 'Destination.Arn');
  const now = deps.now();

  try {
    await inTransaction(deps.db, async (trx) => {
      const archive = await trx.selectFrom('eb_archives').select(['bus_name']).where('name', '=', archiveName).executeTakeFirst();
      if (!archive) throw notFound(`Archive ${archiveName} does not exist.`);
      await requireBus(trx, destinationBus);
      if (archive.bus_name !== destinationBus) {
        throw validation('Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.');
      }
      const { count } = await trx
        .selectFrom('eb_replays')
        .select((eb) => eb.fn.countAll<number | bigint>().as('count'))
        .where('state', 'in', ACTIVE)
        .executeTakeFirstOrThrow();
      if (Number(count) >= MAX_ACTIVE_REPLAYS) throw limitExceeded('The requested resource exceeds the maximum number allowed.');
      await trx
        .insertInto('eb_replays')
        .values({
          name,
          archive_name: archiveName,
          event_source_arn: sourceArn,
          description,
          destination: JSON.stringify(destination),
          event_start_ms: start,
          event_end_ms: end,
          state: 'STARTING',
          state_reason: null,
          replay_start_ms: now,
          replay_end_ms: null,
          last_replayed_ms: null,
          cursor_time_ms: null,
          cursor_event_id: null,
        })
        .execute();
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw alreadyExists(`Replay ${name} already exists.`);
    throw err;
  }
  deps.wake();
  return { ReplayArn: replayArn(deps, name), State: 'STARTING', ReplayStartTime: seconds(now) };
}

function summary(row: ReplayRow) {
  return compact({
    ReplayName: row.name,
    EventSourceArn: row.event_source_arn,
    State: row.state,
    StateReason: row.state_reason ?? undefined,
    EventStartTime: seconds(row.event_start_ms),
    EventEndTime: seconds(row.event_end_ms),
    EventLastReplayedTime: seconds(row.last_replayed_ms),
    ReplayStartTime: seconds(row.replay_start_ms),
    ReplayEndTime: seconds(row.replay_end_ms),
  });
}

async function requireReplay(deps: Deps, name: string): Promise<ReplayRow> {
  const row = await deps.db.selectFrom('eb_replays').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound(`Replay ${name} does not exist.`);
  return row;
}

export async function describeReplay(deps: Deps, input: Input) {
  const name = requireString(input, 'ReplayName', { min: 1, max: 64, pattern: REPLAY_NAME });
  const row = await requireReplay(deps, name);
  return compact({
    ...summary(row),
    ReplayArn: replayArn(deps, name),
    Description: row.description ?? undefined,
    Destination: JSON.parse(row.destination) as Destination,
  });
}

export async function listReplays(deps: Deps, input: Input) {
  const prefix = readString(input, 'NamePrefix', { min: 1, max: 64, pattern: REPLAY_NAME });
  const state = readString(input, 'State');
  const sourceArn = readString(input, 'EventSourceArn', { min: 1, max: 1600 });
  const { after, limit } = page(input);
  let query = deps.db.selectFrom('eb_replays').selectAll();
  if (prefix) query = query.where(startsWith('name', prefix));
  if (state) query = query.where('state', '=', state as ReplayState);
  if (sourceArn) query = query.where('event_source_arn', '=', sourceArn);
  if (after !== undefined) query = query.where('name', '>', after);
  const rows = await query.orderBy('name').limit(limit + 1).execute();
  return compact({ Replays: rows.slice(0, limit).map(summary), NextToken: nextToken(rows, limit, (row) => row.name) });
}

export async function cancelReplay(deps: Deps, input: Input) {
  const name = requireString(input, 'ReplayName', { min: 1, max: 64, pattern: REPLAY_NAME });
  const result = await deps.db
    .updateTable('eb_replays')
    .set({ state: 'CANCELLING' })
    .where('name', '=', name)
    .where('state', 'in', ['STARTING', 'RUNNING'])
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) {
    await requireReplay(deps, name);
    throw new AwsError('IllegalStatusException', `Replay ${name} is not in a valid state for this operation.`);
  }
  deps.wake();
  return { ReplayArn: replayArn(deps, name), State: 'CANCELLING' };
}

/** Another worker moved the replay on: this batch is rolled back and nothing is lost or doubled. */
class ReplayMoved extends Error {}

/**
 * Advances every replay in progress by one batch. Each batch routes archived
 * events and moves the replay's cursor in one transaction, so a restarted
 * broker resumes exactly where the last committed batch ended.
 * Returns true while any replay has more to do.
 */
export async function advanceReplays(deps: Deps): Promise<boolean> {
  const active = await deps.db.selectFrom('eb_replays').selectAll().where('state', 'in', ACTIVE).orderBy('replay_start_ms').execute();
  let more = false;
  for (const replay of active) {
    try {
      more = (await advance(deps, replay)) || more;
    } catch (err) {
      if (err instanceof ReplayMoved) {
        more = true;
        continue;
      }
      deps.log.error({ err, replay: replay.name }, 'replay batch failed; it will be retried');
    }
  }
  return more;
}

async function advance(deps: Deps, replay: ReplayRow): Promise<boolean> {
  const now = deps.now();
  if (replay.state === 'CANCELLING') {
    await deps.db.updateTable('eb_replays').set({ state: 'CANCELLED', replay_end_ms: now }).where('name', '=', replay.name).where('state', '=', 'CANCELLING').execute();
    return false;
  }
  if (replay.state === 'STARTING') {
    await deps.db.updateTable('eb_replays').set({ state: 'RUNNING' }).where('name', '=', replay.name).where('state', '=', 'STARTING').execute();
  }
  const destination = JSON.parse(replay.destination) as Destination;
  const bus = busNameFromArn(destination.Arn, 'Destination.Arn');
  const onlyRuleArns = destination.FilterArns?.length ? new Set(destination.FilterArns) : undefined;

  return inTransaction(deps.db, async (trx) => {
    const archive = await trx.selectFrom('eb_archives').select('name').where('name', '=', replay.archive_name).executeTakeFirst();
    if (!archive) {
      await trx
        .updateTable('eb_replays')
        .set({ state: 'FAILED', state_reason: `Archive ${replay.archive_name} was deleted during the replay.`, replay_end_ms: now })
        .where('name', '=', replay.name)
        .execute();
      return false;
    }
    let query = trx
      .selectFrom('eb_archive_events')
      .select(['event_id', 'event_time_ms', 'envelope'])
      .where('archive_name', '=', replay.archive_name)
      .where('event_time_ms', '>=', replay.event_start_ms)
      .where('event_time_ms', '<=', replay.event_end_ms);
    const cursorTime = replay.cursor_time_ms;
    const cursorId = replay.cursor_event_id;
    if (cursorTime !== null && cursorId !== null) {
      query = query.where((eb) =>
        eb.or([eb('event_time_ms', '>', cursorTime), eb.and([eb('event_time_ms', '=', cursorTime), eb('event_id', '>', cursorId)])]),
      );
    }
    const batch = await query.orderBy('event_time_ms').orderBy('event_id').limit(REPLAY_BATCH).execute();
    const events = batch.map((row) => ({ ...(JSON.parse(row.envelope) as EventEnvelope), 'replay-name': replay.name }));
    if (events.length > 0) await routeReplayedEvents(trx, deps, bus, events, onlyRuleArns);
    const last = batch[batch.length - 1];
    const done = batch.length < REPLAY_BATCH;
    const moved = await trx
      .updateTable('eb_replays')
      .set({
        ...(last ? { cursor_time_ms: last.event_time_ms, cursor_event_id: last.event_id, last_replayed_ms: last.event_time_ms } : {}),
        ...(done ? { state: 'COMPLETED' as const, replay_end_ms: now } : { state: 'RUNNING' as const }),
      })
      .where('name', '=', replay.name)
      .where('state', 'in', ['STARTING', 'RUNNING'])
      .where((eb) => (cursorId === null ? eb('cursor_event_id', 'is', null) : eb('cursor_event_id', '=', cursorId)))
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 0) throw new ReplayMoved();
    if (events.length > 0) deps.wake();
    return !done;
  });
}
