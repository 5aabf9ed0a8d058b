import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../../../storage/database.ts';
import { inTransaction } from '../../../storage/transaction.ts';
import { requireBus } from './buses.ts';
import {
  busNameFrom,
  compact,
  limitExceeded,
  nextToken,
  notFound,
  page,
  readPattern,
  readString,
  requireString,
  ruleArn,
  startsWith,
  validation,
  type Deps,
  type Input,
} from './common.ts';
import { matchesPattern } from './pattern.ts';
import type { EventBridgeSchema, RuleRow, RuleState } from './schema.ts';

/** AWS's default quota of rules per event bus. */
export const MAX_RULES_PER_BUS = 300;
export const RULE_NAME = /^[.\-_A-Za-z0-9]+$/;
const STATES = new Set(['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']);

export async function requireRule(db: Kysely<EventBridgeSchema>, bus: string, name: string): Promise<RuleRow> {
  const row = await db.selectFrom('eb_rules').selectAll().where('bus_name', '=', bus).where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound(`Rule ${name} does not exist on EventBus ${bus}.`);
  return row;
}

function ruleView(deps: Deps, row: RuleRow) {
  return compact({
    Name: row.name,
    Arn: ruleArn(deps, row.bus_name, row.name),
    EventPattern: row.event_pattern ?? undefined,
    State: row.state,
    Description: row.description ?? undefined,
    RoleArn: row.role_arn ?? undefined,
    EventBusName: row.bus_name,
  });
}

/**
 * Creates or replaces a rule. As AWS documents, parameters left out of an
 * update are not kept (State goes back to ENABLED); the rule's targets are.
 */
export async function putRule(deps: Deps, input: Input) {
  const name = requireString(input, 'Name', { min: 1, max: 64, pattern: RULE_NAME });
  const bus = busNameFrom(input.EventBusName);
  if (input.ScheduleExpression !== undefined && input.ScheduleExpression !== null) {
    throw validation('ScheduleExpression is not supported by the embedded broker: scheduled rules never run here.');
  }
  const pattern = readPattern(deps, input);
  if (pattern === undefined) throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
  const stateInput = readString(input, 'State') ?? 'ENABLED';
  if (!STATES.has(stateInput)) {
    throw validation(`1 validation error detected: Value '${stateInput}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]`);
  }
  const state: RuleState = stateInput === 'DISABLED' ? 'DISABLED' : 'ENABLED';
  const description = readString(input, 'Description', { max: 512 }) ?? null;
  const roleArn = readString(input, 'RoleArn', { min: 1, max: 1600 }) ?? null;

  const write = () =>
    inTransaction(deps.db, async (trx) => {
      await requireBus(trx, bus);
      const existing = await trx.selectFrom('eb_rules').select('name').where('bus_name', '=', bus).where('name', '=', name).executeTakeFirst();
      if (existing) {
        await trx
          .updateTable('eb_rules')
          .set({ event_pattern: pattern, state, description, role_arn: roleArn })
          .where('bus_name', '=', bus)
          .where('name', '=', name)
          .execute();
        return;
      }
      const { count } = await trx
        .selectFrom('eb_rules')
        .select((eb) => eb.fn.countAll<number | bigint>().as('count'))
        .where('bus_name', '=', bus)
        .executeTakeFirstOrThrow();
      if (Number(count) >= MAX_RULES_PER_BUS) throw limitExceeded('The requested resource exceeds the maximum number allowed.');
      await trx
        .insertInto('eb_rules')
        .values({ bus_name: bus, name, event_pattern: pattern, state, description, role_arn: roleArn, created_ms: deps.now() })
        .execute();
    });
  try {
    await write();
  } catch (err) {
    // Two PutRule calls created the same rule at once: the second becomes an update.
    if (!isUniqueViolation(err)) throw err;
    await write();
  }
  return { RuleArn: ruleArn(deps, bus, name) };
}

