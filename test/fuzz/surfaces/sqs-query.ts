import fc from 'fast-check';
import { anyText } from '../hostile.ts';
import { parseJson } from '../wire.ts';
import type { FuzzWorld } from '../world.ts';
import { inputMutation, learnFrom, mutateInput, requestedWaitMs, resolveNames, SQS_ACTION_NAMES, SQS_INPUTS, UNKNOWN_ACTIONS, type InputMutation } from './broker-inputs.ts';
import { rule, type Surface, type Verdict } from './surface.ts';

/**
 * The broker's SQS query protocol (`Action=...&Version=2012-11-05`, answered
 * in XML, or JSON when a GET asks for it): the same inputs as the JSON
 * protocol written as form parameters (`Attribute.1.Name`,
 * `SendMessageBatchRequestEntry.2.Id`, ...), then broken at the parameter
 * level (indexes that are not numbers, zero, huge or negative, `member`
 * segments, prototype-named keys, two Actions), sent as a form POST, a GET
 * or to a queue URL path.
 */

/** How each JSON member is written as query parameters (the inverse of the broker's protocols/sqs-query.ts). */
const LISTS: Record<string, string> = {
  AttributeNames: 'AttributeName',
  MessageAttributeNames: 'MessageAttributeName',
  MessageSystemAttributeNames: 'MessageSystemAttributeName',
  TagKeys: 'TagKey',
  AWSAccountIds: 'AWSAccountId',
  Actions: 'ActionName',
};
const ENTRY_LISTS: Record<string, string> = {
  SendMessageBatch: 'SendMessageBatchRequestEntry',
  DeleteMessageBatch: 'DeleteMessageBatchRequestEntry',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibilityBatchRequestEntry',
};
const MAPS: Record<string, [string, string, string]> = {
  Attributes: ['Attribute', 'Name', 'Value'],
  MessageAttributes: ['MessageAttribute', 'Name', 'Value'],
  MessageSystemAttributes: ['MessageSystemAttribute', 'Name', 'Value'],
  Tags: ['Tag', 'Key', 'Value'],
  tags: ['Tag', 'Key', 'Value'],
};

function flatten(action: string, input: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const scalar = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');
  const nested = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, child] of Object.entries(v)) nested(`${prefix}.${k}`, child);
    else out.push([prefix, scalar(v)]);
  };
  // Own keys only: an input key such as __proto__ must not find Object.prototype in these tables.
  const own = <T>(table: Record<string, T>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);
  for (const [key, value] of Object.entries(input)) {
    const list = own(LISTS, key);
    const map = own(MAPS, key);
    if (list && Array.isArray(value)) value.forEach((v, i) => out.push([`${list}.${i + 1}`, scalar(v)]));
    else if (key === 'Entries' && Array.isArray(value)) value.forEach((v, i) => nested(`${own(ENTRY_LISTS, action) ?? 'Entry'}.${i + 1}`, v));
    else if (map && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const [name, k, v] = map;
      Object.entries(value).forEach(([entryKey, entryValue], i) => {
        out.push([`${name}.${i + 1}.${k}`, entryKey]);
        nested(`${name}.${i + 1}.${v}`, entryValue);
      });
    } else nested(key, value);
  }
  return out;
}

type ParamMutation = { kind: 'index'; at: number; index: string } | { kind: 'key'; key: string; value: string } | { kind: 'duplicate-action'; other: string } | { kind: 'no-action' } | { kind: 'version'; value: string };

const paramMutation: fc.Arbitrary<ParamMutation> = fc.oneof(
  fc.record({ kind: fc.constant('index' as const), at: fc.nat(20), index: fc.constantFrom('0', '-1', '99999999999999999999', 'x', '', '1.5', 'member', '__proto__', '01') }),
  fc.record({ kind: fc.constant('key' as const), key: fc.constantFrom('__proto__', '__proto__.polluted', 'constructor', 'constructor.prototype.x', 'Attribute.1.Name', 'Attribute.1', 'Attribute..Name', 'member.1', 'QueueUrl', '.', 'a.b.c.d.e.f.g.h', 'MessageAttribute.1.Value.DataType'), value: fc.oneof(fc.constantFrom('x', '', 'All'), anyText) }),
  // A second Action names only harmless ones: a read-only input may name a platform queue, which no mutating action may reach.
  fc.record({ kind: fc.constant('duplicate-action' as const), other: fc.constantFrom('ListQueues', 'GetQueueUrl', 'Nope') }),
  fc.constant({ kind: 'no-action' as const }),
  fc.record({ kind: fc.constant('version' as const), value: fc.constantFrom('2012-11-05', '2008-01-01', '', 'x') }),
);

export interface SqsQueryInput {
  action: string;
  known: boolean;
  input: Record<string, unknown>;
  mutations: InputMutation[];
  params: ParamMutation[];
  transport: 'post' | 'get' | 'get-json' | 'queue-path' | 'both';
}

