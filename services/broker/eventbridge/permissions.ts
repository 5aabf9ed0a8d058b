import { inTransaction } from '../../../storage/transaction.ts';
import { AwsError } from '../aws-error.ts';
import { requireBus } from './buses.ts';
import { busArn, busNameFrom, notFound, readString, requireString, validation, type Deps, type Input } from './common.ts';

/**
 * A bus's resource policy: PutPermission and RemovePermission (API reference),
 * shown as `Policy` by DescribeEventBus and ListEventBuses. The broker keeps
 * the document as AWS shows it and enforces none of it: every caller is the
 * broker's one account. It is kept so that what infrastructure code grants
 * reads back as on AWS.
 */

/** "Event bus policy size: 10,240 characters" (user guide, "Amazon EventBridge quotas"). */
export const MAX_POLICY_CHARACTERS = 10_240;
const STATEMENT_ID = /^[a-zA-Z0-9-_]+$/;
const ACTION = /^events:[a-zA-Z]+$/;
const PRINCIPAL = /^(\d{12}|\*)$/;
/** Tries of a policy change that other changes keep overtaking before ConcurrentModificationException. */
const ATTEMPTS = 10;

interface PolicyDocument {
  Version?: unknown;
  Statement?: unknown;
  [key: string]: unknown;
}

interface Statement {
  Sid?: unknown;
  [key: string]: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Either the legacy form, one statement granting `Action` (only
 * events:PutEvents) to `Principal` (an account id or `*`, optionally limited
 * by a `Condition` on aws:PrincipalOrgID), which replaces the statement of the
 * same `StatementId` or joins the others; or `Policy`, a whole document that
 * replaces the bus's policy.
 */
export async function putPermission(deps: Deps, input: Input) {
  const bus = busNameFrom(input.EventBusName);
  const policyText = readString(input, 'Policy', { min: 1 });
  if (policyText !== undefined) {
    const legacy = ['StatementId', 'Action', 'Principal', 'Condition'].filter((field) => input[field] !== undefined && input[field] !== null);
    if (legacy.length > 0) throw validation(`Parameter Policy cannot be used together with ${legacy.join(', ')}.`);
    let document: unknown;
    try {
      document = JSON.parse(policyText);
    } catch {
      throw validation('Parameter Policy is not valid. Reason: it is not valid JSON.');
    }
    if (!isObject(document)) throw validation('Parameter Policy is not valid. Reason: it must be a JSON object.');
    await changePolicy(deps, bus, () => document as PolicyDocument);
    return {};
  }

  const statementId = requireString(input, 'StatementId', { min: 1, max: 64, pattern: STATEMENT_ID });
  const action = requireString(input, 'Action', { min: 1, max: 64, pattern: ACTION });
  if (action !== 'events:PutEvents') throw validation(`Parameter Action is not valid. Reason: only events:PutEvents can be granted, not ${action}.`);
  const principal = requireString(input, 'Principal', { min: 1, max: 12, pattern: PRINCIPAL });
  const condition = readCondition(input.Condition);
  // The statement as AWS writes it, its keys in AWS's order.
  const statement: Statement = {
    Sid: statementId,
    Effect: 'Allow',
    Principal: principal === '*' ? '*' : { AWS: `arn:aws:iam::${principal}:root` },
    Action: action,
    Resource: busArn(deps, bus),
    ...(condition ? { Condition: { [condition.Type]: { [condition.Key]: condition.Value } } } : {}),
  };
  await changePolicy(deps, bus, (current) => {
    const statements = statementsOf(current);
    const at = statements.findIndex((s) => s.Sid === statementId);
    if (at >= 0) statements[at] = statement;
    else statements.push(statement);
    return { ...current, Version: current?.Version ?? '2012-10-17', Statement: statements };
  });
  return {};
}

/** Removes one statement by its id, or with RemoveAllPermissions the whole policy. */
export async function removePermission(deps: Deps, input: Input) {
  const bus = busNameFrom(input.EventBusName);
  const removeAll = input.RemoveAllPermissions;
  if (removeAll !== undefined && removeAll !== null && typeof removeAll !== 'boolean') {
    throw new AwsError('SerializationException', 'RemoveAllPermissions must be a boolean');
  }
  const statementId = readString(input, 'StatementId', { min: 1, max: 64, pattern: STATEMENT_ID });
  if (removeAll === true) {
    await changePolicy(deps, bus, (current) => {
      if (!current) throw notFound('EventBus does not have a policy.');
      return undefined;
    });
    return {};
  }
  if (statementId === undefined) throw validation('Parameter StatementId must be specified unless RemoveAllPermissions is true.');
  await changePolicy(deps, bus, (current) => {
    const statements = statementsOf(current);
    const remaining = statements.filter((s) => s.Sid !== statementId);
    if (remaining.length === statements.length) throw notFound('Statement with the provided id does not exist.');
    // The last statement gone, the bus has no policy (DescribeEventBus shows none).
    return remaining.length === 0 ? undefined : { ...current, Statement: remaining };
  });
  return {};
}

function readCondition(value: unknown): { Type: string; Key: string; Value: string } | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new AwsError('SerializationException', 'Condition must be an object');
  const condition = {
    Type: requireString(value, 'Type', { min: 1, max: 256 }),
    Key: requireString(value, 'Key', { min: 1, max: 256 }),
    Value: requireString(value, 'Value', { min: 1, max: 256 }),
  };
  // The only condition PutPermission knows (API reference, Condition).
  if (condition.Type !== 'StringEquals') throw validation('Parameter Condition is not valid. Reason: Type must be StringEquals.');
  if (condition.Key !== 'aws:PrincipalOrgID') throw validation('Parameter Condition is not valid. Reason: Key must be aws:PrincipalOrgID.');
  return condition;
}

