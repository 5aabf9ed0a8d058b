import { AwsError } from '../aws-error.ts';
import { queueUrl, resolveQueue, type RequestContext, type SqsDeps } from './context.ts';
import { badParameter, invalidAttributeName, invalidParameterValue, missingParameter, queueDoesNotExist } from './errors.ts';
import { compact, optionalInt, optionalString, optionalStringList, optionalStringMap, requiredString, type Input } from './input.ts';
import { BLOCKED } from './messages.ts';
import {
  COMPUTED_ATTRIBUTES,
  defaultAttributes,
  mergeAttributes,
  normaliseAttribute,
  READABLE_ATTRIBUTES,
  settingsOf,
} from './queue-attributes.ts';
import type { Queue } from './registry.ts';
import type { Tx } from './store.ts';

const STANDARD_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;
const RECREATE_AFTER_DELETE_MS = 60_000;
const PURGE_INTERVAL_MS = 60_000;
const MAX_TAGS = 50;

/** Runs a unit that reports expected failures as a returned AwsError (a thrown one would roll back its whole group). */
async function run<T>(deps: SqsDeps, work: (tx: Tx) => Promise<T | AwsError>): Promise<T> {
  const result = await deps.store.run(work);
  if (result instanceof AwsError) throw result;
  return result;
}

function readTags(raw: Record<string, string> | undefined): Record<string, string> {
  const tags = raw ?? {};
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw invalidParameterValue(`Too many tags added for queue. Maximum allowed is ${MAX_TAGS}.`);
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > 128) throw invalidParameterValue(`Tag key ${key} must be 1 to 128 characters long.`);
    if (value.length > 256) throw invalidParameterValue(`Tag value for key ${key} must be at most 256 characters long.`);
  }
  return tags;
}

/**
 * The queue a RedrivePolicy points at must exist, be of the same type and
 * allow this queue as a source (its RedriveAllowPolicy).
 */
function checkRedrive(deps: SqsDeps, name: string, fifo: boolean, attributes: Record<string, string>): void {
  const raw = attributes.RedrivePolicy;
  if (!raw) return;
  const policy = settingsOf(attributes).redrivePolicy!;
  const dlq = deps.registry.getByArn(policy.deadLetterTargetArn);
  if (!dlq) throw badParameter('RedrivePolicy', raw, 'Dead letter target does not exist.');
  if (dlq.fifo !== fifo) throw badParameter('RedrivePolicy', raw, 'Dead-letter queue must be same type of queue as the source.');
  const allow = dlq.settings.redriveAllowPolicy;
  const sourceArn = deps.registry.arnOf(name);
  if (allow?.redrivePermission === 'denyAll' || (allow?.redrivePermission === 'byQueue' && !allow.sourceQueueArns?.includes(sourceArn))) {
    throw badParameter('RedrivePolicy', raw, `Queue ${dlq.arn} does not allow ${sourceArn} to use it as a dead-letter queue.`);
  }
}

export async function createQueue(deps: SqsDeps, input: Input, ctx: RequestContext) {
  const name = requiredString(input, 'QueueName');
  const given = optionalStringMap(input, 'Attributes') ?? {};
  const fifo = (given.FifoQueue ?? '').toLowerCase() === 'true';
  if (fifo ? !FIFO_NAME.test(name) : !STANDARD_NAME.test(name)) {
    throw invalidParameterValue(
      fifo
        ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.'
        : 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
    );
  }
  const changes: Record<string, string> = {};
  for (const [attribute, value] of Object.entries(given)) changes[attribute] = normaliseAttribute(attribute, value, fifo, true);
  const tags = readTags(optionalStringMap(input, 'tags') ?? optionalStringMap(input, 'Tags'));

  await run(deps, async (tx) => {
    const existing = deps.registry.get(name);
    if (existing) {
      // Same name and the same values for the attributes given: the existing queue (CreateQueue is idempotent).
      for (const [attribute, value] of Object.entries(changes)) {
        const current = existing.attributes[attribute] ?? (attribute === 'FifoQueue' ? String(existing.fifo) : '');
        if (current !== value) {
          return new AwsError('QueueAlreadyExists', `A queue already exists with the same name and a different value for attribute ${attribute}`);
        }
      }
      return undefined;
    }
    const [deleted] = await tx.sql.all('SELECT name FROM sqs_deleted_queues WHERE name = ? AND deleted_ms > ?', [name, tx.now - RECREATE_AFTER_DELETE_MS]);
    if (deleted) {
      return new AwsError(
        'AWS.SimpleQueueService.QueueDeletedRecently',
        'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
      );
    }
    let attributes: Record<string, string>;
    try {
      // A standard queue never gets here with a FifoQueue attribute: normaliseAttribute refuses it, as AWS does.
      attributes = mergeAttributes(defaultAttributes(fifo), changes);
      checkRedrive(deps, name, fifo, attributes);
    } catch (err) {
      if (err instanceof AwsError) return err;
      throw err;
    }
    const [row] = await tx.sql.all<Record<string, unknown>>(
      `INSERT INTO sqs_queues (name, fifo, attributes, tags, created_ms, modified_ms, last_purge_ms) VALUES (?, ?, ?, ?, ?, ?, NULL) RETURNING *`,
      [name, fifo ? 1 : 0, JSON.stringify(attributes), JSON.stringify(tags), tx.now, tx.now],
    );
    deps.registry.put(deps.registry.fromRow(row as never));
    return undefined;
  });
  return { QueueUrl: queueUrl(deps, ctx, name) };
}

