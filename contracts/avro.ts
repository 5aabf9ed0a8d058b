import { readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { PayMeshError } from './errors.ts';

/**
 * Avro contracts: the schema files in ./avro, the subjects they are registered
 * under, and the checks every message body passes, whether it arrived as Avro
 * or as the seed's JSON. Pure and synchronous: no registry, no I/O beyond
 * reading the schema files once.
 */

/**
 * Subjects (Confluent's RecordNameStrategy: the record's full name) and their
 * schema versions, oldest first. The last one is what PayMesh writes today.
 */
export const AVRO_SUBJECTS = {
  transactionEvent: {
    subject: 'TransactionEvent',
    versions: ['transaction-event.v1.avsc', 'transaction-event.v2.avsc'],
  },
} as const;

/** `content_type` message attribute values: how an SQS body is encoded. */
export const CONTENT_TYPES = {
  /** Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro binary), base64 for SQS. */
  avro: 'application/vnd.paymesh.avro',
  json: 'application/json',
} as const;

/**
 * Outbox drafts only: asks the relay's publisher to encode this JSON body as
 * Avro under the named subject when it sends it (messaging/avro-codec.ts).
 */
export const ENCODE_AS_AVRO_ATTRIBUTE = 'avro_subject';

/** A message body that does not match its contract. Permanent: redelivery will not fix it. */
export class InvalidMessageError extends PayMeshError {
  constructor(message: string, field?: string) {
    super('invalid_argument', 'INVALID_MESSAGE', message, field);
    this.name = 'InvalidMessageError';
  }
}

export function readAvroSchema(file: string): string {
  return readFileSync(path.join(import.meta.dirname, 'avro', file), 'utf8');
}

/** The newest schema of a subject: what PayMesh writes with today. */
export function currentSchemaFile(subject: { versions: readonly string[] }): string {
  return subject.versions[subject.versions.length - 1]!;
}

/**
 * Avro longs as JS bigints. avsc's default maps them to numbers, which would
 * silently round money above 2^53 minor units. (avsc's documented way to
 * customise long; see its wiki "Custom long types".)
 */
const BIGINT_LONG = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
  },
  fromJSON: (n: number | string) => BigInt(n),
  toJSON: (n: bigint) => (Number.isSafeInteger(Number(n)) ? Number(n) : n.toString()),
  isValid: (n: unknown) => typeof n === 'bigint' && n >= -(2n ** 63n) && n < 2n ** 63n,
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/** Parses a schema with longs as bigints. A fresh name registry per call, so one schema may be parsed many times. */
export function parseAvroSchema(text: string): avro.Type {
  return avro.Type.forSchema(JSON.parse(text), { registry: { long: BIGINT_LONG } });
}

export interface AvroContractOptions<T> {
  subject: string;
  /** The schema this side reads and writes with. */
  schema: string;
  /** Edge conversions the seed's JSON needs before the schema check (e.g. a missing map, an ISO time). */
  fromSeedJson?: (object: Record<string, unknown>) => Record<string, unknown>;
  /** Rules a schema cannot express (exact money); runs on every record read. Throws InvalidMessageError. */
  refine: (record: Record<string, unknown>) => T;
  /** The record to write for a value; by default the value itself (fields the schema lacks are ignored). */
  toRecord?: (value: T) => Record<string, unknown>;
}

/** One subject's schema plus the checks around it, shared by Avro and JSON bodies. */
export class AvroContract<T> {
  readonly subject: string;
  /** Canonical text of the schema, as registered. */
  readonly schema: string;
  readonly type: avro.Type;
  private readonly options: AvroContractOptions<T>;

  constructor(options: AvroContractOptions<T>) {
    this.options = options;
    this.subject = options.subject;
    this.type = parseAvroSchema(options.schema);
    this.schema = JSON.stringify(this.type.schema({ exportAttrs: true }));
  }

  /** A record decoded from Avro or built from JSON, checked against the schema and the contract's rules. */
  check(record: unknown): T {
    const problems: Array<{ field: string; text: string }> = [];
    this.type.isValid(record, {
      errorHook: (at: string[], value: unknown, type: avro.Type) => {
        const field = at.join('.') || '(record)';
        problems.push({ field, text: `${field} (${describe(value)} is not ${typeLabel(type)})` });
      },
    });
    if (problems.length > 0) {
      throw new InvalidMessageError(`message does not match ${this.subject}: ${problems.map((p) => p.text).join('; ')}`, problems[0]!.field);
    }
    return this.options.refine(record as Record<string, unknown>);
  }

  /** A JSON body (the seed's, or PayMesh's own JSON form) to a checked value. */
  fromJson(text: string): T {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new InvalidMessageError(`${this.subject} body is not valid JSON`);
    }
    if (!isObject(parsed)) throw new InvalidMessageError(`${this.subject} JSON body must be an object`);
    const prepared = this.options.fromSeedJson ? this.options.fromSeedJson(parsed) : parsed;
    return this.check(fromJsonValue(this.type, prepared));
  }

  /** The record to write for a value, checked. */
  record(value: T): Record<string, unknown> {
    const record = this.options.toRecord ? this.options.toRecord(value) : (value as Record<string, unknown>);
    this.check(record);
    return record;
  }

  /** PayMesh's JSON form of a value: what `fromJson` reads back. Longs become numbers when exact, else digit strings. */
  toJson(value: T): string {
    return JSON.stringify(this.record(value), (_key, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v));
  }
}

/**
 * JSON has no 64-bit integers and no way to say "use the default": turns whole
 * numbers and digit strings into bigints where the schema says long, and fills
 * missing fields that have a default. Everything else is left for the schema
 * check to judge. (avsc's own fromString expects Avro's JSON encoding, with
 * wrapped unions, which the seed's bodies are not.)
 */
function fromJsonValue(type: avro.Type, value: unknown): unknown {
  // Our bigint long is an avsc custom long, which calls itself 'abstract:long'.
  switch (type.typeName.replace(/^abstract:/, '')) {
    case 'long':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) return BigInt(value);
      return value;
    case 'record': {
      if (!isObject(value)) return value;
      const out: Record<string, unknown> = { ...value };
      for (const field of (type as avro.types.RecordType).fields) {
        if (!(field.name in out) && field.defaultValue() !== undefined) out[field.name] = field.defaultValue();
        else out[field.name] = fromJsonValue(field.type, out[field.name]);
      }
      return out;
    }
    case 'map':
      if (!isObject(value)) return value;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromJsonValue((type as avro.types.MapType).valuesType as avro.Type, v)]));
    case 'array':
      return Array.isArray(value) ? value.map((v) => fromJsonValue((type as unknown as { itemsType: avro.Type }).itemsType, v)) : value;
    case 'union:unwrapped': {
      if (value === null) return value;
      const branches = (type as avro.types.UnwrappedUnionType).types.filter((t) => t.typeName !== 'null');
      return branches.length === 1 ? fromJsonValue(branches[0]!, value) : value;
    }
    default:
      return value;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'bigint') return `${value}`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function typeLabel(type: avro.Type): string {
  return type.typeName.replace(/^abstract:/, '');
}
