import { inTransaction } from '../../../storage/transaction.ts';
import { requireBus } from './buses.ts';
import {
  busNameFrom,
  compact,
  limitExceeded,
  nextToken,
  page,
  requireString,
  SQS_ARN,
  validation,
  type Deps,
  type Input,
} from './common.ts';
import { inputProblem, type InputTransformer } from './input-transform.ts';
import { requireRule, RULE_NAME } from './rules.ts';

/** AWS's limit of targets per rule. */
export const MAX_TARGETS_PER_RULE = 5;
/** AWS's retry defaults: 185 attempts over 24 hours. */
export const DEFAULT_MAX_RETRY_ATTEMPTS = 185;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 86_400;
const TARGET_ID = /^[.\-_A-Za-z0-9]+$/;

/** A target as stored and as ListTargetsByRule returns it. */
export interface TargetSpec {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
  SqsParameters?: { MessageGroupId?: string };
  DeadLetterConfig?: { Arn?: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
}

interface FailedEntry {
  TargetId: string;
  ErrorCode: string;
  ErrorMessage: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shape checks that fail the whole call (AWS's model validation); returns the stored form. */
function readTarget(raw: unknown, index: number): TargetSpec {
  if (!isObject(raw)) throw validation(`Targets[${index}] must be an object.`);
  const id = requireString(raw, 'Id', { min: 1, max: 64, pattern: TARGET_ID });
  const arn = requireString(raw, 'Arn', { min: 1, max: 1600 });
  const inputs = ['Input', 'InputPath', 'InputTransformer'].filter((k) => raw[k] !== undefined && raw[k] !== null);
  if (inputs.length > 1) throw validation('Only one of Input, InputPath, or InputTransformer must be provided.');
  const spec: TargetSpec = { Id: id, Arn: arn };
  for (const key of ['RoleArn', 'Input', 'InputPath'] as const) {
    const value = raw[key];
    if (value !== undefined && value !== null) {
      if (typeof value !== 'string') throw validation(`Targets[${index}].${key} must be a string.`);
      spec[key] = value;
    }
  }
  if (raw.InputTransformer !== undefined && raw.InputTransformer !== null) {
    if (!isObject(raw.InputTransformer)) throw validation(`Targets[${index}].InputTransformer must be an object.`);
    spec.InputTransformer = raw.InputTransformer as unknown as InputTransformer;
  }
  if (raw.SqsParameters !== undefined && raw.SqsParameters !== null) {
    if (!isObject(raw.SqsParameters)) throw validation(`Targets[${index}].SqsParameters must be an object.`);
    const group = raw.SqsParameters.MessageGroupId;
    if (group !== undefined && typeof group !== 'string') throw validation(`Targets[${index}].SqsParameters.MessageGroupId must be a string.`);
    spec.SqsParameters = group === undefined ? {} : { MessageGroupId: group };
  }
  if (raw.DeadLetterConfig !== undefined && raw.DeadLetterConfig !== null) {
    if (!isObject(raw.DeadLetterConfig)) throw validation(`Targets[${index}].DeadLetterConfig must be an object.`);
    const dlq = raw.DeadLetterConfig.Arn;
    if (dlq !== undefined && (typeof dlq !== 'string' || dlq.length < 1 || dlq.length > 1600)) {
      throw validation(`Targets[${index}].DeadLetterConfig.Arn must be a string of 1 to 1600 characters.`);
    }
    spec.DeadLetterConfig = dlq === undefined ? {} : { Arn: dlq };
  }
  if (raw.RetryPolicy !== undefined && raw.RetryPolicy !== null) {
    if (!isObject(raw.RetryPolicy)) throw validation(`Targets[${index}].RetryPolicy must be an object.`);
    const attempts = raw.RetryPolicy.MaximumRetryAttempts;
    const age = raw.RetryPolicy.MaximumEventAgeInSeconds;
    if (attempts !== undefined && (!Number.isInteger(attempts) || (attempts as number) < 0 || (attempts as number) > 185)) {
      throw validation(`1 validation error detected: Value '${attempts}' at 'targets.${index + 1}.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 185`);
    }
    if (age !== undefined && (!Number.isInteger(age) || (age as number) < 60 || (age as number) > 86_400)) {
      throw validation(`1 validation error detected: Value '${age}' at 'targets.${index + 1}.member.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 86400`);
    }
    spec.RetryPolicy = compact({ MaximumRetryAttempts: attempts as number | undefined, MaximumEventAgeInSeconds: age as number | undefined });
  }
  return spec;
}

/** Checks that fail only this target (PutTargets' FailedEntries). */
function targetProblem(spec: TargetSpec): string | undefined {
  if (!SQS_ARN.test(spec.Arn)) {
    return `Target ${spec.Arn} is not supported by the embedded broker: only SQS queue targets (arn:aws:sqs:<region>:<account>:<queue>) are delivered.`;
  }
  const input = inputProblem(spec);
  if (input) return input;
  const dlq = spec.DeadLetterConfig?.Arn;
  if (dlq !== undefined && (!SQS_ARN.test(dlq) || dlq.endsWith('.fifo'))) {
    return `DeadLetterConfig.Arn ${dlq} is not valid: it must be the ARN of a standard SQS queue.`;
  }
  if (spec.Arn.endsWith('.fifo') && !spec.SqsParameters?.MessageGroupId) {
    return 'Parameter(s) SqsParameters must be specified for FIFO queues.';
  }
  return undefined;
}

export async function putTargets(deps: Deps, input: Input) {
  const rule = requireString(input, 'Rule', { min: 1, max: 64, pattern: RULE_NAME });
  const bus = busNameFrom(input.EventBusName);
  const raw = input.Targets;
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > 10) {
    throw validation("1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 10");
  }
  const specs = raw.map(readTarget);
  const ids = new Set(specs.map((s) => s.Id));
  if (ids.size !== specs.length) throw validation('Targets must have unique Ids within one PutTargets call.');

  const failed: FailedEntry[] = [];
  const accepted: TargetSpec[] = [];
  for (const spec of specs) {
    const problem = targetProblem(spec);
    if (problem) failed.push({ TargetId: spec.Id, ErrorCode: 'ValidationException', ErrorMessage: problem });
    else accepted.push(spec);
  }

  await inTransaction(deps.db, async (trx) => {
    await requireBus(trx, bus);
    await requireRule(trx, bus, rule);
    const existing = await trx.selectFrom('eb_targets').select('target_id').where('bus_name', '=', bus).where('rule_name', '=', rule).execute();
    const after = new Set([...existing.map((t) => t.target_id), ...accepted.map((s) => s.Id)]);
    if (after.size > MAX_TARGETS_PER_RULE) throw limitExceeded('The requested resource exceeds the maximum number allowed.');
    const now = deps.now();
    for (const spec of accepted) {
      const row = { arn: spec.Arn, spec: JSON.stringify(spec) };
      await trx
        .insertInto('eb_targets')
        .values({ bus_name: bus, rule_name: rule, target_id: spec.Id, created_ms: now, ...row })
        .onConflict((oc) => oc.columns(['bus_name', 'rule_name', 'target_id']).doUpdateSet(row))
        .execute();
    }
  });
  return { FailedEntryCount: failed.length, FailedEntries: failed };
}

export async function listTargetsByRule(deps: Deps, input: Input) {
  const rule = requireString(input, 'Rule', { min: 1, max: 64, pattern: RULE_NAME });
  const bus = busNameFrom(input.EventBusName);
  const { after, limit } = page(input);
  await requireBus(deps.db, bus);
  await requireRule(deps.db, bus, rule);
  let query = deps.db.selectFrom('eb_targets').select(['target_id', 'spec']).where('bus_name', '=', bus).where('rule_name', '=', rule);
  if (after !== undefined) query = query.where('target_id', '>', after);
  const rows = await query.orderBy('target_id').limit(limit + 1).execute();
  return compact({
    Targets: rows.slice(0, limit).map((row) => JSON.parse(row.spec) as TargetSpec),
    NextToken: nextToken(rows, limit, (row) => row.target_id),
  });
}

/** Removes targets by Id; an Id the rule does not have is reported as a failed entry. */
export async function removeTargets(deps: Deps, input: Input) {
  const rule = requireString(input, 'Rule', { min: 1, max: 64, pattern: RULE_NAME });
  const bus = busNameFrom(input.EventBusName);
  const ids = input.Ids;
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100 || ids.some((id) => typeof id !== 'string' || !TARGET_ID.test(id) || id.length > 64)) {
    throw validation("1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and 100 and contain valid target Ids");
  }
  const failed: FailedEntry[] = [];
  await inTransaction(deps.db, async (trx) => {
    await requireBus(trx, bus);
    await requireRule(trx, bus, rule);
    for (const id of ids as string[]) {
      const result = await trx
        .deleteFrom('eb_targets')
        .where('bus_name', '=', bus)
        .where('rule_name', '=', rule)
        .where('target_id', '=', id)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) {
        failed.push({ TargetId: id, ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Target ${id} does not exist on rule ${rule}.` });
      }
    }
  });
  return { FailedEntryCount: failed.length, FailedEntries: failed };
}
