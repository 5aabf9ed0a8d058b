import { AwsError } from '../aws-error.ts';
import { expandDottedKeys, jsonShape, splitDottedKeys } from './dotted-keys.ts';
import { cidrContains, parseCidr } from './ip.ts';
import { MAX_WILDCARD_COMPLEXITY, wildcardComplexity } from './pattern-complexity.ts';

/**
 * EventBridge event patterns: validation with AWS's error messages, and matching.
 *
 * Hand-written on purpose: npm has no well-kept EventBridge pattern matcher (the
 * few packages that exist are single-author with a handful of downloads and
 * cover part of the syntax), and AWS's own engine, aws/event-ruler, is Java.
 * The semantics and the validation messages follow event-ruler's
 * JsonRuleCompiler and the EventBridge user guide ("Content filtering in event
 * patterns", "Arrays in event patterns", "Matching null values"); the tests in
 * test/pattern.test.ts are taken from the guide's examples.
 *
 * Matching rules in brief:
 * - a pattern is an object; every key must match (AND); `$or` holds 2+ objects of which one must match;
 * - a key's value is a nested pattern object or an array of conditions, of which one must match (OR);
 * - conditions apply to leaf values only: when the event value is an array, any element may match;
 *   arrays of objects are matched element by element, so two fields must come from the same element
 *   (event-ruler's "array-consistent" matching);
 * - every condition except `{ "exists": false }` needs the field to be present;
 * - a key with dots names the nested field it spells, in patterns and in events (dotted-keys.ts).
 *
 * A pattern whose wildcards are too costly to match is refused as AWS refuses
 * it (pattern-complexity.ts).
 */

const PREFIX = 'Event pattern is not valid. Reason: ';
/** Field names that are operators and so cannot be field names inside `$or` (event-ruler's reserved list). */
const RESERVED_IN_OR = new Set([
  'exact',
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'cidr',
  'exists',
]);
/** event-ruler compares numbers with six decimal digits, within ±5.0e9. */
const NUMERIC_LIMIT = 5e9;
const NUMERIC_SCALE = 1e6;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(reason: string): AwsError {
  return new AwsError('InvalidEventPatternException', `${PREFIX}${reason}`);
}

/**
 * Parses and validates an EventPattern string; throws InvalidEventPatternException as AWS does.
 * The pattern returned has its dotted keys split into nested objects, ready for matchesPreparedEvent.
 * How costly its wildcards are is checkWildcardComplexity's business.
 */
export function parseEventPattern(text: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(`Filter is not valid JSON: ${(err as Error).message}`);
  }
  validateEventPattern(parsed);
  return splitDottedKeys(parsed);
}

/** Throws InvalidEventPatternException (with AWS's reason text) unless `pattern` is a valid event pattern. */
export function validateEventPattern(pattern: unknown): asserts pattern is JsonObject {
  if (!isObject(pattern)) throw invalid('Filter is not an object');
  validateObject(pattern, false);
}

function validateObject(object: JsonObject, insideOr: boolean): void {
  const keys = Object.keys(object);
  if (keys.length === 0) throw invalid('Empty objects are not allowed');
  for (const key of keys) {
    const value = object[key];
    if (key === '$or') {
      validateOr(value);
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(key)) {
      throw invalid(`${key} is Ruler reserved fieldName which cannot be used inside $or.`);
    }
    if (Array.isArray(value)) validateConditions(value);
    else if (isObject(value)) validateObject(value, insideOr);
    else throw invalid(`"${key}" must be an object or an array`);
  }
}

function validateOr(value: Json | undefined): void {
  if (!Array.isArray(value)) throw invalid('It must be an Array followed with $or.');
  for (const branch of value) {
    if (!isObject(branch)) throw invalid('Only JSON object is allowed in array of $or relationship.');
    validateObject(branch, true);
  }
  if (value.length < 2) throw invalid('There must have at least 2 Objects in $or relationship.');
}

