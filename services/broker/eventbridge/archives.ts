import { isUniqueViolation } from '../../../storage/database.ts';
import { inTransaction } from '../../../storage/transaction.ts';
import { requireBus } from './buses.ts';
import {
  alreadyExists,
  archiveArn,
  busNameFromArn,
  compact,
  nextToken,
  notFound,
  num,
  page,
  readInteger,
  readPattern,
  readString,
  requireString,
  seconds,
  startsWith,
  validation,
  type Deps,
  type Input,
} from './common.ts';
import type { ArchiveRow } from './schema.ts';

export const ARCHIVE_NAME = /^[.\-_A-Za-z0-9]+$/;

async function stats(deps: Deps, name: string): Promise<{ SizeBytes: number; EventCount: number }> {
  const row = await deps.db
    .selectFrom('eb_archive_events')
    .select((eb) => [eb.fn.countAll<number | bigint>().as('count'), eb.fn.sum<number | bigint | string | null>('size_bytes').as('size')])
    .where('archive_name', '=', name)
    .executeTakeFirstOrThrow();
  return { SizeBytes: Number(row.size ?? 0), EventCount: Number(row.count) };
}

async function requireArchive(deps: Deps, name: string): Promise<ArchiveRow> {
  const row = await deps.db.selectFrom('eb_archives').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound(`Archive ${name} does not exist.`);
  return row;
}

export async function createArchive(deps: Deps, input: Input) {
  const name = requireString(input, 'ArchiveName', { min: 1, max: 48, pattern: ARCHIVE_NAME });
  const sourceArn = requireString(input, 'EventSourceArn', { min: 1, max: 1600 });
  const bus = busNameFromArn(sourceArn, 'EventSourceArn');
  const description = readString(input, 'Description', { max: 512 }) ?? null;
  const pattern = readPattern(deps, input) ?? null;
  const retention = readInteger(input, 'RetentionDays', 0, 2_147_483_647) ?? 0;
  const now = deps.now();
  try {
    await inTransaction(deps.db, async (trx) => {
      await requireBus(trx, bus);
      await trx
        .insertInto('eb_archives')
        .values({
          name,
          bus_name: bus,
          event_source_arn: sourceArn,
          description,
          event_pattern: pattern,
          retention_days: retention,
          state: 'ENABLED',
          created_ms: now,
        })
        .execute();
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw alreadyExists(`Archive ${name} already exists.`);
    throw err;
  }
  return { ArchiveArn: archiveArn(deps, name), State: 'ENABLED', CreationTime: seconds(now) };
}

export async function describeArchive(deps: Deps, input: Input) {
  const name = requireString(input, 'ArchiveName', { min: 1, max: 48, pattern: ARCHIVE_NAME });
  const row = await requireArchive(deps, name);
  return compact({
    ArchiveArn: archiveArn(deps, name),
    ArchiveName: name,
    EventSourceArn: row.event_source_arn,
    Description: row.description ?? undefined,
    EventPattern: row.event_pattern ?? undefined,
    State: row.state,
    RetentionDays: num(row.retention_days),
    ...(await stats(deps, name)),
    CreationTime: seconds(row.created_ms),
  });
}

export async function listArchives(deps: Deps, input: Input) {
  const prefix = readString(input, 'NamePrefix', { min: 1, max: 48, pattern: ARCHIVE_NAME });
  const sourceArn = readString(input, 'EventSourceArn', { min: 1, max: 1600 });
  const state = readString(input, 'State');
  if (prefix && sourceArn) throw validation('At most one filter is allowed for ListArchives. Use either : State, EventSourceArn, or NamePrefix.');
  const { after, limit } = page(input);
  let query = deps.db.selectFrom('eb_archives').selectAll();
  if (prefix) query = query.where(startsWith('name', prefix));
  if (sourceArn) query = query.where('event_source_arn', '=', sourceArn);
  if (state) query = query.where('state', '=', state as ArchiveRow['state']);
  if (after !== undefined) query = query.where('name', '>', after);
  const rows = await query.orderBy('name').limit(limit + 1).execute();
  const archives = [];
  for (const row of rows.slice(0, limit)) {
    archives.push(
      compact({
        ArchiveName: row.name,
        EventSourceArn: row.event_source_arn,
        State: row.state,
        RetentionDays: num(row.retention_days),
        ...(await stats(deps, row.name)),
        CreationTime: seconds(row.created_ms),
      }),
    );
  }
  return compact({ Archives: archives, NextToken: nextToken(rows, limit, (row) => row.name) });
}

export async function updateArchive(deps: Deps, input: Input) {
  const name = requireString(input, 'ArchiveName', { min: 1, max: 48, pattern: ARCHIVE_NAME });
  const description = readString(input, 'Description', { max: 512 });
  const pattern = readPattern(deps, input);
  const retention = readInteger(input, 'RetentionDays', 0, 2_147_483_647);
  const row = await requireArchive(deps, name);
  const changes: { description?: string; event_pattern?: string; retention_days?: number } = compact({
    description,
    event_pattern: pattern,
    retention_days: retention,
  });
  if (Object.keys(changes).length > 0) await deps.db.updateTable('eb_archives').set(changes).where('name', '=', name).execute();
  return { ArchiveArn: archiveArn(deps, name), State: row.state, CreationTime: seconds(row.created_ms) };
}

/** Deletes an archive and the events it holds. */
export async function deleteArchive(deps: Deps, input: Input) {
  const name = requireString(input, 'ArchiveName', { min: 1, max: 48, pattern: ARCHIVE_NAME });
  await inTransaction(deps.db, async (trx) => {
    const result = await trx.deleteFrom('eb_archives').where('name', '=', name).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound(`Archive ${name} does not exist.`);
    await trx.deleteFrom('eb_archive_events').where('archive_name', '=', name).execute();
  });
  return {};
}

/** Drops archived events older than their archive's retention (0 days keeps them forever). */
export async function purgeExpiredArchiveEvents(deps: Deps): Promise<number> {
  const archives = await deps.db.selectFrom('eb_archives').select(['name', 'retention_days']).where('retention_days', '>', 0).execute();
  let purged = 0;
  for (const archive of archives) {
    const cutoff = deps.now() - num(archive.retention_days) * 86_400_000;
    const result = await deps.db
      .deleteFrom('eb_archive_events')
      .where('archive_name', '=', archive.name)
      .where('archived_ms', '<', cutoff)
      .executeTakeFirst();
    purged += Number(result.numDeletedRows);
  }
  return purged;
}
