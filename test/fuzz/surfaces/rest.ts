import fc from 'fast-check';
import { parseDecimal } from '../../../contracts/money.ts';
import { TOKEN_KINDS, type TokenKind } from '../fixtures.ts';
import { anyText, hugeText, idempotencyChoice, idempotencyKey, NASTY_IDS, type IdempotencyChoice } from '../hostile.ts';
import { namesOthers, refs, resolveRefs, type Resolution } from '../refs.ts';
import { sendRaw, parseJson } from '../wire.ts';
import type { FuzzWorld } from '../world.ts';
import { bodyMutation, mutateBody, operationsOf, validBody, validValue, type JsonSchema, type Operation } from './openapi.ts';
import { rule, type Problem, type Surface, type Verdict } from './surface.ts';

/**
 * Every operation of the public REST API, from the gateway's OpenAPI
 * document: requests that follow it, then break it (wrong types, missing and
 * extra fields, hostile amounts and currencies, other users' ids, malformed
 * path segments, invalid JSON, wrong content types, oversized bodies, bad
 * tokens and Idempotency-Keys), and a few that are not even HTTP.
 */

type PathVariant = 'as-is' | 'other-method' | 'trailing-slash' | 'double-slash' | 'upper-case' | 'dot-segment' | 'encoded';

type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown; refused: boolean }
  | { kind: 'text'; text: string }
  | { kind: 'padding'; bytes: number };

export type RestInput =
  | {
      kind: 'request';
      op: number;
      variant: PathVariant;
      otherMethod: string;
      params: Record<string, unknown>;
      query: Array<[string, unknown]>;
      token: { kind: TokenKind; user: number };
      idempotency: IdempotencyChoice;
      contentType: string | undefined;
      body: Body;
      extraHeaders: Array<[string, string]>;
    }
  | { kind: 'raw'; template: number; filler: string };

/** Bodies that are not the JSON they claim to be. */
const BROKEN_JSON = [
  '',
  '{',
  '}',
  '{"amount":',
  '{"amount": "1.00",}',
  "{'amount': '1.00'}",
  '{"amount": NaN, "currency": "USD"}',
  '{"amount": Infinity}',
  '{"amount": 1e999999}',
  '{"amount": "1.00", "amount": "1e3", "currency": "USD"}',
  '{"currency": "USD", "currency": "usd", "amount": "1.00"}',
  '{"__proto__": {"isAdmin": true}, "amount": "1.00", "currency": "USD"}',
  '{"constructor": {"prototype": {"polluted": true}}}',
  '\ufeff{"amount": "1.00", "currency": "USD"}',
  '{"amount": "1.00"}garbage',
  '[{"amount": "1.00"}]',
  'null',
  '"just a string"',
  '12',
  'amount=1.00&currency=USD',
  '\u0000\u0001\u0002',
  `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
] as const;

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/problem+json',
  'application/vnd.api+json',
  'APPLICATION/JSON',
  'application/json;;;',
  'application/jsonx',
  '*/*',
  '',
  'application/json, text/plain',
  `application/json; ${'x'.repeat(3000)}=1`,
] as const;

/** Requests no HTTP client would send: broken framing, smuggling shapes, headers past every limit. */
const RAW_TEMPLATES: Array<(path: string, filler: string) => string> = [
  (p) => `GET ${p} HTTP/1.1\r\nHost: gw\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
  (p) => `GET ${p} HTTP/9.9\r\nHost: gw\r\n\r\n`,
  (p) => `get ${p} HTTP/1.1\r\nHost: gw\r\n\r\n`,
  (p) => `GET ${p}\r\n\r\n`,
  (p) => `GET http://elsewhere.example${p} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\nHost: gw\r\nX-Folded: a\r\n  b\r\nConnection: close\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\nHost: gw\nConnection: close\n\n`,
  (p, f) => `GET ${p} HTTP/1.1\r\nHost: gw\r\nX-Long: ${f.repeat(Math.ceil(20_000 / Math.max(1, f.length)))}\r\nConnection: close\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\nHost: gw\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\nConnection: close\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\nHost: gw\r\nBad Header: x\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\nHost: gw\r\nX-Nul: a\u0000b\r\n\r\n`,
  (p, f) => `${f} ${p} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`,
  (_p, f) => `GET /${encodeURIComponent(f)}/../../v1/me HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{"amount":`,
  () => `\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003`,
];