function validateConditions(conditions: Json[]): void {
  if (conditions.length === 0) throw invalid('Empty arrays are not allowed');
  for (const condition of conditions) {
    if (condition === null || typeof condition !== 'object') continue;
    if (Array.isArray(condition)) throw invalid('Match value must be String, number, true, false, or null');
    validateMatchExpression(condition);
  }
}

function validateMatchExpression(expression: JsonObject): void {
  const keys = Object.keys(expression);
  if (keys.length === 0) throw invalid('Match expression name not found');
  const name = keys[0]!;
  const value = expression[name]!;
  // Like event-ruler's streaming parser: the first operator is checked in full before a second key is noticed.
  validateOperator(name, value);
  if (keys.length > 1) {
    throw invalid(name === 'numeric' || name === 'anything-but' ? 'Too many elements in numeric expression' : 'Only one key allowed in match expression');
  }
}

/**
 * Throws InvalidEventPatternException, with AWS's text, when a valid pattern's
 * wildcards are too costly to match (pattern-complexity.ts): scored per field
 * path (dotted and nested keys joined alike, `$or` branches together), as
 * event-ruler scores each field's machine, the worst field deciding. Checked
 * where a pattern comes in (PutRule, TestEventPattern, archives), not when
 * stored rules are read back, so a rule stored before the check stays routable.
 */
export function checkWildcardComplexity(pattern: Record<string, unknown>): void {
  const byField = new Map<string, string[][]>();
  collectWildcards(pattern as JsonObject, '', byField);
  for (const operands of byField.values()) {
    if (wildcardComplexity(operands, MAX_WILDCARD_COMPLEXITY + 1) > MAX_WILDCARD_COMPLEXITY) {
      throw invalid('Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character');
    }
  }
}

function collectWildcards(object: JsonObject, path: string, byField: Map<string, string[][]>): void {
  for (const [key, value] of Object.entries(object)) {
    if (key === '$or') {
      if (Array.isArray(value)) for (const branch of value) if (isObject(branch)) collectWildcards(branch, path, byField);
      continue;
    }
    const field = path === '' ? key : `${path}.${key}`;
    if (isObject(value)) collectWildcards(value, field, byField);
    else if (Array.isArray(value)) for (const condition of value) if (isObject(condition)) addWildcards(condition, field, byField);
  }
}

/** A condition's `wildcard` operand, or its `anything-but` `wildcard` operands (one or a list), as literal pieces. */
function addWildcards(condition: JsonObject, field: string, byField: Map<string, string[][]>): void {
  const but = condition['anything-but'];
  const butWildcard = isObject(but) ? but.wildcard : undefined;
  const operands = [condition.wildcard, ...(Array.isArray(butWildcard) ? butWildcard : [butWildcard])].filter((w): w is string => typeof w === 'string');
  if (operands.length === 0) return;
  let list = byField.get(field);
  if (!list) byField.set(field, (list = []));
  for (const operand of operands) list.push(compileWildcard(operand));
}

function validateOperator(name: string, value: Json): void {
  switch (name) {
    case 'exact':
      if (typeof value !== 'string') throw invalid('exact match pattern must be a string');
      return;
    case 'prefix':
    case 'suffix':
      if (isObject(value)) return validateIgnoreCaseInside(name, value);
      if (typeof value !== 'string') throw invalid(`${name} match pattern must be a string`);
      return;
    case 'equals-ignore-case':
      if (typeof value !== 'string') throw invalid('equals-ignore-case match pattern must be a string');
      return;
    case 'wildcard':
      if (typeof value !== 'string') throw invalid('wildcard match pattern must be a string');
      compileWildcard(value);
      return;
    case 'numeric':
      compileNumeric(value);
      return;
    case 'cidr': {
      if (typeof value !== 'string') throw invalid('prefix match pattern must be a string');
      const block = parseCidr(value);
      if (typeof block === 'string') throw invalid(block);
      return;
    }
    case 'exists':
      if (typeof value !== 'boolean') throw invalid('exists match pattern must be either true or false.');
      return;
    case 'anything-but':
      return validateAnythingBut(value);
    default:
      throw invalid(`Unrecognized match type ${name}`);
  }
}