export async function getQueueUrl(deps: SqsDeps, input: Input, ctx: RequestContext) {
  const name = requiredString(input, 'QueueName');
  const owner = optionalString(input, 'QueueOwnerAWSAccountId');
  if ((owner !== undefined && owner !== deps.accountId) || !deps.registry.get(name)) throw queueDoesNotExist();
  return { QueueUrl: queueUrl(deps, ctx, name) };
}

function readPage(input: Input): { after: string | undefined; limit: number | undefined } {
  const limit = optionalInt(input, 'MaxResults', 1, 1000, 'MaxResults must be an integer between 1 and 1000.');
  const token = optionalString(input, 'NextToken');
  if (token === undefined || token === '') return { after: undefined, limit };
  try {
    const after = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (typeof after !== 'string') throw new Error('not a name');
    return { after, limit };
  } catch {
    throw invalidParameterValue('Invalid NextToken value.');
  }
}

/** Names in order, a page at a time: without MaxResults up to 1000 and no NextToken, as SQS pages. */
function pageOf(names: string[], input: Input): { names: string[]; nextToken: string | undefined } {
  const { after, limit } = readPage(input);
  const sorted = names.filter((n) => after === undefined || n > after).sort();
  const size = limit ?? 1000;
  const page = sorted.slice(0, size);
  const nextToken = limit !== undefined && sorted.length > size ? Buffer.from(JSON.stringify(page[page.length - 1])).toString('base64url') : undefined;
  return { names: page, nextToken };
}

export async function listQueues(deps: SqsDeps, input: Input, ctx: RequestContext) {
  const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
  const { names, nextToken } = pageOf(
    deps.registry.all().map((q) => q.name).filter((n) => n.startsWith(prefix)),
    input,
  );
  return compact({ QueueUrls: names.length > 0 ? names.map((n) => queueUrl(deps, ctx, n)) : undefined, NextToken: nextToken });
}

export async function listDeadLetterSourceQueues(deps: SqsDeps, input: Input, ctx: RequestContext) {
  const dlq = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const sources = deps.registry.all().filter((q) => q.settings.redrivePolicy?.deadLetterTargetArn === dlq.arn);
  const { names, nextToken } = pageOf(sources.map((q) => q.name), input);
  return compact({ queueUrls: names.map((n) => queueUrl(deps, ctx, n)), NextToken: nextToken });
}

export async function deleteQueue(deps: SqsDeps, input: Input) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  await run(deps, async (tx) => {
    const live = deps.registry.getById(queue.id);
    if (!live) return queueDoesNotExist();
    await tx.sql.run('DELETE FROM sqs_messages WHERE queue_id = ?', [queue.id]);
    await tx.sql.run('DELETE FROM sqs_deduplication WHERE queue_id = ?', [queue.id]);
    await tx.sql.run('DELETE FROM sqs_queues WHERE id = ?', [queue.id]);
    await tx.sql.run(
      'INSERT INTO sqs_deleted_queues (name, deleted_ms) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET deleted_ms = excluded.deleted_ms',
      [queue.name, tx.now],
    );
    deps.registry.remove(live);
    // Long polls on the queue wake and report that it is gone.
    tx.afterCommit(() => deps.waiters.notify(queue.id));
    return undefined;
  });
  return {};
}

interface Counts {
  visible: number;
  inFlight: number;
  delayed: number;
}

