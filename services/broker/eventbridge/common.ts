import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { NodeSqliteDatabase } from '../../../storage/node-sqlite-dialect.ts';
import { AwsError } from '../aws-error.ts';
import type { QueueDelivery, QueueTransactions } from '../ports.ts';
import { checkWildcardComplexity } from './pattern.ts';
import type { RoutingTable } from './routing-table.ts';
import type { EventBridgeSchema } from './schema.ts';

/** What every EventBridge action needs: the broker's database, identity, clock and log. */
export interface Deps {
  db: Kysely<EventBridgeSchema>;
  dialect: 'sqlite' | 'postgres';
  sqlite: NodeSqliteDatabase | undefined;
  accountId: string;
  region: string;
  log: Logger;
  queues: QueueDelivery & QueueTransactions;
  /** Buses, enabled rules, targets and archives, kept in memory (routing-table.ts). */
  routes: RoutingTable;
  now: () => number;
  /** Parsed, validated patterns by their text: rules are read far more often than written. */
  pattern(text: string): Record<string, unknown>;
  /** Asks the delivery worker to look for work now rather than at its next poll. */
  wake(): void;
}

export type Input = Record<string, unknown>;

export const DEFAULT_BUS = 'default';

// ---- ARNs ------------------------------------------------------------------

export function busArn(deps: Deps, bus: string): string {
  return `arn:aws:events:${deps.region}:${deps.accountId}:event-bus/${bus}`;
}

/** rule/<name> on the default bus, rule/<bus>/<name> on a custom one, as AWS forms it. */
export function ruleArn(deps: Deps, bus: string, rule: string): string {
  const path = bus === DEFAULT_BUS ? rule : `${bus}/${rule}`;
  return `arn:aws:events:${deps.region}:${deps.accountId}:rule/${path}`;
}

export function archiveArn(deps: Deps, name: string): string {
  return `arn:aws:events:${deps.region}:${deps.accountId}:archive/${name}`;
}

export function replayArn(deps: Deps, name: string): string {
  return `arn:aws:events:${deps.region}:${deps.accountId}:replay/${name}`;
}

/** The bus name in an `EventBusName` parameter, which may be a name or a bus ARN; `default` when absent. */
export function busNameFrom(value: unknown, field = 'EventBusName'): string {
  if (value === undefined || value === null || value === '') return DEFAULT_BUS;
  if (typeof value !== 'string') throw validation(`Parameter ${field} is not valid. Reason: it must be a string.`);
  if (value.startsWith('arn:')) return busNameFromArn(value, field);
  if (value.length > 256 || !/^[/.\-_A-Za-z0-9]+$/.test(value)) {
    throw validation(`1 validation error detected: Value '${value}' at '${lowerFirst(field)}' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+`);
  }
  return value;
}

export function busNameFromArn(arn: string, field: string): string {
  const match = /^arn:aws[\w-]*:events:[^:]*:[^:]*:event-bus\/([/.\-_A-Za-z0-9]+)$/.exec(arn);
  if (!match) throw validation(`Parameter ${field} is not valid. Reason: Provided Arn is not in correct format.`);
  return match[1]!;
}

export const SQS_ARN = /^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/;

// ---- Errors ----------------------------------------------------------------

export const validation = (message: string) => new AwsError('ValidationException', message);
export const notFound = (message: string) => new AwsError('ResourceNotFoundException', message);
export const alreadyExists = (message: string) => new AwsError('ResourceAlreadyExistsException', message);
export const limitExceeded = (message: string) => new AwsError('LimitExceededException', message);

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

// ---- Reading parameters ------------------------------------------------------

/** A string parameter checked as AWS's API model does, with its "1 validation error detected" wording. */
export function readString(
  input: Input,
  field: string,
  options: { required?: boolean; min?: number; max?: number; pattern?: RegExp } = {},
): string | undefined {
  const value = input[field];
  const name = lowerFirst(field);
  if (value === undefined || value === null) {
    if (options.required) {
      throw validation(`1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
    }
    return undefined;
  }
  if (typeof value !== 'string') throw new AwsError('SerializationException', `${field} must be a string`);
  if (options.min !== undefined && value.length < options.min) {
    throw validation(`1 validation error detected: Value '${value}' at '${name}' failed to satisfy constraint: Member must have length greater than or equal to ${options.min}`);
  }
  if (options.max !== undefined && value.length > options.max) {
    throw validation(`1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must have length less than or equal to ${options.max}`);
  }
  if (options.pattern && !options.pattern.test(value)) {
    throw validation(`1 validation error detected: Value '${value}' at '${name}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${options.pattern.source}`);
  }
  return value;
}

export function requireString(input: Input, field: string, options: { min?: number; max?: number; pattern?: RegExp } = {}): string {
  return readString(input, field, { ...options, required: true })!;
}

export function readInteger(input: Input, field: string, min: number, max: number): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new AwsError('SerializationException', `${field} must be an integer`);
  if (value < min || value > max) {
    throw validation(`1 validation error detected: Value '${value}' at '${lowerFirst(field)}' failed to satisfy constraint: Member must have value between ${min} and ${max}`);
  }
  return value;
}

/** The latest (and, negated, earliest) epoch ms a Date can hold; past it toISOString throws. */
const MAX_DATE_MS = 8.64e15;

/**
 * A timestamp parameter: AWS JSON 1.1 sends epoch seconds; ISO strings are accepted too. Returns epoch ms.
 * A number of seconds past what a date can hold (1e20) is refused here like any non-timestamp: rendering it later would throw.
 */
export function readTimestamp(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) throw validation(`Parameter ${field} is not valid. Reason: it must be a timestamp.`);
  return ms;
}

/** Epoch ms as the epoch seconds AWS JSON 1.1 returns for timestamps. */
export function seconds(ms: bigint | number | null | undefined): number | undefined {
  return ms === null || ms === undefined ? undefined : Number(ms) / 1000;
}

export function num(value: bigint | number): number {
  return Number(value);
}

/** Drops undefined fields, so responses carry only what is set (as AWS's do). */
export function compact<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

/** A validated EventPattern parameter (max 4096 characters, wildcards not too complex to match). */
export function readPattern(deps: Deps, input: Input, field = 'EventPattern'): string | undefined {
  const text = readString(input, field, { max: 4096 });
  if (text !== undefined) checkWildcardComplexity(deps.pattern(text));
  return text;
}

// ---- Pagination --------------------------------------------------------------

/** NextToken is the last name returned, opaque to callers. */
export function page(input: Input): { after: string | undefined; limit: number } {
  const limit = readInteger(input, 'Limit', 1, 100) ?? 100;
  const token = readString(input, 'NextToken', { max: 2048 });
  if (token === undefined) return { after: undefined, limit };
  try {
    const after = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof after !== 'string') throw new Error('bad token');
    return { after, limit };
  } catch {
    throw validation('The NextToken provided is not valid.');
  }
}

export function nextToken<T>(rows: T[], limit: number, name: (row: T) => string): string | undefined {
  if (rows.length <= limit) return undefined;
  return Buffer.from(JSON.stringify(name(rows[limit - 1]!))).toString('base64url');
}

/** `column` starts with `prefix`, case-sensitively on both databases (SQLite's LIKE ignores case). */
export function startsWith(column: string, prefix: string) {
  return sql<boolean>`substr(${sql.ref(column)}, 1, ${prefix.length}) = ${prefix}`;
}