const KEY = /^[\x21-\x7e]{8,200}$/;

export function restSurface(document: unknown): Surface<RestInput> {
  const operations = operationsOf(document as Parameters<typeof operationsOf>[0]);

  const paramValue = (name: string, schema: JsonSchema, path: string) =>
    fc.oneof({ weight: 6, arbitrary: validValue(name, schema, path) }, { weight: 1, arbitrary: fc.constantFrom(...NASTY_IDS) }, { weight: 1, arbitrary: anyText }, { weight: 1, arbitrary: refs.uuid });

  const queryFor = (op: Operation): fc.Arbitrary<Array<[string, unknown]>> => {
    const known = op.query.map((q) =>
      fc.oneof(
        { weight: 3, arbitrary: validValue(q.name, q.schema, op.path).map((v) => [q.name, v] as [string, unknown]) },
        { weight: 1, arbitrary: fc.oneof(anyText, fc.constantFrom('-1', '0', '1e3', '101', '99999999999999999999', 'true ', 'TRUE', '1.5', 'abc')).map((v) => [q.name, v] as [string, unknown]) },
      ),
    );
    const extra = fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'limit', 'status[]', 'a[b]', '', 'user_id', 'sender_id'), anyText), anyText).map(([k, v]) => [k, v] as [string, unknown]);
    return fc
      .tuple(fc.tuple(...known.map((k) => fc.option(k, { nil: undefined }))), fc.array(extra, { maxLength: 2 }))
      .map(([chosen, e]) => [...chosen.filter((k): k is [string, unknown] => k !== undefined), ...e]);
  };

  const bodyFor = (op: Operation): fc.Arbitrary<Body> => {
    if (!op.body) {
      return fc.oneof({ weight: 8, arbitrary: fc.constant({ kind: 'none' as const }) }, { weight: 1, arbitrary: fc.constantFrom(...BROKEN_JSON).map((text) => ({ kind: 'text' as const, text })) });
    }
    const schema = op.body;
    const json = fc.tuple(validBody(schema, op.path), fc.array(bodyMutation(schema), { maxLength: 3 })).map(([body, mutations]) => {
      const mutated = mutateBody(schema, body, mutations);
      return { kind: 'json' as const, value: mutated.body, refused: mutated.refused };
    });
    return fc.oneof(
      { weight: 14, arbitrary: json },
      { weight: 2, arbitrary: fc.constantFrom(...BROKEN_JSON).map((text) => ({ kind: 'text' as const, text })) },
      { weight: 1, arbitrary: fc.constantFrom(60_000, 70_000, 200_000).map((bytes) => ({ kind: 'padding' as const, bytes })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
    );
  };

  const requestFor = (index: number) => {
    const op = operations[index]!;
    const params: Record<string, fc.Arbitrary<unknown>> = {};
    for (const p of op.pathParams) params[p.name] = paramValue(p.name, p.schema, op.path);
    return fc.record({
      kind: fc.constant('request' as const),
      op: fc.constant(index),
      variant: fc.oneof({ weight: 20, arbitrary: fc.constant('as-is' as const) }, { weight: 1, arbitrary: fc.constantFrom('other-method', 'trailing-slash', 'double-slash', 'upper-case', 'dot-segment', 'encoded') as fc.Arbitrary<PathVariant> }),
      otherMethod: fc.constantFrom('PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'CONNECT', 'PROPFIND'),
      params: fc.record(params),
      query: queryFor(op),
      token: fc.record({
        kind: fc.oneof({ weight: 10, arbitrary: fc.constant('valid' as TokenKind) }, { weight: 4, arbitrary: fc.constantFrom(...TOKEN_KINDS) }),
        user: fc.nat(3),
      }),
      idempotency: idempotencyChoice,
      contentType: fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
      body: bodyFor(op),
      extraHeaders: fc.array(
        fc.oneof(
          fc.constantFrom<[string, string]>(['x-forwarded-for', '127.0.0.1'], ['x-user-id', 'operator'], ['x-paymesh-caller', '{"userId":"x","role":"operator"}'], ['accept', 'application/xml'], ['accept-encoding', 'gzip, br, zstd'], ['content-encoding', 'gzip'], ['expect', '100-continue'], ['origin', 'https://evil.example'], ['x-http-method-override', 'DELETE']),
          fc.tuple(fc.constantFrom('x-fuzz', 'cookie', 'referer', 'user-agent'), hugeText.map((t) => t.slice(0, 8000))),
        ),
        { maxLength: 2 },
      ),
    });
  };

  const inputs: fc.Arbitrary<RestInput> = fc.oneof(
    { weight: 40, arbitrary: fc.nat(operations.length - 1).chain(requestFor) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), template: fc.nat(RAW_TEMPLATES.length - 1), filler: fc.oneof(fc.constantFrom('GET', 'A', '\u00ff', 'PATCH'), fc.string({ maxLength: 12 })) }) },
  );

  return {
    name: 'rest',
    weight: 34,
    inputs,
    describe(input) {
      if (input.kind === 'raw') return `raw HTTP template ${input.template} (filler ${JSON.stringify(input.filler)})`;
      const op = operations[input.op]!;
      const method = input.variant === 'other-method' ? input.otherMethod : op.method;
      const body = input.body.kind === 'json' ? JSON.stringify(input.body.value) : input.body.kind === 'text' ? JSON.stringify(input.body.text) : input.body.kind === 'padding' ? `${input.body.bytes} bytes` : 'none';
      return `${method} ${op.path} (${input.variant}) params=${JSON.stringify(input.params)} query=${JSON.stringify(input.query)} token=${input.token.kind}:${input.token.user} idempotency=${JSON.stringify(input.idempotency)} content-type=${JSON.stringify(input.contentType)} body=${body}`.slice(0, 600);
    },
    async send(input, world) {
      if (input.kind === 'raw') return sendRawInput(input, world);
      return sendRequest(operations[input.op]!, input, world);
    },
  };
}

