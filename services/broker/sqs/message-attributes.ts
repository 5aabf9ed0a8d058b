import { createHash } from 'node:crypto';
import { invalidParameterValue } from './errors.ts';

/** A message attribute as the JSON protocol carries it; BinaryValue is base64. */
export interface AttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export type MessageAttributes = Record<string, AttributeValue>;

const MAX_ATTRIBUTES = 10;
/**
 * A message attribute name: "alphanumeric characters", underscore, hyphen and period, up to 256
 * characters (SQS developer guide, "Message attribute components"). Alphanumeric is Unicode's
 * letters and decimal digits, not only ASCII: SQS accepts `attr.1øßä` and refuses `§`, `!` or `?`
 * (recorded against SQS).
 */
const NAME = /^[\p{L}\p{Nd}_\-.]{1,256}$/u;
const TYPE = /^(String|Number|Binary)(\.[^\s]{1,255})?$/;

/** SQS's allowed characters in a body or string attribute (XML 1.0's Char production). */
const INVALID_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
export const ALLOWED_CHARACTERS = '#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF';

export function invalidCharacter(text: string): string | undefined {
  const match = INVALID_CHARACTER.exec(text);
  return match ? `#x${match[0].codePointAt(0)!.toString(16).toUpperCase()}` : undefined;
}

/** A decimal number SQS accepts: up to 38 significant digits, magnitude within 10^-128 .. 10^+126. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
function isSqsNumber(text: string): boolean {
  if (!NUMBER.test(text.trim())) return false;
  const value = Number(text);
  return Number.isFinite(value) && (value === 0 || (Math.abs(value) <= 1e126 && Math.abs(value) >= 1e-128));
}

/**
 * Validates MessageAttributes as SQS does (names, types with optional custom
 * suffix such as `String.foo`, values by type) and returns them normalised;
 * throws InvalidParameterValue with AWS's wording otherwise.
 */
export function readMessageAttributes(raw: unknown): MessageAttributes | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidParameterValue('MessageAttributes must be a map.');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  if (entries.length > MAX_ATTRIBUTES) {
    throw invalidParameterValue(`Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`);
  }
  const out: MessageAttributes = {};
  for (const [name, value] of entries) {
    if (!NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
      throw invalidParameterValue(`Message (user) attribute name '${name}' is invalid. The attribute name can contain alphanumeric characters, underscore (_), hyphen (-), and period (.) characters, must not start or end with a period, must not have consecutive periods, and can be up to 256 characters long.`);
    }
    if (/^(aws\.|amazon\.)/i.test(name)) {
      throw invalidParameterValue(`Message (user) attribute name '${name}' is invalid. The attribute name cannot start with the reserved prefix 'AWS.' or 'Amazon.'.`);
    }
    if (typeof value !== 'object' || value === null) throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute value.`);
    const v = value as Record<string, unknown>;
    const dataType = v.DataType;
    if (typeof dataType !== 'string' || dataType === '') {
      throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute type.`);
    }
    const typeMatch = TYPE.exec(dataType);
    if (!typeMatch) {
      throw invalidParameterValue(`The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    }
    if ((v.StringListValues as unknown[] | undefined)?.length || (v.BinaryListValues as unknown[] | undefined)?.length) {
      throw invalidParameterValue(`Message attribute list values in SendMessage operation are not supported.`);
    }
    const base = typeMatch[1]!;
    if (base === 'Binary') {
      const binary = v.BinaryValue;
      if (typeof binary !== 'string' || binary === '') {
        throw invalidParameterValue(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      }
      if (v.StringValue !== undefined && v.StringValue !== null) {
        throw invalidParameterValue(`Message (user) attribute '${name}' must contain exactly one of the fields: BinaryValue, StringValue.`);
      }
      out[name] = { DataType: dataType, BinaryValue: binary };
      continue;
    }
    const text = v.StringValue;
    if (typeof text !== 'string' || text === '') {
      throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${base}'.`);
    }
    if (v.BinaryValue !== undefined && v.BinaryValue !== null) {
      throw invalidParameterValue(`Message (user) attribute '${name}' must contain exactly one of the fields: BinaryValue, StringValue.`);
    }
    const bad = invalidCharacter(text);
    if (bad) throw invalidParameterValue(`Message (user) attribute '${name}' value contains invalid characters: ${bad}.`);
    if (base === 'Number' && !isSqsNumber(text)) {
      throw invalidParameterValue(`Can't cast the value of message (user) attribute '${name}' to a number.`);
    }
    out[name] = { DataType: dataType, StringValue: text };
  }
  return out;
}

