import { XMLBuilder } from 'fast-xml-parser';
import type { AwsError } from '../aws-error.ts';

/**
 * The SQS query protocol (form-encoded `Action=...&Version=2012-11-05`, XML
 * responses), spoken by older SDKs and the distribution-packaged AWS CLI. It
 * is translated to and from the JSON protocol's shapes, so the engine has one
 * input and one output form.
 */

export const SQS_XMLNS = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** Flattened query lists and their JSON member names. */
const LISTS: Record<string, string> = {
  AttributeName: 'AttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
  TagKey: 'TagKeys',
  AWSAccountId: 'AWSAccountIds',
  ActionName: 'Actions',
  SendMessageBatchRequestEntry: 'Entries',
  DeleteMessageBatchRequestEntry: 'Entries',
  ChangeMessageVisibilityBatchRequestEntry: 'Entries',
  StringListValue: 'StringListValues',
  BinaryListValue: 'BinaryListValues',
};

/** Flattened query maps (entries of key and value members) and their JSON member names. */
const MAPS: Record<string, { name: string; key: string; value: string }> = {
  Attribute: { name: 'Attributes', key: 'Name', value: 'Value' },
  MessageAttribute: { name: 'MessageAttributes', key: 'Name', value: 'Value' },
  MessageSystemAttribute: { name: 'MessageSystemAttributes', key: 'Name', value: 'Value' },
  Tag: { name: 'Tags', key: 'Key', value: 'Value' },
};

type Tree = { [key: string]: Tree | string };

/**
 * `A.1.B=x` style parameters as a tree; `member` segments (non-flattened lists) are skipped.
 * Nodes have no prototype and lookups are own-property only: a parameter named `__proto__.x`
 * or `constructor` is a key like any other, never a way into Object.prototype.
 */
function toTree(params: Map<string, string>): Tree {
  const root: Tree = Object.create(null) as Tree;
  for (const [key, value] of params) {
    const parts = key.split('.').filter((p) => p !== 'member');
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i]!;
      const next = Object.hasOwn(node, part) ? node[part] : undefined;
      if (typeof next === 'object') node = next;
      else {
        const created: Tree = Object.create(null) as Tree;
        node[part] = created;
        node = created;
      }
    }
    node[parts[parts.length - 1]!] = value;
  }
  return root;
}

/** A tree node whose keys are 1-based indexes, as an ordered list. */
function indexed(node: Tree | string): Array<Tree | string> {
  if (typeof node === 'string') return [node];
  return Object.keys(node)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => node[k]!);
}

function toJson(node: Tree): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(node)) {
    const list = Object.hasOwn(LISTS, key) ? LISTS[key] : undefined;
    const map = Object.hasOwn(MAPS, key) ? MAPS[key] : undefined;
    if (list) {
      // `MessageAttributeName=` (no index, no value) is how the SDKs send an empty list: an empty list, not [''].
      out[list] = value === '' ? [] : indexed(value).map((item) => (typeof item === 'string' ? item : toJson(item)));
    } else if (map) {
      const entries = Object.create(null) as Record<string, unknown>;
      for (const item of indexed(value)) {
        if (typeof item === 'string') continue;
        const name = Object.hasOwn(item, map.key) ? item[map.key] : undefined;
        const entryValue = Object.hasOwn(item, map.value) ? item[map.value] : undefined;
        if (typeof name !== 'string' || entryValue === undefined) continue;
        entries[name] = typeof entryValue === 'string' ? entryValue : toJson(entryValue);
      }
      out[map.name] = entries;
    } else {
      out[key] = typeof value === 'string' ? value : toJson(value);
    }
  }
  return out;
}

/** The action and its input in JSON-protocol shape, from form or query-string parameters. */
export function parseQueryRequest(params: URLSearchParams): { action: string | undefined; input: Record<string, unknown> } {
  const flat = new Map<string, string>();
  for (const [key, value] of params) if (key !== 'Action' && key !== 'Version') flat.set(key, value);
  const input = toJson(toTree(flat));
  // CreateQueue names its tags `tags` in the JSON protocol.
  if (params.get('Action') === 'CreateQueue' && input.Tags) {
    input.tags = input.Tags;
    delete input.Tags;
  }
  return { action: params.get('Action') ?? undefined, input };
}

// ---- Responses ---------------------------------------------------------------

/** Result members whose items are repeated elements of another name. */
const REPEATED: Record<string, string> = {
  QueueUrls: 'QueueUrl',
  queueUrls: 'QueueUrl',
  Messages: 'Message',
  Failed: 'BatchResultErrorEntry',
  Results: 'ListMessageMoveTasksResultEntry',
};

function mapEntries(map: Record<string, unknown>, key: string, value: string, render: (v: unknown) => unknown) {
  return Object.entries(map).map(([k, v]) => ({ [key]: k, [value]: render(v) }));
}

function attributeValue(value: unknown): unknown {
  const v = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (v.StringValue !== undefined) out.StringValue = v.StringValue;
  if (v.BinaryValue !== undefined) out.BinaryValue = v.BinaryValue;
  out.DataType = v.DataType;
  return out;
}

