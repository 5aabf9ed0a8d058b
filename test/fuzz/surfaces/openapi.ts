import fc from 'fast-check';
import { anyText, CURRENCIES, EDGE_AMOUNTS, hugeText, NASTY_AMOUNTS, NASTY_IDS, NEVER_VALID_AMOUNTS, wrongTypes } from '../hostile.ts';
import { ref, refs, type Reffed } from '../refs.ts';

/**
 * The public REST API as its OpenAPI document describes it, and inputs for
 * each operation: a request that follows the document (with references to
 * the fixtures where a field names something of theirs), then broken in the
 * ways a hostile client breaks it. Nothing here knows PayMesh's routes; what
 * a field means is read from its name and schema.
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
}

export interface Operation {
  method: string;
  /** As the document writes it: /v1/wallets/{id}/top-ups. */
  path: string;
  pathParams: Array<{ name: string; schema: JsonSchema }>;
  query: Array<{ name: string; schema: JsonSchema }>;
  /** Whether the document requires an Idempotency-Key header. */
  idempotent: boolean;
  /** `security: []`: callable without a token (sign-up, login). */
  public: boolean;
  body: JsonSchema | undefined;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; required?: boolean; schema: JsonSchema }>; security?: unknown[]; requestBody?: { content?: Record<string, { schema: JsonSchema }> } }>>;
}

/** Every operation of the document, GraphQL's aside (it has its own surface). */
export function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    if (path === '/graphql') continue;
    for (const [method, op] of Object.entries(methods)) {
      const parameters = op.parameters ?? [];
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: p.schema })),
        query: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema })),
        idempotent: parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key'),
        public: Array.isArray(op.security) && op.security.length === 0,
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return operations;
}

/** A value that follows the schema, or names a fixture's data where the field's name says it is one. */
export function validValue(name: string, schema: JsonSchema, path: string): fc.Arbitrary<unknown> {
  switch (name) {
    case 'amount':
      return fc.oneof({ weight: 4, arbitrary: fc.constantFrom('0.01', '1.00', '2.50', '10.25', '99.99', '3') }, { weight: 1, arbitrary: fc.constantFrom(...EDGE_AMOUNTS) });
    case 'currency':
    case 'default_currency':
      return fc.constantFrom('USD', 'USD', 'EUR');
    case 'payment_method_id':
      return refs.card;
    case 'receiver_id':
      return refs.userId;
    case 'receiver_email':
      return refs.email;
    case 'email':
      // Logging in as a fixture user (their password comes with it), or signing up someone new.
      return path.includes('sessions') ? refs.email : fc.oneof(refs.email, fc.nat(1_000_000).map((n) => `fuzz-signup-${n}@example.com`));
    case 'password':
      return path.includes('sessions') ? refs.password : fc.constantFrom('correct horse battery staple', 'a long enough password');
    case 'number':
      return fc.constantFrom('4242424242424242', '4242 4242 4242 4242', '4000000000000002', '5555555555554444', '4242424242424241', '378282246310005');
    case 'ids':
      return fc.array(refs.notification, { maxLength: 3 });
    case 'id':
      return path.includes('payments') ? fc.oneof(refs.payment, refs.uuid) : fc.oneof({ weight: 4, arbitrary: refs.wallet }, { weight: 1, arbitrary: refs.uuid });
  }
  return fromSchema(schema);
}

function fromSchema(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(schema.items ? fromSchema(schema.items) : fc.string(), { maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'object':
      return fc.constant({});
    default:
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      if (schema.format === 'email') return fc.emailAddress();
      if (schema.format === 'uuid') return fc.uuid();
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 30) });
  }
}

/** Values that must never pass for the field: the ones a request carrying them must be refused for. */
export function refusedValue(name: string): fc.Arbitrary<unknown> | undefined {
  if (name === 'amount') return fc.oneof(fc.constantFrom(...NEVER_VALID_AMOUNTS), fc.constantFrom(1000, 10.25, -0, 0, 1e21, -1));
  if (name === 'currency' || name === 'default_currency') return fc.constantFrom('usd', 'US', 'USDD', 'XAU', 'XTS', 'XXX', 'ZZZ', '', ' USD', '€', 'ÜSD');
  return undefined;
}