const inputs: fc.Arbitrary<SqsQueryInput> = fc
  .tuple(
    fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom(...SQS_ACTION_NAMES).chain((action) => fc.record({ action: fc.constant(action), known: fc.constant(true), input: SQS_INPUTS[action] ?? fc.constant({}) })) },
      { weight: 1, arbitrary: fc.record({ action: fc.oneof(fc.constantFrom(...UNKNOWN_ACTIONS), anyText), known: fc.constant(false), input: fc.constant({}) }) },
    ),
    fc.oneof({ weight: 3, arbitrary: fc.constant([] as InputMutation[]) }, { weight: 1, arbitrary: fc.array(inputMutation, { minLength: 1, maxLength: 2 }) }),
    fc.oneof({ weight: 3, arbitrary: fc.constant([] as ParamMutation[]) }, { weight: 1, arbitrary: fc.array(paramMutation, { minLength: 1, maxLength: 3 }) }),
    fc.constantFrom('post', 'post', 'post', 'get', 'get-json', 'queue-path', 'both') as fc.Arbitrary<SqsQueryInput['transport']>,
  )
  .map(([a, mutations, params, transport]) => ({ ...a, mutations, params, transport }));

export const sqsQuerySurface: Surface<SqsQueryInput> = {
  name: 'sqs-query',
  weight: 9,
  inputs,
  describe(input) {
    return `Action=${input.action} via ${input.transport} ${JSON.stringify(mutateInput(input.input, input.mutations)).slice(0, 300)} params=${JSON.stringify(input.params).slice(0, 200)}`;
  },
  async send(input, world: FuzzWorld): Promise<Verdict> {
    const resolved = resolveNames(mutateInput(input.input, input.mutations), world.brokerResources, world.learnt) as Record<string, unknown>;
    let params: Array<[string, string]> = [['Action', input.action], ['Version', '2012-11-05'], ...flatten(input.action, resolved)];
    let path = '/';
    // A queue URL path names the queue itself (only a queue the fuzzer owns).
    if (input.transport === 'queue-path' && typeof resolved.QueueUrl === 'string' && resolved.QueueUrl.startsWith(world.brokerResources.baseUrl)) {
      path = new URL(resolved.QueueUrl).pathname;
      params = params.filter(([k]) => k !== 'QueueUrl');
    }
    let actionKnown = input.known;
    for (const m of input.params) {
      if (m.kind === 'index') {
        const target = params[m.at % params.length]!;
        target[0] = target[0].replace(/\.\d+(\.|$)/, `.${m.index}$1`);
      } else if (m.kind === 'key') params.push([m.key, m.value]);
      else if (m.kind === 'duplicate-action') {
        params.push(['Action', m.other]);
        actionKnown = false;
      } else if (m.kind === 'no-action') {
        params = params.filter(([k]) => k !== 'Action');
        actionKnown = false;
      } else params = params.map(([k, v]) => (k === 'Version' ? [k, m.value] : [k, v]));
    }
    const form = params.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
    const headers: Record<string, string> = { authorization: 'AWS4-HMAC-SHA256 Credential=fuzz/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x' };
    let method = 'POST';
    let body: string | undefined = form;
    if (input.transport === 'get' || input.transport === 'get-json') {
      method = 'GET';
      body = undefined;
      path += `?${form}`;
      if (input.transport === 'get-json') headers.accept = 'application/json';
    } else if (input.transport === 'both') {
      path += `?${form.split('&').slice(0, 2).join('&')}`;
    }
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const answer = await world.broker.send({ method, path, headers, body });
    const code = /<Code>([^<]*)<\/Code>/.exec(answer.body)?.[1] ?? (parseJson(answer.body) as { Error?: { Code?: string }; __type?: string } | undefined)?.Error?.Code ?? '';
    if (answer.status === 200) learnReceipts(answer.body, world);
    return {
      outcome: `${answer.status}${answer.status >= 400 ? ` ${code || '?'}` : ''}`,
      allowanceMs: requestedWaitMs(input.action, resolved),
      problems: [
        ...rule(answer.status >= 500, '5xx', () => `${method} ${path.slice(0, 200)} ${body?.slice(0, 200) ?? ''} → ${answer.status} ${answer.body.slice(0, 300)}`),
        ...rule(!actionKnown && input.params.every((p) => p.kind !== 'duplicate-action') && answer.status < 300, 'accepted an unknown action', () => `Action=${input.action} → ${answer.status} ${answer.body.slice(0, 200)}`),
      ],
    };
  },
};

/** Receipt handles from an XML (or JSON) ReceiveMessage answer, for later inputs. */
function learnReceipts(body: string, world: FuzzWorld): void {
  for (const match of body.matchAll(/<ReceiptHandle>([^<]+)<\/ReceiptHandle>/g)) world.learnt.add('receipt', match[1]!);
  learnFrom(parseJson(body), world.learnt);
}

function encode(text: string): string {
  let out = '';
  for (const char of text) {
    if (/[A-Za-z0-9\-._~]/.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