function validateIgnoreCaseInside(op: 'prefix' | 'suffix', value: JsonObject): void {
  const keys = Object.keys(value);
  if (keys.length === 0) throw invalid(`${op === 'prefix' ? 'Prefix' : 'Suffix'} expression name not found`);
  if (keys[0] !== 'equals-ignore-case') throw invalid(`Unsupported ${op} pattern: ${keys[0]}`);
  if (typeof value['equals-ignore-case'] !== 'string') throw invalid('equals-ignore-case match pattern must be a string');
  if (keys.length > 1) throw invalid('Only one key allowed in match expression');
}

function validateAnythingBut(value: Json): void {
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) throw invalid('Anything-But expression name not found');
    const op = keys[0]!;
    if (!['equals-ignore-case', 'prefix', 'suffix', 'wildcard'].includes(op)) {
      throw invalid(`Unsupported anything-but pattern: ${op}`);
    }
    const inner = value[op]!;
    const values = Array.isArray(inner) ? inner : [inner];
    if (!Array.isArray(inner) && typeof inner !== 'string' && typeof inner !== 'number') {
      throw invalid('Value of anything-but must be an array or single string/number value.');
    }
    for (const v of values) {
      if (typeof v !== 'string') {
        if (op === 'equals-ignore-case') {
          throw invalid('Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.');
        }
        throw invalid(op === 'wildcard' ? 'wildcard match pattern must be a string' : 'prefix/suffix match pattern must be a string');
      }
      if ((op === 'prefix' || op === 'suffix') && v === '') throw invalid('Null prefix/suffix not allowed');
      if (op === 'wildcard') compileWildcard(v);
    }
    if (keys.length > 1) throw invalid('Too many elements in numeric expression');
    return;
  }
  if (Array.isArray(value)) {
    let strings = 0;
    let numbers = 0;
    for (const v of value) {
      if (typeof v === 'string') strings++;
      else if (typeof v === 'number') {
        numbers++;
        comparable(v);
      } else throw invalid('Inside anything but list, start|null|boolean is not supported.');
    }
    if ((strings > 0) === (numbers > 0)) {
      throw invalid('Inside anything but list, either all values are number or string, mixed type is not supported');
    }
    return;
  }
  if (typeof value === 'number') {
    comparable(value);
    return;
  }
  if (typeof value !== 'string') throw invalid('Value of anything-but must be an array or single string/number value.');
}

/** A number as event-ruler compares it: six decimal digits, within ±5.0e9. */
function comparable(n: number): number {
  if (!Number.isFinite(n) || n < -NUMERIC_LIMIT || n > NUMERIC_LIMIT) {
    throw invalid('Value must be between -5.0E9 and 5.0E9, inclusive');
  }
  return Math.round(n * NUMERIC_SCALE);
}

function comparableOrUndefined(n: number): number | undefined {
  return Number.isFinite(n) && n >= -NUMERIC_LIMIT && n <= NUMERIC_LIMIT ? Math.round(n * NUMERIC_SCALE) : undefined;
}

interface NumericRange {
  equals?: number;
  lower?: { value: number; open: boolean };
  upper?: { value: number; open: boolean };
}

/** Validates `numeric`'s operand and compiles it into a range: [op, n] or [>|>=, n, <|<=, m]. */
function compileNumeric(value: Json): NumericRange {
  if (!Array.isArray(value)) throw invalid('Value of numeric must be an array.');
  const [op, operand, op2, operand2, ...rest] = value;
  if (typeof op !== 'string') throw invalid(`Invalid member in numeric match: ${op === undefined ? ']' : JSON.stringify(op)}`);
  if (!['=', '<', '<=', '>', '>='].includes(op)) throw invalid(`Unrecognized numeric range operator: ${op}`);
  if (typeof operand !== 'number') throw invalid(`Value of ${op === '=' ? 'equals' : op} must be numeric`);
  const n = comparable(operand);
  if (op === '=' || op === '<' || op === '<=') {
    if (value.length > 2) throw invalid('Too many elements in numeric expression');
    if (op === '=') return { equals: n };
    return { upper: { value: n, open: op === '<' } };
  }
  const lower = { value: n, open: op === '>' };
  if (value.length === 2) return { lower };
  if (typeof op2 !== 'string') throw invalid(`Bad value in numeric range: ${JSON.stringify(op2)}`);
  if (op2 !== '<' && op2 !== '<=') throw invalid(`Bad numeric range operator: ${op2}`);
  if (typeof operand2 !== 'number') throw invalid(`Value of ${op2} must be numeric`);
  if (rest.length > 0) throw invalid('Too many terms in numeric range expression');
  const m = comparable(operand2);
  if (m <= n) throw invalid('Bottom must be less than top');
  return { lower, upper: { value: m, open: op2 === '<' } };
}