function statementsOf(document: PolicyDocument | undefined): Statement[] {
  const statement = document?.Statement;
  if (Array.isArray(statement)) return statement.filter(isObject) as Statement[];
  return isObject(statement) ? [statement as Statement] : [];
}

/**
 * Applies `change` to the bus's policy (undefined: none; returning undefined
 * removes it). Compare-and-set on the stored text, portable to both
 * databases: a change that another one overtook between read and write is
 * made again on the new policy, so none is lost.
 */
async function changePolicy(
  deps: Deps,
  bus: string,
  change: (current: PolicyDocument | undefined) => PolicyDocument | undefined,
): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const applied = await inTransaction(deps.db, async (trx) => {
      await requireBus(trx, bus);
      const row = await trx.selectFrom('eb_bus_policies').select('policy').where('bus_name', '=', bus).executeTakeFirst();
      const next = change(row ? (JSON.parse(row.policy) as PolicyDocument) : undefined);
      if (next === undefined) {
        if (!row) return true;
        const result = await trx.deleteFrom('eb_bus_policies').where('bus_name', '=', bus).where('policy', '=', row.policy).executeTakeFirst();
        return Number(result.numDeletedRows) === 1;
      }
      const policy = JSON.stringify(next);
      if (policy.length > MAX_POLICY_CHARACTERS) {
        throw new AwsError('PolicyLengthExceededException', `The event bus policy would be ${policy.length} characters; the quota is ${MAX_POLICY_CHARACTERS}.`);
      }
      const now = deps.now();
      if (!row) {
        const result = await trx
          .insertInto('eb_bus_policies')
          .values({ bus_name: bus, policy, modified_ms: now })
          .onConflict((oc) => oc.column('bus_name').doNothing())
          .executeTakeFirst();
        return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
      }
      const result = await trx
        .updateTable('eb_bus_policies')
        .set({ policy, modified_ms: now })
        .where('bus_name', '=', bus)
        .where('policy', '=', row.policy)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
    if (applied) return;
    // Overtaken: let the change that won finish before reading the policy again.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
  }
  throw new AwsError('ConcurrentModificationException', 'The event bus policy kept changing while this change was made; try again.');
}