async function countMessages(tx: Tx, queue: Queue): Promise<Counts> {
  const [row] = await tx.sql.all<Record<string, number | bigint | string | null>>(
    `SELECT
       SUM(CASE WHEN visible_at <= ? OR visible_at = ? THEN 1 ELSE 0 END) AS visible,
       SUM(CASE WHEN visible_at > ? AND visible_at < ? AND receive_count > 0 THEN 1 ELSE 0 END) AS in_flight,
       SUM(CASE WHEN visible_at > ? AND visible_at < ? AND receive_count = 0 THEN 1 ELSE 0 END) AS delayed
     FROM sqs_messages WHERE queue_id = ? AND sent_ms >= ?`,
    [tx.now, BLOCKED, tx.now, BLOCKED, tx.now, BLOCKED, queue.id, tx.now - queue.settings.retentionSeconds * 1000],
  );
  return { visible: Number(row?.visible ?? 0), inFlight: Number(row?.in_flight ?? 0), delayed: Number(row?.delayed ?? 0) };
}

export async function getQueueAttributes(deps: SqsDeps, input: Input) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const names = optionalStringList(input, 'AttributeNames') ?? [];
  for (const name of names) if (!READABLE_ATTRIBUTES.has(name)) throw invalidAttributeName(name);
  if (names.length === 0) return {};
  const all = names.includes('All');
  const wanted = (name: string) => all || names.includes(name);
  const needsCounts = COMPUTED_ATTRIBUTES.slice(0, 3).some(wanted);
  const counts = needsCounts
    ? await run(deps, async (tx) => {
        const live = deps.registry.getById(queue.id);
        return live ? countMessages(tx, live) : queueDoesNotExist();
      })
    : undefined;
  const live = deps.registry.getById(queue.id) ?? queue;

  const computed: Record<string, string> = {
    QueueArn: live.arn,
    ApproximateNumberOfMessages: String(counts?.visible ?? 0),
    ApproximateNumberOfMessagesNotVisible: String(counts?.inFlight ?? 0),
    ApproximateNumberOfMessagesDelayed: String(counts?.delayed ?? 0),
    CreatedTimestamp: String(Math.floor(live.createdMs / 1000)),
    LastModifiedTimestamp: String(Math.floor(live.modifiedMs / 1000)),
  };
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...computed, ...live.attributes })) {
    if (wanted(name)) attributes[name] = value;
  }
  return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
}

export async function setQueueAttributes(deps: SqsDeps, input: Input) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const given = optionalStringMap(input, 'Attributes');
  if (given === undefined) throw missingParameter('Attributes');
  const changes: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) changes[name] = normaliseAttribute(name, value, queue.fifo, false);
  await run(deps, async (tx) => {
    const live = deps.registry.getById(queue.id);
    if (!live) return queueDoesNotExist();
    let attributes: Record<string, string>;
    try {
      attributes = mergeAttributes(live.attributes, changes);
      checkRedrive(deps, live.name, live.fifo, attributes);
    } catch (err) {
      if (err instanceof AwsError) return err;
      throw err;
    }
    await tx.sql.run('UPDATE sqs_queues SET attributes = ?, modified_ms = ? WHERE id = ?', [JSON.stringify(attributes), tx.now, live.id]);
    const updated = deps.registry.with(live, { attributes, modifiedMs: tx.now });
    deps.registry.put(updated);
    if (live.fifo && updated.settings.delaySeconds !== live.settings.delaySeconds) {
      // A FIFO queue's delay is retroactive: messages not received yet follow the new one.
      await tx.sql.run('UPDATE sqs_messages SET visible_at = sent_ms + ? WHERE queue_id = ? AND receive_count = 0 AND visible_at < ?', [
        updated.settings.delaySeconds * 1000,
        live.id,
        BLOCKED,
      ]);
    }
    tx.afterCommit(() => deps.waiters.notify(live.id));
    return undefined;
  });
  return {};
}

export async function purgeQueue(deps: SqsDeps, input: Input) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  await run(deps, async (tx) => {
    const live = deps.registry.getById(queue.id);
    if (!live) return queueDoesNotExist();
    if (live.lastPurgeMs !== null && tx.now - live.lastPurgeMs < PURGE_INTERVAL_MS) {
      return new AwsError(
        'AWS.SimpleQueueService.PurgeQueueInProgress',
        `Only one PurgeQueue operation on ${live.name} is allowed every 60 seconds.`,
        403,
      );
    }
    await tx.sql.run('DELETE FROM sqs_messages WHERE queue_id = ? AND sent_ms <= ?', [live.id, tx.now]);
    // A purge also forgets the FIFO deduplication ids, as on AWS: the same id sent again is a new message.
    if (live.fifo) await tx.sql.run('DELETE FROM sqs_deduplication WHERE queue_id = ?', [live.id]);
    await tx.sql.run('UPDATE sqs_queues SET last_purge_ms = ? WHERE id = ?', [tx.now, live.id]);
    deps.registry.put(deps.registry.with(live, { lastPurgeMs: tx.now }));
    return undefined;
  });
  return {};
}