export async function describeRule(deps: Deps, input: Input) {
  const name = requireString(input, 'Name', { min: 1, max: 64, pattern: RULE_NAME });
  const bus = busNameFrom(input.EventBusName);
  await requireBus(deps.db, bus);
  const row = await requireRule(deps.db, bus, name);
  return { ...ruleView(deps, row), CreatedBy: deps.accountId };
}

export async function listRules(deps: Deps, input: Input) {
  const prefix = readString(input, 'NamePrefix', { min: 1, max: 64, pattern: RULE_NAME });
  const bus = busNameFrom(input.EventBusName);
  const { after, limit } = page(input);
  await requireBus(deps.db, bus);
  let query = deps.db.selectFrom('eb_rules').selectAll().where('bus_name', '=', bus);
  if (prefix) query = query.where(startsWith('name', prefix));
  if (after !== undefined) query = query.where('name', '>', after);
  const rows = await query.orderBy('name').limit(limit + 1).execute();
  return compact({
    Rules: rows.slice(0, limit).map((row) => ruleView(deps, row)),
    NextToken: nextToken(rows, limit, (row) => row.name),
  });
}

/**
 * The names of the bus's rules that have a target with this ARN, in name
 * order, paged like ListRules (API reference, ListRuleNamesByTarget).
 */
export async function listRuleNamesByTarget(deps: Deps, input: Input) {
  const targetArn = requireString(input, 'TargetArn', { min: 1, max: 1600 });
  const bus = busNameFrom(input.EventBusName);
  const { after, limit } = page(input);
  await requireBus(deps.db, bus);
  let query = deps.db.selectFrom('eb_targets').select('rule_name').distinct().where('bus_name', '=', bus).where('arn', '=', targetArn);
  if (after !== undefined) query = query.where('rule_name', '>', after);
  const rows = await query.orderBy('rule_name').limit(limit + 1).execute();
  return compact({
    RuleNames: rows.slice(0, limit).map((row) => row.rule_name),
    NextToken: nextToken(rows, limit, (row) => row.rule_name),
  });
}

/** Deleting a rule that still has targets fails, as on AWS; deleting one that does not exist succeeds. */
export async function deleteRule(deps: Deps, input: Input) {
  const name = requireString(input, 'Name', { min: 1, max: 64, pattern: RULE_NAME });
  const bus = busNameFrom(input.EventBusName);
  await inTransaction(deps.db, async (trx) => {
    await requireBus(trx, bus);
    const target = await trx
      .selectFrom('eb_targets')
      .select('target_id')
      .where('bus_name', '=', bus)
      .where('rule_name', '=', name)
      .executeTakeFirst();
    if (target) throw validation("Rule can't be deleted since it has targets.");
    await trx.deleteFrom('eb_rules').where('bus_name', '=', bus).where('name', '=', name).execute();
  });
  return {};
}

export async function setRuleState(deps: Deps, input: Input, state: RuleState) {
  const name = requireString(input, 'Name', { min: 1, max: 64, pattern: RULE_NAME });
  const bus = busNameFrom(input.EventBusName);
  await requireBus(deps.db, bus);
  const result = await deps.db
    .updateTable('eb_rules')
    .set({ state })
    .where('bus_name', '=', bus)
    .where('name', '=', name)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw notFound(`Rule ${name} does not exist on EventBus ${bus}.`);
  return {};
}

const REQUIRED_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'detail-type'];

export async function testEventPattern(deps: Deps, input: Input) {
  const pattern = readPattern(deps, input);
  if (pattern === undefined) throw validation("1 validation error detected: Value null at 'eventPattern' failed to satisfy constraint: Member must not be null");
  const eventText = requireString(input, 'Event');
  let event: unknown;
  try {
    event = JSON.parse(eventText);
  } catch {
    throw validation('Parameter Event is not valid.');
  }
  if (!event || typeof event !== 'object' || Array.isArray(event) || REQUIRED_EVENT_FIELDS.some((f) => !(f in event))) {
    throw validation('Parameter Event is not valid.');
  }
  return { Result: matchesPattern(deps.pattern(pattern), event) };
}