function toXmlObject(action: string, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined || member === null) continue;
    if (key === 'Successful') out[`${action}ResultEntry`] = (member as Array<Record<string, unknown>>).map((m) => toXmlObject(action, m));
    else if (REPEATED[key]) {
      out[REPEATED[key]] = (member as unknown[]).map((m) => (typeof m === 'object' ? toXmlObject(action, m as Record<string, unknown>) : m));
    } else if (key === 'Attributes') out.Attribute = mapEntries(member as Record<string, unknown>, 'Name', 'Value', (v) => v);
    else if (key === 'MessageAttributes') out.MessageAttribute = mapEntries(member as Record<string, unknown>, 'Name', 'Value', attributeValue);
    else if (key === 'Tags') out.Tag = mapEntries(member as Record<string, unknown>, 'Key', 'Value', (v) => v);
    else out[key] = member;
  }
  return out;
}

/** Actions with a Result element even when it is empty (their SDK deserialisers read it). */
const WITH_RESULT = new Set([
  'CreateQueue',
  'GetQueueUrl',
  'ListQueues',
  'GetQueueAttributes',
  'ListDeadLetterSourceQueues',
  'ListQueueTags',
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'DeleteMessageBatch',
  'ChangeMessageVisibilityBatch',
  'StartMessageMoveTask',
  'ListMessageMoveTasks',
  'CancelMessageMoveTask',
]);

/**
 * Text escaped for XML by hand rather than by the builder's entity option:
 * SQS also encodes carriage returns (&#xD;), which XML parsers would
 * otherwise turn into newlines, and the builder cannot add that on its own.
 */
function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : c === "'" ? '&apos;' : '&#xD;',
  );
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  processEntities: false,
  suppressEmptyNode: true,
  tagValueProcessor: (_name: string, value: unknown) => escapeXml(String(value)),
});

export function renderQueryResult(action: string, result: Record<string, unknown>, requestId: string): string {
  const response: Record<string, unknown> = { '@_xmlns': SQS_XMLNS };
  const body = toXmlObject(action, result ?? {});
  if (Object.keys(body).length > 0 || WITH_RESULT.has(action)) response[`${action}Result`] = body;
  response.ResponseMetadata = { RequestId: requestId };
  return `<?xml version="1.0"?>${builder.build({ [`${action}Response`]: response })}`;
}

/**
 * The message as the query protocol words it: SQS says "...does not exist for this wsdl version."
 * to query-protocol callers where the JSON protocol says "...does not exist." (recorded against SQS).
 */
function queryMessageOf(error: AwsError): string {
  return error.code === 'AWS.SimpleQueueService.NonExistentQueue' ? 'The specified queue does not exist for this wsdl version.' : error.message;
}

export function renderQueryError(error: AwsError, requestId: string): string {
  return `<?xml version="1.0"?>${builder.build({
    ErrorResponse: {
      '@_xmlns': SQS_XMLNS,
      Error: { Type: error.fault, Code: error.code, Message: queryMessageOf(error), Detail: '' },
      RequestId: requestId,
    },
  })}`;
}

// ---- Queue URLs as endpoints, GET requests, JSON answers ----------------------

/** What SQS answers (404) to a GET with no Action, whatever it accepts (recorded against SQS). */
export const UNKNOWN_OPERATION_BODY = '<UnknownOperationException/>';

/**
 * Actions a queue URL is not an endpoint for: SQS answers InvalidAction "The action CreateQueue is
 * not valid for this endpoint." to them sent to a queue URL (recorded against SQS with GET).
 */
const NOT_ON_QUEUE_URLS = new Set(['CreateQueue', 'ListQueues']);

export function refusedOnQueueUrl(action: string): boolean {
  return NOT_ON_QUEUE_URLS.has(action);
}

/** Whether a GET asks for the query protocol's JSON rendering (Accept: application/json). */
export function acceptsJson(accept: string | undefined): boolean {
  return accept !== undefined && /\bapplication\/json\b/i.test(accept);
}

/** Result members the JSON rendering names differently from the JSON protocol (recorded: ReceiveMessage's `messages`). */
const JSON_MEMBER: Record<string, string> = { Messages: 'messages' };

/** Maps become lists of entries, as in the XML: `Attributes: [{ Name, Value }]`. */
function toQueryJson(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => toQueryJson(item));
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if (key === 'Attributes' || key === 'MessageAttributes') return Object.entries(object).map(([Name, v]) => ({ Name, Value: v }));
  if (key === 'Tags') return Object.entries(object).map(([Key, v]) => ({ Key, Value: v }));
  const out: Record<string, unknown> = {};
  for (const [member, v] of Object.entries(object)) {
    if (v === undefined || v === null) continue;
    out[JSON_MEMBER[member] ?? member] = toQueryJson(v, member);
  }
  return out;
}

/**
 * A query-protocol result for a GET with Accept: application/json, in the shape SQS gives it:
 * `{"<Action>Response": {"<Action>Result": {...}, "ResponseMetadata": {"RequestId": ...}}}`
 * (recorded against SQS: GetQueueAttributesResult.Attributes[{Name, Value}], ReceiveMessageResult.messages[]).
 */
export function renderQueryJsonResult(action: string, result: Record<string, unknown>, requestId: string): string {
  return JSON.stringify({
    [`${action}Response`]: { [`${action}Result`]: toQueryJson(result ?? {}), ResponseMetadata: { RequestId: requestId } },
  });
}

/** A query-protocol error for a GET with Accept: application/json: `{"Error": {"Code", "Message", ...}}`. */
export function renderQueryJsonError(error: AwsError, requestId: string): string {
  return JSON.stringify({ Error: { Type: error.fault, Code: error.code, Message: queryMessageOf(error) }, RequestId: requestId });
}