function inRange(range: NumericRange, value: number): boolean {
  const n = comparableOrUndefined(value);
  if (n === undefined) return false;
  if (range.equals !== undefined) return n === range.equals;
  if (range.lower && (range.lower.open ? n <= range.lower.value : n < range.lower.value)) return false;
  if (range.upper && (range.upper.open ? n >= range.upper.value : n > range.upper.value)) return false;
  return true;
}

/**
 * A wildcard pattern as its literal pieces between unescaped `*`s. `\*` is a
 * literal asterisk, `\\` a literal backslash; any other escape and `**` are
 * invalid (event-ruler's rules). Matching walks the pieces left to right, so
 * it is linear in the value and cannot backtrack catastrophically.
 */
function compileWildcard(pattern: string): string[] {
  const pieces: string[] = [''];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') throw invalid(`Invalid escape character at pos ${i}`);
      pieces[pieces.length - 1] += next;
      i++;
    } else if (ch === '*') {
      if (pattern[i + 1] === '*') throw invalid(`Consecutive wildcard characters at pos ${i + 1}`);
      pieces.push('');
    } else {
      pieces[pieces.length - 1] += ch;
    }
  }
  return pieces;
}

function wildcardMatches(pieces: string[], value: string): boolean {
  if (pieces.length === 1) return value === pieces[0];
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let position = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]!;
    const found = value.indexOf(piece, position);
    if (found < 0 || found + piece.length > end) return false;
    position = found + piece.length;
  }
  return true;
}

// Compiled wildcard and numeric operands, cached by their JSON text: rules are matched far more often than written.
const wildcardCache = new Map<string, string[]>();
const numericCache = new Map<string, NumericRange>();

function cached<T>(cache: Map<string, T>, key: string, build: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = build();
    if (cache.size >= 1000) cache.delete(cache.keys().next().value!);
    cache.set(key, value);
  }
  return value;
}

function wildcard(pattern: string, value: string): boolean {
  return wildcardMatches(cached(wildcardCache, pattern, () => compileWildcard(pattern)), value);
}

const lower = (s: string) => s.toLowerCase();

/**
 * Whether `event` matches `pattern`, for any pattern that passed
 * `validateEventPattern` and any event: dotted keys on either side are brought
 * to the nested form first. An invalid pattern never throws here, it just does
 * not match. PutEvents, which matches one event against many rules, prepares
 * both sides once (parseEventPattern, matchableEvent) and calls
 * matchesPreparedEvent instead.
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) return false;
  return matchesPreparedEvent(splitDottedKeys(pattern), matchableEvent(event));
}

/** `pattern` from parseEventPattern, `event` from matchableEvent: the hot path, with nothing to prepare. */
export function matchesPreparedEvent(pattern: Record<string, unknown>, event: unknown): boolean {
  try {
    return matchObject(pattern as JsonObject, event);
  } catch {
    return false;
  }
}

/**
 * Deeper than this, an event is matched as it is (its dotted keys left as
 * they are) rather than expanded by a recursive copy. PutEvents refuses
 * details nested deeper than AWS processes (put-events.ts), so its events
 * never come near it.
 */
const MAX_EXPANDED_DEPTH = 2000;

/**
 * The event as patterns see it: the same object when no key has a dot (the
 * usual case, nothing copied), else a copy with dotted keys expanded (dotted-keys.ts).
 */
