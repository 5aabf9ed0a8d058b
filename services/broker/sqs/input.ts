import { AwsError } from '../aws-error.ts';
import { badParameter, missingParameter } from './errors.ts';

/** An SQS request's parameters in the JSON protocol's shape (the query protocol is translated into it). */
export type Input = Record<string, unknown>;

function typeError(name: string, expected: string): AwsError {
  return new AwsError('InvalidParameterValue', `Value for parameter ${name} is invalid. Reason: it must be ${expected}.`);
}

export function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw typeError(name, 'a string');
  return value;
}

export function requiredString(input: Input, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined || value === '') throw missingParameter(name);
  return value;
}

/** An integer parameter within [min, max]; numeric strings (the query protocol's) are accepted. */
export function optionalInt(input: Input, name: string, min: number, max: number, reason?: string): number | undefined {
  const raw = input[name];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value)) throw badParameter(name, raw, 'Must be an integer.');
  if (value < min || value > max) throw badParameter(name, raw, reason ?? `Must be between ${min} and ${max}, if provided.`);
  return value;
}

export function optionalStringList(input: Input, name: string): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw typeError(name, 'a list of strings');
  return value as string[];
}

export function optionalObject(input: Input, name: string): Record<string, unknown> | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw typeError(name, 'a map');
  return value as Record<string, unknown>;
}

/** A string-to-string map parameter (queue Attributes, tags). */
export function optionalStringMap(input: Input, name: string): Record<string, string> | undefined {
  const value = optionalObject(input, name);
  if (value === undefined) return undefined;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw typeError(`${name}.${key}`, 'a string');
  }
  return value as Record<string, string>;
}

/** Drops undefined fields, so responses carry only what is set, as AWS's do. */
export function compact<T extends Record<string, unknown>>(object: T): T {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}