/** The bytes an attribute counts towards the message size limit: name, type and value. */
export function attributesSize(attributes: MessageAttributes | undefined): number {
  if (!attributes) return 0;
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    size += value.BinaryValue !== undefined ? Buffer.from(value.BinaryValue, 'base64').length : Buffer.byteLength(value.StringValue ?? '');
  }
  return size;
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer[] {
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(bytes.length);
  return [length, bytes];
}

const STRING_TRANSPORT = Buffer.from([1]);
const BINARY_TRANSPORT = Buffer.from([2]);

/**
 * MD5OfMessageAttributes exactly as SQS computes it (SQS developer guide,
 * "Calculating the MD5 message digest for message attributes"): attributes
 * sorted by name, each encoded as length-prefixed name, length-prefixed type,
 * a transport byte (1 string/number, 2 binary) and the length-prefixed value.
 * Undefined when there are no attributes, as SQS omits it.
 */
export function md5OfAttributes(attributes: MessageAttributes | undefined): string | undefined {
  if (!attributes) return undefined;
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const value = attributes[name]!;
    for (const part of lengthPrefixed(Buffer.from(name, 'utf8'))) hash.update(part);
    for (const part of lengthPrefixed(Buffer.from(value.DataType, 'utf8'))) hash.update(part);
    if (value.BinaryValue !== undefined) {
      hash.update(BINARY_TRANSPORT);
      for (const part of lengthPrefixed(Buffer.from(value.BinaryValue, 'base64'))) hash.update(part);
    } else {
      hash.update(STRING_TRANSPORT);
      for (const part of lengthPrefixed(Buffer.from(value.StringValue ?? '', 'utf8'))) hash.update(part);
    }
  }
  return hash.digest('hex');
}

/**
 * The attributes a receive asked for: `All` or `.*` for every one, exact
 * names, and `prefix.*` for names starting with `prefix.`.
 */
export function selectAttributes(attributes: MessageAttributes | undefined, wanted: string[] | undefined): MessageAttributes | undefined {
  if (!attributes || !wanted || wanted.length === 0) return undefined;
  if (wanted.includes('All') || wanted.includes('.*')) return attributes;
  const out: MessageAttributes = {};
  let any = false;
  for (const [name, value] of Object.entries(attributes)) {
    const match = wanted.some((w) => (w.endsWith('.*') ? name.startsWith(w.slice(0, -1)) : name === w));
    if (match) {
      out[name] = value;
      any = true;
    }
  }
  return any ? out : undefined;
}

/** MessageSystemAttributes on send: only AWSTraceHeader, a String. Returns its value. */
export function readTraceHeader(raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidParameterValue('MessageSystemAttributes must be a map.');
  let trace: string | undefined;
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name !== 'AWSTraceHeader') throw invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
    const v = (value ?? {}) as Record<string, unknown>;
    if (v.DataType !== 'String') {
      throw invalidParameterValue(`The message system attribute 'AWSTraceHeader' must have the data type 'String'.`);
    }
    if (typeof v.StringValue !== 'string' || v.StringValue === '') {
      throw invalidParameterValue(`The message system attribute 'AWSTraceHeader' must contain a non-empty value.`);
    }
    trace = v.StringValue;
  }
  return trace;
}