export function matchableEvent<T>(event: T): T {
  const { depth, dottedKeys } = jsonShape(event);
  return dottedKeys && depth <= MAX_EXPANDED_DEPTH ? (expandDottedKeys(event) as T) : event;
}

function matchObject(pattern: JsonObject, event: unknown): boolean {
  // Arrays of objects are "crushed out": the pattern must match within one element.
  if (Array.isArray(event)) return event.some((element) => matchObject(pattern, element));
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(expected) || !expected.some((branch) => isObject(branch) && matchObject(branch, event))) return false;
      continue;
    }
    const actual = isObject(event) && Object.hasOwn(event, key) ? event[key] : undefined;
    if (Array.isArray(expected)) {
      if (!matchConditions(expected, leavesOf(actual))) return false;
    } else if (isObject(expected)) {
      if (!matchObject(expected, actual)) return false;
    } else {
      return false;
    }
  }
  return true;
}

/** The leaf values at a field: a scalar, or the scalars of a (nested) array. Objects are not leaves. */
function leavesOf(value: unknown): unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((element) => (Array.isArray(element) ? leavesOf(element) : isObject(element) ? [] : [element]));
  if (isObject(value)) return [];
  return [value];
}

function matchConditions(conditions: Json[], leaves: unknown[]): boolean {
  return conditions.some((condition) => {
    if (isObject(condition) && Object.hasOwn(condition, 'exists')) {
      return condition.exists === true ? leaves.length > 0 : leaves.length === 0;
    }
    return leaves.some((leaf) => matchCondition(condition, leaf));
  });
}

function matchCondition(condition: Json, leaf: unknown): boolean {
  if (!isObject(condition)) {
    if (typeof condition === 'number') return typeof leaf === 'number' && numbersEqual(condition, leaf);
    return leaf === condition;
  }
  const [op] = Object.keys(condition);
  const operand = condition[op!]!;
  const text = typeof leaf === 'string' ? leaf : undefined;
  switch (op) {
    case 'exact':
      return text === operand;
    case 'prefix':
      if (text === undefined) return false;
      if (isObject(operand)) return lower(text).startsWith(lower(String(operand['equals-ignore-case'])));
      return text.startsWith(String(operand));
    case 'suffix':
      if (text === undefined) return false;
      if (isObject(operand)) return lower(text).endsWith(lower(String(operand['equals-ignore-case'])));
      return text.endsWith(String(operand));
    case 'equals-ignore-case':
      return text !== undefined && lower(text) === lower(String(operand));
    case 'wildcard':
      return text !== undefined && wildcard(String(operand), text);
    case 'numeric':
      return typeof leaf === 'number' && inRange(cached(numericCache, JSON.stringify(operand), () => compileNumeric(operand)), leaf);
    case 'cidr': {
      if (text === undefined) return false;
      const block = parseCidr(String(operand));
      return typeof block !== 'string' && cidrContains(block, text);
    }
    case 'anything-but':
      return !anythingButExcludes(operand, leaf);
    default:
      return false;
  }
}

function numbersEqual(a: number, b: number): boolean {
  if (a === b) return true;
  const ca = comparableOrUndefined(a);
  return ca !== undefined && ca === comparableOrUndefined(b);
}

/** Whether an anything-but operand names this leaf (and so the leaf does not match). */
function anythingButExcludes(operand: Json, leaf: unknown): boolean {
  if (isObject(operand)) {
    const [op] = Object.keys(operand);
    const inner = operand[op!]!;
    const values = (Array.isArray(inner) ? inner : [inner]).map(String);
    if (typeof leaf !== 'string') return false;
    switch (op) {
      case 'prefix':
        return values.some((v) => leaf.startsWith(v));
      case 'suffix':
        return values.some((v) => leaf.endsWith(v));
      case 'equals-ignore-case':
        return values.some((v) => lower(v) === lower(leaf));
      case 'wildcard':
        return values.some((v) => wildcard(v, leaf));
      default:
        return false;
    }
  }
  const values = Array.isArray(operand) ? operand : [operand];
  return values.some((v) => (typeof v === 'number' ? typeof leaf === 'number' && numbersEqual(v, leaf) : v === leaf));
}
