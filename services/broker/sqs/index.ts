import type { Logger } from 'pino';
import { AwsError } from '../aws-error.ts';
import type { BrokerDatabase } from '../database.ts';
import type { QueueDelivery, QueueTransactions } from '../ports.ts';
import type { RequestContext, SqsDeps } from './context.ts';
import { DEFAULT_HOUSEKEEPING, Housekeeping, type HousekeepingTiming } from './housekeeping.ts';
import { changeMessageVisibility, changeMessageVisibilityBatch, deleteMessage, deleteMessageBatch } from './in-flight.ts';
import type { Input } from './input.ts';
import { cancelMessageMoveTask, listMessageMoveTasks, startMessageMoveTask } from './move-tasks.ts';
import {
  addPermission,
  createQueue,
  deleteQueue,
  getQueueAttributes,
  getQueueUrl,
  listDeadLetterSourceQueues,
  listQueues,
  listQueueTags,
  purgeQueue,
  removePermission,
  setQueueAttributes,
  tagQueue,
  untagQueue,
} from './queues.ts';
import { receiveMessage } from './receive.ts';
import { QueueRegistry } from './registry.ts';
import { deliverInTransaction, deliverToQueueArn, sendMessage, sendMessageBatch } from './send.ts';
import { Store } from './store.ts';
import { Waiters } from './waiters.ts';

export { sqsMigrations } from './migrations.ts';
export { jsonShapeOf } from './errors.ts';
export { md5OfAttributes } from './message-attributes.ts';
export type { RequestContext } from './context.ts';

type Action = (deps: SqsDeps, input: Input, ctx: RequestContext) => Promise<unknown>;

/** A Map, not a plain object: a caller's action name must never reach Object.prototype (`constructor`, `__proto__`, ...). */
const ACTIONS = new Map<string, Action>(Object.entries({
  CreateQueue: createQueue,
  GetQueueUrl: getQueueUrl,
  ListQueues: listQueues,
  DeleteQueue: deleteQueue,
  GetQueueAttributes: getQueueAttributes,
  SetQueueAttributes: setQueueAttributes,
  PurgeQueue: purgeQueue,
  ListDeadLetterSourceQueues: listDeadLetterSourceQueues,
  TagQueue: tagQueue,
  UntagQueue: untagQueue,
  ListQueueTags: listQueueTags,
  AddPermission: addPermission,
  RemovePermission: removePermission,
  SendMessage: sendMessage,
  SendMessageBatch: sendMessageBatch,
  ReceiveMessage: receiveMessage,
  DeleteMessage: deleteMessage,
  DeleteMessageBatch: deleteMessageBatch,
  ChangeMessageVisibility: changeMessageVisibility,
  ChangeMessageVisibilityBatch: changeMessageVisibilityBatch,
  StartMessageMoveTask: startMessageMoveTask,
  ListMessageMoveTasks: listMessageMoveTasks,
  CancelMessageMoveTask: cancelMessageMoveTask,
} satisfies Record<string, Action>));

export const SQS_ACTIONS = [...ACTIONS.keys()];

export interface SqsContext {
  database: BrokerDatabase;
  accountId: string;
  region: string;
  log: Logger;
}

export type SqsOptions = Partial<HousekeepingTiming> & {
  /** Epoch milliseconds; tests may move it forward. */
  clock?: () => number;
};

export type Sqs = QueueDelivery & QueueTransactions & {
  /** Answers AmazonSQS.<action> with the JSON protocol's response shape; throws AwsError with SQS's codes. */
  handle(action: string, input: Record<string, unknown>, request: RequestContext): Promise<unknown>;
  /** Loads the queues and starts housekeeping (retention, deduplication windows, move tasks). */
  start(): Promise<void>;
  /** Releases long polls, finishes queued work and stops housekeeping. The database stays open: it is the broker's. */
  stop(): Promise<void>;
};

/**
 * The SQS half of the embedded broker: queues and messages in the broker's
 * database (sqs_ tables, see sqsMigrations), every read and write through one
 * group-committing store (store.ts), long polls woken in process (waiters.ts).
 */
export function createSqs(ctx: SqsContext, options: SqsOptions = {}): Sqs {
  const log = ctx.log.child({ component: 'sqs' });
  const { clock = Date.now, ...timing } = options;
  const store = new Store(ctx.database, log, clock);
  const registry = new QueueRegistry(ctx.region, ctx.accountId);
  const waiters = new Waiters(clock);
  const deps: SqsDeps = { store, registry, waiters, accountId: ctx.accountId, region: ctx.region, log, clock };
  const housekeeping = new Housekeeping(deps, { ...DEFAULT_HOUSEKEEPING, ...definedOnly(timing) });
  store.onRollback = () => store.runAlone((tx) => registry.load(tx.sql));

  return {
    async handle(action, input, request) {
      const run = ACTIONS.get(action);
      if (!run) throw new AwsError('InvalidAction', `The action ${action} is not valid for this endpoint.`);
      try {
        const result = await run(deps, input ?? {}, request);
        if (action === 'StartMessageMoveTask') housekeeping.poke();
        return result;
      } catch (err) {
        if (err instanceof AwsError) throw err;
        log.error({ err, action }, 'SQS action failed');
        throw new AwsError('InternalError', 'We encountered an internal error. Please try again.', 500, 'Receiver');
      }
    },
    deliverToQueueArn: (arn, body, options) => deliverToQueueArn(deps, arn, body, options),
    transact: (work) => store.run((tx) => work({ sql: tx.sql, now: tx.now, deliver: (requests) => deliverInTransaction(tx, deps, requests) })),
    async start() {
      await store.run((tx) => registry.load(tx.sql));
      housekeeping.start();
    },
    async stop() {
      waiters.close();
      await housekeeping.stop();
      await store.close();
    },
  };
}

function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}
