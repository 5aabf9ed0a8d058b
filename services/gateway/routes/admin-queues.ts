import { GetQueueAttributesCommand, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DeadLetterActionResult, DecodedBody, DeadLetterMessage, DeadLettersView, QueuesView, QueueStatus } from '../../../contracts/admin-api.ts';
import { invalidArgument, notFound, PayMeshError } from '../../../contracts/errors.ts';
import { loadTopology } from '../../../contracts/topology.ts';
import type { RouteSchemas } from '../../../core/route-schemas.ts';
import { deleteDeadLetter, displayBody, peekDeadLetters, redriveDeadLetter, takeDeadLetters, type DeadLetter } from '../../../messaging/dead-letters.ts';
import type { Caller } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';
import { recordOperatorAction } from './admin-audit-trail.ts';
import { callPaymentService, type AdminDeps } from './admin-deps.ts';
import { operatorOf } from './admin-scope.ts';

/** A parked message as the payment service lists it (its DLQ handlers park; the receipt handle stays there). */
interface ParkedView {
  queue: string;
  message_id: string;
  source_queue: string;
  event_type: string | null;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  receive_count: number;
  redrives: number;
  reason: string;
  sent_at: string | null;
  parked_at: string;
  parked_until: string;
}
interface ParkedList {
  messages: ParkedView[];
  summary: Array<{ queue: string; parked: number; oldest: string | null }>;
}

interface DeadLetterQueue {
  name: string;
  /** Where its messages came from (and go back to); EventBridge's target DLQ names it per message. */
  sources: string[];
  maxReceiveCount: number | null;
}

const topology = loadTopology();
const deadLetterQueues = new Map<string, DeadLetterQueue>([
  ...topology.queues.map((q): [string, DeadLetterQueue] => [q.deadLetter.name, { name: q.deadLetter.name, sources: [q.name], maxReceiveCount: q.deadLetter.maxReceiveCount }]),
  [topology.eventTargets.deadLetterQueue, { name: topology.eventTargets.deadLetterQueue, sources: [], maxReceiveCount: null }],
]);

const MAX_IDS = 500;
const queueParams = { type: 'object', required: ['queue'], properties: { queue: { type: 'string', maxLength: 80 } } } as const;
const messageParams = { type: 'object', required: ['queue', 'id'], properties: { queue: { type: 'string', maxLength: 80 }, id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;
/** Which dead letters an action is for: these ids, or all of the queue's. */
const selectionBody = {
  type: 'object',
  additionalProperties: false,
  properties: { message_ids: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 100 }, maxItems: MAX_IDS }, all: { type: 'boolean' } },
} as const;
const confirmedSelectionBody = { ...selectionBody, properties: { ...selectionBody.properties, confirm: { type: 'boolean' } } } as const;

const strings = (attributes: Record<string, MessageAttributeValue>) =>
  Object.fromEntries(Object.entries(attributes).flatMap(([name, value]) => (value.StringValue !== undefined ? [[name, value.StringValue]] : [])));

/** A message's event type: its `event_type` attribute, else the detail-type of the EventBridge event it carries. */
function eventTypeOf(message: DeadLetter | ParkedView, body: string): string | null {
  const attribute = 'eventType' in message ? message.eventType : message.event_type;
  if (attribute) return attribute;
  if (!body.startsWith('{')) return null;
  try {
    const detailType = (JSON.parse(body) as { 'detail-type'?: unknown })['detail-type'];
    return typeof detailType === 'string' ? detailType : null;
  } catch {
    return null;
  }
}

/** An EventBridge dead letter names the queue it failed to reach; that is where it goes back to. */
function sourceOf(dlq: DeadLetterQueue, attributes: Record<string, string>): string | null {
  if (dlq.sources[0]) return dlq.sources[0];
  const arn = attributes.TARGET_ARN;
  return arn?.startsWith('arn:aws:sqs:') ? arn.split(':').at(-1)! : null;
}