async function sendRawInput(input: Extract<RestInput, { kind: 'raw' }>, world: FuzzWorld): Promise<Verdict> {
  const text = RAW_TEMPLATES[input.template]!('/v1/me', input.filler);
  const answer = await sendRaw(world.gateway.host, world.gateway.port, Buffer.from(text, 'latin1'), 300);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer.text)?.[1] ?? 0);
  return {
    outcome: status ? `raw ${status}` : `raw ${answer.ended}`,
    problems: [
      ...rule(status >= 500, '5xx', () => `answered ${answer.text.slice(0, 200)}`),
      ...rule(answer.ended === 'reset', 'connection reset', () => `the connection was reset after ${JSON.stringify(answer.text.slice(0, 120))}`),
      ...rule(status === 0 && answer.ended === 'closed' && input.template !== RAW_TEMPLATES.length - 1, 'no answer', () => 'the connection was closed without an answer'),
    ],
  };
}

async function sendRequest(op: Operation, input: Extract<RestInput, { kind: 'request' }>, world: FuzzWorld): Promise<Verdict> {
  const { fixtures } = world;
  const credentials = fixtures.credentials(input.token.kind, input.token.user);
  const selfIndex = input.token.user;
  const params = resolveRefs(input.params, fixtures, selfIndex);
  const query = resolveRefs(input.query, fixtures, selfIndex);
  const body = input.body.kind === 'json' ? resolveRefs(input.body.value, fixtures, selfIndex) : undefined;

  let path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeSegment(params.value[name]));
  path = applyVariant(path, input.variant);
  const search = query.value.map(([k, v]) => `${percentEncode(String(k))}=${percentEncode(typeof v === 'string' ? v : JSON.stringify(v) ?? '')}`).join('&');
  if (search) path += `?${search}`;
  const method = input.variant === 'other-method' ? input.otherMethod : op.method;

  const headers: Record<string, string | string[]> = {};
  if (credentials.authorization !== undefined) headers.authorization = credentials.authorization;
  const key = idempotencyKey(input.idempotency, world.seed);
  if (key !== undefined) headers['idempotency-key'] = key;
  let payload: string | Buffer | undefined;
  switch (input.body.kind) {
    case 'json':
      payload = JSON.stringify(body!.value) ?? 'null';
      break;
    case 'text':
      payload = input.body.text;
      break;
    case 'padding':
      payload = JSON.stringify({ amount: '1.00', currency: 'USD', note: 'x'.repeat(input.body.bytes) });
      break;
    case 'none':
      break;
  }
  if (payload !== undefined || input.contentType !== undefined) headers['content-type'] = input.contentType ?? 'application/json';
  for (const [name, value] of input.extraHeaders) headers[name] = value;

  // A payment to a fixture user makes the two counterparties (its record names both wallets), accepted or not.
  const subject = credentials.caller ?? (input.token.kind === 'unknown-user' ? 'unknown-user' : undefined);
  const receiver = body && op.path === '/v1/payments' ? receiverOf(body.value, world) : undefined;
  if (subject && receiver) fixtures.privacy.counterparties(subject, receiver);

  const answer = await world.gateway.send({ method, path, headers, body: payload });
  const problems: Problem[] = [];
  const ok = answer.status >= 200 && answer.status < 300;
  const json = parseJson(answer.body);

  problems.push(...rule(answer.status >= 500, '5xx', () => `${method} ${path} → ${answer.status} ${answer.body.slice(0, 300)}`));
  // A HEAD answer has no body, and a CONNECT's is not read (the socket is handed over).
  if (answer.status >= 400 && answer.status < 500 && method !== 'HEAD' && method !== 'CONNECT') {
    const problem = json as { status?: unknown; code?: unknown } | undefined;
    const isProblem = String(answer.headers['content-type'] ?? '').startsWith('application/problem+json') && problem?.status === answer.status && typeof problem?.code === 'string';
    problems.push(...rule(!isProblem, 'refusal is not a problem document', () => `${method} ${path} → ${answer.status} ${answer.headers['content-type']} ${answer.body.slice(0, 200)}`));
  }

  // What must be refused, whatever else the input holds. Only the route as the document spells it is judged.
  if (ok && input.variant === 'as-is') {
    const refusedBecause: string[] = [];
    if (!op.public && !credentials.accepted) refusedBecause.push(`a${/^[aeiou]/.test(input.token.kind) ? 'n' : ''} ${input.token.kind} token`);
    if (input.body.kind === 'json' && input.body.refused) refusedBecause.push('a body that breaks the schema');
    if (input.body.kind === 'text' && op.body) refusedBecause.push('a body that is not a JSON object');
    if (input.body.kind === 'padding') refusedBecause.push('a body over the size limit, or with a field over its own');
    if (op.body && input.contentType !== undefined && input.body.kind !== 'none' && mediaType(input.contentType) !== 'application/json') refusedBecause.push(`Content-Type ${input.contentType.slice(0, 40)}`);
    if (op.idempotent && !(typeof key === 'string' && KEY.test(asSentHeader(key)))) refusedBecause.push(`Idempotency-Key ${JSON.stringify(key)?.slice(0, 40)}`);
    if (op.path.startsWith('/v1/wallets/{id}') && namesOthers(params, 'wallet', credentials.caller)) refusedBecause.push("another user's wallet");
    if (op.path === '/v1/payments/{id}' && namesOthers(params, 'payment', credentials.caller)) refusedBecause.push("a payment of others");
    if (/top-ups|withdrawals/.test(op.path) && body && (namesOthers(body, 'card', credentials.caller) || namesOthers(body, 'declined-card', credentials.caller))) {
      refusedBecause.push("another user's or a declined card");
    }
    problems.push(...rule(refusedBecause.length > 0, 'accepted what must be refused', () => `${method} ${path} with ${refusedBecause.join(', ')} → ${answer.status} ${answer.body.slice(0, 200)}`));
  }

  if (ok && method === 'POST') problems.push(...recordEffects(op, json, body, subject, receiver, world));

  const leaks = fixtures.privacy.leaks(subject, `${path} ${payload ?? ''} ${JSON.stringify(headers)}`, answer.body);
  problems.push(...rule(leaks.length > 0, "another user's data", () => `${method} ${path} as ${input.token.kind}:${input.token.user} → ${answer.status} showed ${leaks.join(', ')}`));
  return { outcome: String(answer.status), problems };
}