/** Anything at all for a field: wrong types, nasty and huge text, another field's reference. */
export function hostileValue(name: string): fc.Arbitrary<unknown> {
  const options: Array<fc.Arbitrary<unknown>> = [wrongTypes, anyText, fc.constantFrom(...NASTY_IDS), refs.uuid, refs.wallet, refs.userId];
  if (name === 'amount') options.push(fc.constantFrom(...NASTY_AMOUNTS));
  if (name.includes('currency')) options.push(fc.constantFrom(...CURRENCIES));
  if (name.includes('email')) options.push(fc.constantFrom('a@b', 'no-at-sign', '@example.com', 'a@@example.com', 'a@example..com', `${'a'.repeat(250)}@example.com`, 'ünïcode@exämple.com', 'a@example.com\u0000'));
  return fc.oneof(...options);
}

/** A body mutation: what is done to a valid body, by key. */
export type BodyMutation =
  | { kind: 'drop'; key: number }
  | { kind: 'set'; key: number; value: unknown; refused: boolean }
  | { kind: 'extra'; key: string; value: unknown }
  | { kind: 'replace'; value: unknown }
  | { kind: 'huge-field'; key: number; value: string };

export function bodyMutation(schema: JsonSchema): fc.Arbitrary<BodyMutation> {
  const names = Object.keys(schema.properties ?? {});
  const key = fc.nat(Math.max(0, names.length - 1));
  const setValue = key.chain((k) => {
    const name = names[k] ?? '';
    const refused = refusedValue(name);
    return fc.oneof(
      fc.tuple(fc.constant(k), hostileValue(name), fc.constant(false)),
      ...(refused ? [fc.tuple(fc.constant(k), refused, fc.constant(true))] : []),
    );
  });
  return fc.oneof(
    { weight: 2, arbitrary: key.map((k) => ({ kind: 'drop' as const, key: k })) },
    { weight: 6, arbitrary: setValue.map(([k, value, refused]) => ({ kind: 'set' as const, key: k, value, refused })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('sender_id', 'user_id', 'role', 'status', 'balance', 'wallet_id', '__proto__', 'constructor', 'extra', 'amount_minor', 'id'), fc.oneof(wrongTypes, refs.userId, fc.constant('operator')))
        .map(([k, value]) => ({ kind: 'extra' as const, key: k, value })),
    },
    { weight: 1, arbitrary: fc.oneof(wrongTypes, fc.constantFrom('', 'null', [])).map((value) => ({ kind: 'replace' as const, value })) },
    { weight: 1, arbitrary: fc.tuple(key, hugeText).map(([k, value]) => ({ kind: 'huge-field' as const, key: k, value })) },
  );
}

/** Applies mutations to a valid body; `refused` says whether the body that results is one the API must refuse. */
export function mutateBody(schema: JsonSchema, body: Record<string, unknown>, mutations: BodyMutation[]): { body: unknown; refused: boolean } {
  const names = Object.keys(schema.properties ?? {});
  let result: unknown = { ...body };
  // Keys whose latest value is one of refusedValue's: a later mutation of the same key may make it valid again.
  const refusedKeys = new Set<string>();
  for (const m of mutations) {
    if (m.kind === 'replace') {
      result = m.value;
      continue;
    }
    if (result === null || typeof result !== 'object' || Array.isArray(result)) continue;
    const target = result as Record<string, unknown>;
    const name = m.kind === 'extra' ? m.key : names[m.key];
    if (name === undefined) continue;
    refusedKeys.delete(name);
    if (m.kind === 'drop') delete target[name];
    else {
      Object.defineProperty(target, name, { value: m.value, enumerable: true, writable: true, configurable: true });
      if (m.kind === 'set' && m.refused) refusedKeys.add(name);
    }
  }
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return { body: result, refused: true };
  const keys = Object.keys(result);
  const refused =
    refusedKeys.size > 0 ||
    (schema.required ?? []).some((name) => !keys.includes(name)) ||
    (schema.additionalProperties === false && keys.some((key) => !names.includes(key)));
  return { body: result, refused };
}

/** A valid body for a schema: every required property and some optional ones. */
export function validBody(schema: JsonSchema, path: string): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) model[name] = validValue(name, property, path);
  return fc.record(model, { requiredKeys: [...required] }).map((body) => {
    // A payment names its receiver once, by id or by email.
    if ('receiver_id' in body && 'receiver_email' in body) delete body.receiver_email;
    if (path === '/v1/payments' && !('receiver_id' in body) && !('receiver_email' in body)) body.receiver_id = ref({ ref: 'user-id', who: 1 });
    return body;
  }) as fc.Arbitrary<Record<string, unknown>>;
}

export type { Reffed };