/** Why a visible message is in the DLQ: SQS's redrive policy (or EventBridge's retries) gave up on it. */
function reasonOf(dlq: DeadLetterQueue, maxReceiveCount: number | null, message: DeadLetter, attributes: Record<string, string>): string {
  if (attributes.ERROR_CODE) return `EventBridge could not deliver it: ${attributes.ERROR_CODE}${attributes.ERROR_MESSAGE ? ` (${attributes.ERROR_MESSAGE})` : ''}`;
  const base = maxReceiveCount ? `failed ${maxReceiveCount} deliveries from ${dlq.sources[0]}` : 'dead-lettered';
  return message.redrives > 0 ? `${base}, again after ${message.redrives} redrive${message.redrives === 1 ? '' : 's'} by the DLQ handler` : base;
}

/**
 * Queues and dead letters for operators:
 * - `GET /admin/queues`: every queue and DLQ of the topology with its depth,
 *   messages in flight and delayed, parked messages, age of the oldest where known;
 * - `GET /admin/dead-letters/{queue}`: a DLQ's messages, visible ones (looked
 *   at by receiving, messaging/dead-letters.ts) and the ones its DLQ handler
 *   parked (from the payment service's records), bodies decoded;
 * - redrive and delete, one message or many (`message_ids`, or `all`);
 *   deletes need `confirm=true`. Each action is audited first, with the operator.
 */