/** What an accepted POST changed, by the ids its answer names: the ledger of effects the final checks hold the data to. */
function recordEffects(op: Operation, answer: unknown, body: Resolution<unknown> | undefined, subject: string | undefined, receiver: string | undefined, world: FuzzWorld): Problem[] {
  const { effects, fixtures } = world;
  const sent = (body?.value ?? {}) as Record<string, unknown>;
  const got = (answer ?? {}) as Record<string, any>;
  const movement = /\/(top-ups|withdrawals)$/.exec(op.path);
  if (movement && typeof got.entry_id === 'string') {
    try {
      const minor = parseDecimal(String(sent.amount), String(sent.currency));
      effects.moneyMoved(got.entry_id, String(sent.currency), movement[1] === 'top-ups' ? minor : -minor);
    } catch (err) {
      effects.entries.add(got.entry_id);
      return [{ check: 'accepted what must be refused', detail: `${op.path} accepted amount ${JSON.stringify(sent.amount)} ${JSON.stringify(sent.currency)}: ${(err as Error).message}` }];
    }
  } else if (op.path === '/v1/payments' && typeof got.id === 'string') {
    const to = receiver ?? String(got.receiver_id ?? '');
    effects.payments.set(got.id, { sender: subject ?? '', receiver: to });
    fixtures.privacy.add(got.id, ...[subject, to].filter((u): u is string => !!u));
  } else if (op.path === '/v1/wallets' && typeof got.id === 'string') {
    effects.walletsOpened.add(got.id);
    if (subject) fixtures.privacy.addWallet(got.id, subject);
  } else if (op.path === '/v1/payment-methods' && typeof got.id === 'string') {
    effects.cards.add(got.id);
    if (subject) fixtures.privacy.add(got.id, subject);
  } else if (op.path === '/v1/notifications/read' && subject) {
    const ids = Array.isArray(sent.ids) ? sent.ids.map(String) : undefined;
    effects.notificationsMarked(subject, ids);
  }
  return [];
}

