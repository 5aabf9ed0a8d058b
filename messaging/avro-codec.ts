import type { SQSClient } from '@aws-sdk/client-sqs';
import type avro from 'avsc';
import { CONTENT_TYPES, ENCODE_AS_AVRO_ATTRIBUTE, InvalidMessageError, parseAvroSchema, type AvroContract } from '../contracts/avro.ts';
import { PayMeshError } from '../contracts/errors.ts';
import type { QueueDirectory } from './queue-directory.ts';
import { ATTR, QueuePublisher, type BatchResult, type OutgoingMessage } from './queue-publisher.ts';

/** Confluent's wire format: magic byte 0, then the schema id as a 4-byte big-endian integer, then Avro binary. */
export const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function frame(schemaId: number, payload: Buffer): Buffer {
  const framed = Buffer.alloc(HEADER_BYTES + payload.length);
  framed.writeUInt8(MAGIC_BYTE, 0);
  framed.writeUInt32BE(schemaId, 1);
  payload.copy(framed, HEADER_BYTES);
  return framed;
}

export function unframe(framed: Buffer): { schemaId: number; payload: Buffer } {
  if (framed.length < HEADER_BYTES || framed.readUInt8(0) !== MAGIC_BYTE) throw new InvalidMessageError('body is not framed Avro (magic byte 0 and a schema id missing)');
  return { schemaId: framed.readUInt32BE(1), payload: framed.subarray(HEADER_BYTES) };
}

export interface SchemaRegistryClientOptions {
  /** Per request; a registry that hangs must not hang a consumer. */
  timeoutMs?: number;
}

/**
 * A client of the schema registry's Confluent-style REST API. Ids name
 * immutable schemas, so what it learned is cached for the life of the
 * process: once warm, a registry outage does not stop encoding or decoding.
 * Failed look-ups are not cached, so the next message tries again.
 */
export class SchemaRegistryClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly ids = new Map<string, Promise<number>>();
  private readonly schemas = new Map<number, Promise<string>>();

  constructor(baseUrl: string, options: SchemaRegistryClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Registers a schema under a subject (or finds it, if it is already there) and returns its id. */
  register(subject: string, schema: string): Promise<number> {
    return this.cached(this.ids, `${subject}\n${schema}`, () =>
      this.call<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema }).then((r) => r.id),
    );
  }

  /** The schema text an id names. */
  schemaById(id: number): Promise<string> {
    return this.cached(this.schemas, id, () => this.call<{ schema: string }>('GET', `/schemas/ids/${id}`).then((r) => r.schema));
  }

  private cached<K, V>(cache: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
    let value = cache.get(key);
    if (!value) {
      value = load();
      value.catch(() => cache.delete(key));
      cache.set(key, value);
    }
    return value;
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { accept: 'application/vnd.schemaregistry.v1+json', ...(body ? { 'content-type': 'application/vnd.schemaregistry.v1+json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new PayMeshError('unavailable', 'SCHEMA_REGISTRY_UNAVAILABLE', `schema registry at ${this.baseUrl} unreachable: ${(err as Error).message}`);
    }
    const text = await response.text();
    let parsed: (T & { error_code?: number; message?: string }) | undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok && parsed) return parsed;
    const detail = `${method} ${path}: ${response.status} ${parsed?.message ?? text.slice(0, 200)}`;
    if (response.status >= 500 || !parsed) throw new PayMeshError('unavailable', 'SCHEMA_REGISTRY_UNAVAILABLE', `schema registry ${detail}`);
    // A message naming a schema id the registry does not know can never be read.
    if (parsed.error_code === 40403 && method === 'GET') throw new InvalidMessageError(`unknown writer schema (${detail})`);
    // Refused registrations are deployment errors: the producer must not send until they are fixed.
    const code = parsed.error_code === 409 ? 'SCHEMA_INCOMPATIBLE' : 'SCHEMA_REGISTRY_REFUSED';
    throw new PayMeshError('failed_precondition', code, `schema registry ${detail} (error_code ${parsed.error_code})`);
  }
}

export interface MessageBody {
  body: string;
  attributes?: Record<string, string>;
}

export interface EncodedMessage {
  body: string;
  attributes: Record<string, string>;
}

/**
 * SQS bodies for one Avro contract. Writes Confluent-framed Avro under the
 * contract's schema (registered once), base64 for SQS, marked with a
 * `content_type` attribute. Reads framed Avro written with any registered
 * schema the contract's schema can resolve (older writers included), and the
 * seed's JSON bodies, told apart by the attribute or, when a sender sets none
 * (the seed's SQSMessageHandler), by the framing. Both pass the same checks.
 */
export class AvroCodec<T> {
  readonly contract: AvroContract<T>;
  private readonly registry: SchemaRegistryClient;
  private readonly resolvers = new Map<number, Promise<avro.Resolver>>();

  constructor(registry: SchemaRegistryClient, contract: AvroContract<T>) {
    this.registry = registry;
    this.contract = contract;
  }