async function updateTags(deps: SqsDeps, queue: Queue, change: (tags: Record<string, string>) => Record<string, string>) {
  await run(deps, async (tx) => {
    const live = deps.registry.getById(queue.id);
    if (!live) return queueDoesNotExist();
    let tags: Record<string, string>;
    try {
      tags = readTags(change({ ...live.tags }));
    } catch (err) {
      if (err instanceof AwsError) return err;
      throw err;
    }
    await tx.sql.run('UPDATE sqs_queues SET tags = ? WHERE id = ?', [JSON.stringify(tags), live.id]);
    deps.registry.put({ ...live, tags });
    return undefined;
  });
}

export async function tagQueue(deps: SqsDeps, input: Input) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const tags = optionalStringMap(input, 'Tags');
  if (!tags) throw missingParameter('Tags');
  await updateTags(deps, queue, (current) => ({ ...current, ...tags }));
  return {};
}

export async function untagQueue(deps: SqsDeps, input: Input) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const keys = optionalStringList(input, 'TagKeys');
  if (!keys) throw missingParameter('TagKeys');
  await updateTags(deps, queue, (current) => {
    for (const key of keys) delete current[key];
    return current;
  });
  return {};
}

export async function listQueueTags(deps: SqsDeps, input: Input) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const tags = (deps.registry.getById(queue.id) ?? queue).tags;
  return Object.keys(tags).length > 0 ? { Tags: tags } : {};
}

interface PolicyStatement {
  Sid: string;
  [key: string]: unknown;
}

async function updatePolicy(deps: SqsDeps, queue: Queue, change: (statements: PolicyStatement[]) => PolicyStatement[] | AwsError) {
  await run(deps, async (tx) => {
    const live = deps.registry.getById(queue.id);
    if (!live) return queueDoesNotExist();
    const policy = live.attributes.Policy
      ? (JSON.parse(live.attributes.Policy) as { Statement?: PolicyStatement[] })
      : { Version: '2012-10-17', Id: `${live.arn}/SQSDefaultPolicy`, Statement: [] };
    const statements = change(policy.Statement ?? []);
    if (statements instanceof AwsError) return statements;
    const attributes = { ...live.attributes };
    if (statements.length > 0) attributes.Policy = JSON.stringify({ ...policy, Statement: statements });
    else delete attributes.Policy;
    await tx.sql.run('UPDATE sqs_queues SET attributes = ?, modified_ms = ? WHERE id = ?', [JSON.stringify(attributes), tx.now, live.id]);
    deps.registry.put(deps.registry.with(live, { attributes, modifiedMs: tx.now }));
    return undefined;
  });
}

/** AddPermission: a statement in the queue's Policy (permissions are recorded, not enforced: credentials are not checked). */
export async function addPermission(deps: SqsDeps, input: Input) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const label = requiredString(input, 'Label');
  const accounts = optionalStringList(input, 'AWSAccountIds');
  const actions = optionalStringList(input, 'Actions');
  if (!accounts || accounts.length === 0) throw missingParameter('AWSAccountIds');
  if (!actions || actions.length === 0) throw missingParameter('Actions');
  await updatePolicy(deps, queue, (statements) => {
    if (statements.some((s) => s.Sid === label)) return badParameter('Label', label, 'Already exists.');
    return [
      ...statements,
      {
        Sid: label,
        Effect: 'Allow',
        Principal: { AWS: accounts.map((a) => `arn:aws:iam::${a}:root`) },
        Action: actions.map((a) => `SQS:${a}`),
        Resource: queue.arn,
      },
    ];
  });
  return {};
}

export async function removePermission(deps: SqsDeps, input: Input) {
  const queue = resolveQueue(deps, requiredString(input, 'QueueUrl'));
  const label = requiredString(input, 'Label');
  await updatePolicy(deps, queue, (statements) => {
    if (!statements.some((s) => s.Sid === label)) return badParameter('Label', label, "can't find label.");
    return statements.filter((s) => s.Sid !== label);
  });
  return {};
}