export function queueRoutes(plain: FastifyInstance, deps: GatewayDeps, admin: AdminDeps): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  const parkedIn = (queue?: string) =>
    callPaymentService<ParkedList>(deps, `/admin/parked-messages${queue ? `?queue=${encodeURIComponent(queue)}` : '?limit=1'}`, { timeoutMs: admin.timeoutMs });
  /** The source queue's redrive limit as SQS has it now (it may have been changed since the topology was applied). */
  const redriveLimitOf = async (dlq: DeadLetterQueue): Promise<number | null> => {
    if (!dlq.sources[0]) return null;
    try {
      const { Attributes } = await admin.sqs.send(new GetQueueAttributesCommand({ QueueUrl: await admin.directory.url(dlq.sources[0]), AttributeNames: ['RedrivePolicy'] }));
      const limit = Number((JSON.parse(Attributes?.RedrivePolicy ?? '{}') as { maxReceiveCount?: unknown }).maxReceiveCount);
      return Number.isInteger(limit) && limit > 0 ? limit : dlq.maxReceiveCount;
    } catch {
      return dlq.maxReceiveCount;
    }
  };
  const deadLetterQueue = (name: string) => {
    const found = deadLetterQueues.get(name);
    if (!found) throw notFound('QUEUE_NOT_FOUND', `${name} is not a dead-letter queue of this platform (known: ${[...deadLetterQueues.keys()].join(', ')})`);
    return found;
  };

  app.get('/admin/queues', { schema: { hide: true } }, async (): Promise<QueuesView> => {
    const parked = await parkedIn().then((p) => p.summary, () => []);
    const now = Date.now();
    const status = async (name: string, kind: QueueStatus['kind']): Promise<QueueStatus> => {
      const declared = topology.queues.find((q) => q.name === name);
      const dlq = deadLetterQueues.get(name);
      const mine = parked.find((p) => p.queue === name);
      const base: QueueStatus = {
        name,
        kind,
        dead_letter_queue: declared?.deadLetter.name ?? null,
        source_queues: dlq?.sources ?? [],
        max_receive_count: declared?.deadLetter.maxReceiveCount ?? null,
        messages: null,
        in_flight: null,
        delayed: null,
        parked: mine?.parked ?? 0,
        oldest_age_seconds: mine?.oldest ? Math.max(0, Math.round((now - Date.parse(mine.oldest)) / 1000)) : null,
      };
      try {
        const { Attributes: a = {} } = await admin.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: await admin.directory.url(name),
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
          }),
          { abortSignal: AbortSignal.timeout(admin.timeoutMs) },
        );
        return { ...base, messages: Number(a.ApproximateNumberOfMessages ?? 0), in_flight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0), delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0) };
      } catch (err) {
        return { ...base, error: (err as Error).message };
      }
    };
    const names = [...topology.queues.flatMap((q) => [[q.name, 'queue'], [q.deadLetter.name, 'dead_letter']] as const), [topology.eventTargets.deadLetterQueue, 'dead_letter'] as const];
    return { checked_at: new Date(now).toISOString(), queues: await Promise.all(names.map(([name, kind]) => status(name, kind))) };
  });

  app.get(
    '/admin/dead-letters/:queue',
    { schema: { hide: true, params: queueParams, querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500 } } } } },
    async (request): Promise<DeadLettersView & { warnings: string[] }> => {
        const dlq = deadLetterQueue(request.params.queue);
      const limit = request.query.limit ?? 100;
      const warnings: string[] = [];
      const [visible, parked, maxReceiveCount] = await Promise.all([
        admin.directory.url(dlq.name).then((url) => peekDeadLetters(admin.sqs, url, limit)),
        parkedIn(dlq.name).then(
          (p) => p.messages,
          (err: Error) => {
            warnings.push(`parked messages could not be listed: ${err.message}`);
            return [] as ParkedView[];
          },
        ),
        redriveLimitOf(dlq),
      ]);
      const schemaById = (id: number) => admin.schemas.schemaById(id);
      const decoded = async (raw: string, attributes: Record<string, string>): Promise<DecodedBody> => {
        const body = await displayBody(raw, attributes, schemaById);
        return { format: body.format, value: body.value, ...(body.schemaId !== undefined ? { schema_id: body.schemaId } : {}), ...(body.error ? { error: body.error } : {}) };
      };
      const shown: DeadLetterMessage[] = await Promise.all([
        ...parked.map(async (p): Promise<DeadLetterMessage> => {
          const attributes = strings(p.attributes);
          return {
            message_id: p.message_id,
            queue: dlq.name,
            state: 'parked',
            source_queue: p.source_queue,
            event_type: eventTypeOf(p, p.body),
            sent_at: p.sent_at,
            receive_count: p.receive_count,
            redrives: p.redrives,
            failure_reason: p.reason,
            parked_at: p.parked_at,
            parked_until: p.parked_until,
            body: await decoded(p.body, attributes),
            attributes,
          };
        }),
        ...visible.map(async (m): Promise<DeadLetterMessage> => {
          const attributes = strings(m.attributes);
          return {
            message_id: m.messageId,
            queue: dlq.name,
            state: 'visible',
            source_queue: sourceOf(dlq, attributes),
            event_type: eventTypeOf(m, m.body),
            sent_at: m.sentAt ?? null,
            receive_count: m.receiveCount,
            redrives: m.redrives,
            failure_reason: reasonOf(dlq, maxReceiveCount, m, attributes),
            body: await decoded(m.body, attributes),
            attributes,
          };
        }),
      ]);
      shown.sort((a, b) => (a.sent_at ?? '').localeCompare(b.sent_at ?? ''));
      return { queue: dlq.name, source_queue: dlq.sources[0] ?? null, messages: shown, truncated: visible.length >= limit, warnings };
    },
  );

  /** Redrives or deletes messages of one DLQ: the parked ones through their owner, the visible ones here. */
  async function act(request: FastifyRequest, caller: Caller, queue: string, action: 'redrive' | 'delete', selected: { message_ids?: string[]; all?: boolean }): Promise<DeadLetterActionResult> {
    const dlq = deadLetterQueue(queue);
    const ids = [...new Set(selected.message_ids ?? [])];
    if (!selected.all && ids.length === 0) throw invalidArgument('NOTHING_SELECTED', 'name the messages (message_ids) or send all: true', 'message_ids');
    const url = await admin.directory.url(dlq.name);
    let parkedIds = new Set<string>();
    let parkedUnknown: string | undefined;
    try {
      parkedIds = new Set((await parkedIn(dlq.name)).messages.map((m) => m.message_id));
    } catch (err) {
      parkedUnknown = (err as Error).message;
    }
    const wanted = selected.all ? [...parkedIds, ...(await peekDeadLetters(admin.sqs, url, MAX_IDS)).map((m) => m.messageId)] : ids;
    await recordOperatorAction(admin.events, caller, `dead_letter.${action}`, dlq.name, { message_ids: wanted, all: selected.all === true });

    const result: DeadLetterActionResult = { queue: dlq.name, action, done: [], not_found: [], failed: [] };
    for (const id of wanted.filter((m) => parkedIds.has(m))) {
      try {
        const path = `/admin/parked-messages/${encodeURIComponent(dlq.name)}/${encodeURIComponent(id)}${action === 'redrive' ? '/redrive' : ''}`;
        await callPaymentService(deps, path, { method: action === 'redrive' ? 'POST' : 'DELETE', timeoutMs: admin.timeoutMs });
        result.done.push(id);
      } catch (err) {
        if (err instanceof PayMeshError && err.kind === 'not_found') result.not_found.push(id);
        else result.failed.push({ message_id: id, reason: (err as Error).message });
      }
    }
    const rest = wanted.filter((m) => !parkedIds.has(m));
    const taken = rest.length > 0 ? await takeDeadLetters(admin.sqs, url, rest) : new Map<string, DeadLetter>();
    for (const id of rest) {
      const message = taken.get(id);
      if (!message) {
        if (parkedUnknown) result.failed.push({ message_id: id, reason: `not visible in ${dlq.name}, and its parked messages could not be checked: ${parkedUnknown}` });
        else result.not_found.push(id);
        continue;
      }
      try {
        if (action === 'delete') {
          await deleteDeadLetter(admin.sqs, url, message.receiptHandle);
        } else {
          const source = sourceOf(dlq, strings(message.attributes));
          if (!source) throw new Error('it names no queue to go back to');
          await redriveDeadLetter(admin.sqs, { deadLetterQueue: dlq.name, deadLetterQueueUrl: url, sourceQueueUrl: await admin.directory.url(source) }, message);
        }
        result.done.push(id);
      } catch (err) {
        result.failed.push({ message_id: id, reason: (err as Error).message });
      }
    }
    request.log.info({ operator: caller.userId, queue: dlq.name, action, done: result.done.length, failed: result.failed.length }, 'operator acted on dead letters');
    return result;
  }

  const needsConfirmation = () =>
    invalidArgument('CONFIRMATION_REQUIRED', 'deleting dead letters cannot be undone: repeat the request with confirm=true', 'confirm');

  app.post('/admin/dead-letters/:queue/messages/:id/redrive', { schema: { hide: true, params: messageParams } }, async (request) => {
    const caller = operatorOf(request);
    const { queue, id } = request.params;
    const result = await act(request, caller, queue, 'redrive', { message_ids: [id] });
    if (result.not_found.length > 0) throw notFound('MESSAGE_NOT_FOUND', `no message ${id} in ${queue}`);
    return result;
  });

  app.delete(
    '/admin/dead-letters/:queue/messages/:id',
    { schema: { hide: true, params: messageParams, querystring: { type: 'object', properties: { confirm: { type: 'boolean' } } } } },
    async (request) => {
      const caller = operatorOf(request);
      if (request.query.confirm !== true) throw needsConfirmation();
      const { queue, id } = request.params;
      const result = await act(request, caller, queue, 'delete', { message_ids: [id] });
      if (result.not_found.length > 0) throw notFound('MESSAGE_NOT_FOUND', `no message ${id} in ${queue}`);
      return result;
    },
  );

  app.post('/admin/dead-letters/:queue/redrive', { schema: { hide: true, params: queueParams, body: selectionBody } }, async (request) => {
    const caller = operatorOf(request);
    return act(request, caller, request.params.queue, 'redrive', request.body);
  });

  app.post('/admin/dead-letters/:queue/delete', { schema: { hide: true, params: queueParams, body: confirmedSelectionBody } }, async (request) => {
    const caller = operatorOf(request);
    const body = request.body;
    if (body.confirm !== true) throw needsConfirmation();
    return act(request, caller, request.params.queue, 'delete', body);
  });
}