  /** Registers the contract's schema now, so a registry outage later does not stop sending. */
  warmUp(): Promise<number> {
    return this.registry.register(this.contract.subject, this.contract.schema);
  }

  async encode(value: T): Promise<EncodedMessage> {
    const record = this.contract.record(value);
    const id = await this.warmUp();
    return { body: frame(id, this.contract.type.toBuffer(record)).toString('base64'), attributes: { [ATTR.contentType]: CONTENT_TYPES.avro } };
  }

  async decode(message: MessageBody): Promise<T> {
    const format = formatOf(message);
    if (format === 'json') return this.contract.fromJson(message.body);
    const body = message.body.trim();
    if (!BASE64.test(body)) throw new InvalidMessageError('Avro body is not base64');
    const { schemaId, payload } = unframe(Buffer.from(body, 'base64'));
    const resolver = await this.resolverFor(schemaId);
    let record: unknown;
    try {
      record = this.contract.type.fromBuffer(payload, resolver);
    } catch (err) {
      throw new InvalidMessageError(`undecodable Avro body (writer schema ${schemaId}): ${(err as Error).message}`);
    }
    return this.contract.check(record);
  }

  /** Resolution from a writer schema to ours, built once per id (avsc's schema resolution). */
  private resolverFor(schemaId: number): Promise<avro.Resolver> {
    let resolver = this.resolvers.get(schemaId);
    if (!resolver) {
      resolver = this.registry.schemaById(schemaId).then((text) => {
        try {
          return this.contract.type.createResolver(parseAvroSchema(text));
        } catch (err) {
          throw new InvalidMessageError(`writer schema ${schemaId} cannot be read as ${this.contract.subject}: ${(err as Error).message}`);
        }
      });
      resolver.catch(() => this.resolvers.delete(schemaId));
      this.resolvers.set(schemaId, resolver);
    }
    return resolver;
  }
}

/** Which encoding a body is in: the `content_type` attribute if set, else the framing. */
function formatOf(message: MessageBody): 'avro' | 'json' {
  const declared = message.attributes?.[ATTR.contentType]?.split(';')[0]!.trim().toLowerCase();
  if (declared === CONTENT_TYPES.avro) return 'avro';
  if (declared === CONTENT_TYPES.json) return 'json';
  if (declared) throw new InvalidMessageError(`unsupported content_type '${declared}'`);
  // Base64 has no '{' or '[', and framed Avro's base64 starts with 'A' (the zero magic byte).
  return /^\s*[[{]/.test(message.body) ? 'json' : 'avro';
}

/**
 * The queue publisher the outbox relay sends through: drafts marked with
 * ENCODE_AS_AVRO_ATTRIBUTE hold the JSON form of a record and are encoded as
 * Avro here, at send time; everything else passes unchanged. Encoding when
 * sending, not when the draft is written, keeps the registry off the request
 * path: a registry outage delays sending (the relay retries), it never fails
 * the business transaction.
 */
export class AvroQueuePublisher extends QueuePublisher {
  private readonly codecs: Map<string, AvroCodec<unknown>>;

  constructor(sqs: SQSClient, directory: QueueDirectory, codecs: Array<AvroCodec<any>>) {
    super(sqs, directory);
    this.codecs = new Map(codecs.map((c) => [c.contract.subject, c as AvroCodec<unknown>]));
  }

  override async send(queueName: string, message: OutgoingMessage): Promise<string> {
    return super.send(queueName, await this.encodeDraft(message));
  }

  override async sendBatch(queueName: string, messages: OutgoingMessage[]): Promise<BatchResult> {
    const ready: OutgoingMessage[] = [];
    const refused: BatchResult['failed'] = [];
    for (const message of messages) {
      try {
        ready.push(await this.encodeDraft(message));
      } catch (err) {
        // A registry outage fails the whole batch (the relay retries it); a bad draft fails only itself.
        if (!(err instanceof InvalidMessageError) || !message.messageId) throw err;
        refused.push({ messageId: message.messageId, code: err.code, message: err.message, senderFault: true });
      }
    }
    const result = ready.length > 0 ? await super.sendBatch(queueName, ready) : { sent: [], failed: [] };
    return { sent: result.sent, failed: [...result.failed, ...refused] };
  }

  private async encodeDraft(message: OutgoingMessage): Promise<OutgoingMessage> {
    const subject = message.attributes?.[ENCODE_AS_AVRO_ATTRIBUTE];
    if (!subject) return message;
    const codec = this.codecs.get(subject);
    if (!codec) throw new InvalidMessageError(`no Avro codec for subject '${subject}'`);
    const encoded = await codec.encode(codec.contract.fromJson(message.body));
    const { [ENCODE_AS_AVRO_ATTRIBUTE]: _marker, ...attributes } = message.attributes ?? {};
    return { ...message, body: encoded.body, attributes: { ...attributes, ...encoded.attributes } };
  }
}
