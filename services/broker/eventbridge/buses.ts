import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../../../storage/database.ts';
import { inTransaction } from '../../../storage/transaction.ts';
import {
  alreadyExists,
  busArn,
  busNameFrom,
  compact,
  DEFAULT_BUS,
  limitExceeded,
  notFound,
  page,
  readString,
  requireString,
  seconds,
  validation,
  type Deps,
  type Input,
} from './common.ts';
import type { EventBridgeSchema, EventBusRow } from './schema.ts';

/** AWS's default quota of event buses per account and Region (the default bus included). */
export const MAX_EVENT_BUSES = 100;

/** Throws ResourceNotFoundException unless the bus exists (the default bus always does). */
export async function requireBus(db: Kysely<EventBridgeSchema>, name: string): Promise<void> {
  if (name === DEFAULT_BUS) return;
  const row = await db.selectFrom('eb_event_buses').select('name').where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound(`Event bus ${name} does not exist.`);
}

export async function createEventBus(deps: Deps, input: Input) {
  const name = requireString(input, 'Name', { min: 1, max: 256, pattern: /^[/.\-_A-Za-z0-9]+$/ });
  const description = readString(input, 'Description', { max: 512 });
  if (input.EventSourceName !== undefined) {
    throw validation('Partner event buses are not supported by the embedded broker: omit EventSourceName.');
  }
  if (name === DEFAULT_BUS) throw alreadyExists(`Event bus ${name} already exists.`);
  if (name.includes('/')) throw validation('Event bus name must not contain \'/\'.');
  const now = deps.now();
  try {
    await inTransaction(deps.db, async (trx) => {
      const { count } = await trx.selectFrom('eb_event_buses').select((eb) => eb.fn.countAll<number | bigint>().as('count')).executeTakeFirstOrThrow();
      if (Number(count) + 1 >= MAX_EVENT_BUSES) throw limitExceeded('The requested resource exceeds the maximum number allowed.');
      await trx
        .insertInto('eb_event_buses')
        .values({ name, description: description ?? null, created_ms: now, modified_ms: now })
        .execute();
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw alreadyExists(`Event bus ${name} already exists.`);
    throw err;
  }
  return compact({ EventBusArn: busArn(deps, name), Description: description });
}

/** `policy`: the bus's resource policy document (permissions.ts), absent when it has none, as on AWS. */
function view(deps: Deps, row: EventBusRow | undefined, name: string, policy: string | undefined) {
  return compact({
    Name: name,
    Arn: busArn(deps, name),
    Description: row?.description ?? undefined,
    Policy: policy,
    CreationTime: seconds(row?.created_ms),
    LastModifiedTime: seconds(row?.modified_ms),
  });
}

/** Bus policies by bus name: one bus's, or all (there are at most MAX_EVENT_BUSES). */
async function policies(deps: Deps, bus?: string): Promise<Map<string, string>> {
  let query = deps.db.selectFrom('eb_bus_policies').select(['bus_name', 'policy']);
  if (bus !== undefined) query = query.where('bus_name', '=', bus);
  return new Map((await query.execute()).map((row) => [row.bus_name, row.policy]));
}

export async function describeEventBus(deps: Deps, input: Input) {
  const name = busNameFrom(input.Name, 'Name');
  const policy = (await policies(deps, name)).get(name);
  if (name === DEFAULT_BUS) return view(deps, undefined, name, policy);
  const row = await deps.db.selectFrom('eb_event_buses').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound(`Event bus ${name} does not exist.`);
  return view(deps, row, name, policy);
}

export async function listEventBuses(deps: Deps, input: Input) {
  const prefix = readString(input, 'NamePrefix', { min: 1, max: 256 }) ?? '';
  const { after, limit } = page(input);
  // At most MAX_EVENT_BUSES rows: filtering and paging in memory keeps the default bus in name order.
  const [rows, policyOf] = await Promise.all([deps.db.selectFrom('eb_event_buses').selectAll().execute(), policies(deps)]);
  const all = [{ name: DEFAULT_BUS, row: undefined as EventBusRow | undefined }, ...rows.map((row) => ({ name: row.name, row }))]
    .filter((b) => b.name.startsWith(prefix) && (after === undefined || b.name > after))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const pageRows = all.slice(0, limit);
  return compact({
    EventBuses: pageRows.map((b) => view(deps, b.row, b.name, policyOf.get(b.name))),
    NextToken: all.length > limit ? Buffer.from(JSON.stringify(pageRows[pageRows.length - 1]!.name)).toString('base64url') : undefined,
  });
}

/** Deletes a custom bus with its rules, targets and policy; events already routed are still delivered. */
export async function deleteEventBus(deps: Deps, input: Input) {
  const name = busNameFrom(requireString(input, 'Name', { min: 1, max: 256 }), 'Name');
  if (name === DEFAULT_BUS) throw validation('Cannot delete event bus default.');
  await inTransaction(deps.db, async (trx) => {
    await trx.deleteFrom('eb_targets').where('bus_name', '=', name).execute();
    await trx.deleteFrom('eb_rules').where('bus_name', '=', name).execute();
    await trx.deleteFrom('eb_bus_policies').where('bus_name', '=', name).execute();
    await trx.deleteFrom('eb_event_buses').where('name', '=', name).execute();
  });
  return {};
}