/** The fixture user a payment body names as its receiver, by id or by email (as the user service matches it). */
function receiverOf(body: unknown, world: FuzzWorld): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const { receiver_id: id, receiver_email: email } = body as { receiver_id?: unknown; receiver_email?: unknown };
  if (typeof id === 'string') return world.fixtures.byId(id)?.id;
  if (typeof email === 'string') return world.fixtures.users.find((u) => u.email === email.trim().toLowerCase())?.id;
  return undefined;
}

function encodeSegment(value: unknown): string {
  // Dots and percent signs go as they are, so `..` and `%2e%2e` reach the router as written.
  return percentEncode(typeof value === 'string' ? value : JSON.stringify(value) ?? '', /[A-Za-z0-9\-._~%!$&'()*+,;=:@]/);
}

/** Percent-encodes the UTF-8 bytes of `text` (a lone surrogate as U+FFFD's), keeping the characters `keep` matches. */
function percentEncode(text: string, keep = /[A-Za-z0-9\-._~]/): string {
  let out = '';
  for (const char of text) {
    if (char.length === 1 && keep.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function applyVariant(path: string, variant: PathVariant): string {
  switch (variant) {
    case 'trailing-slash':
      return `${path}/`;
    case 'double-slash':
      return path.replace('/v1/', '//v1//');
    case 'upper-case':
      return path.toUpperCase();
    case 'dot-segment':
      return path.replace('/v1/', '/v1/./x/../');
    case 'encoded':
      return path.replace(/\//g, '%2F').replace(/^%2F/, '/');
    default:
      return path;
  }
}

/** A header value as the server reads it: without what a header cannot carry (wire.ts drops it) and outer whitespace. */
function asSentHeader(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1').replace(/[\0-\x08\x0a-\x1f\x7f]/g, '').trim();
}

/** A Content-Type's media type, lower-cased, without parameters (and without a second type after a comma). */
function mediaType(contentType: string): string {
  return contentType.split(/[;,]/)[0]!.trim().toLowerCase();
}
