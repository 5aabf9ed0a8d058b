import type { Kysely } from 'kysely';
import { AwsError } from '../aws-error.ts';
import type { ActionHandler, BrokerContext, QueueDelivery, QueueTransactions } from '../ports.ts';
import { createArchive, deleteArchive, describeArchive, listArchives, updateArchive } from './archives.ts';
import { createEventBus, deleteEventBus, describeEventBus, listEventBuses } from './buses.ts';
import type { Deps, Input } from './common.ts';
import { DEFAULT_TIMING, DeliveryWorker, type DeliveryTiming } from './delivery.ts';
import { NOT_SUPPORTED_ACTIONS, notSupported } from './not-supported.ts';
import { parseEventPattern } from './pattern.ts';
import { putPermission, removePermission } from './permissions.ts';
import { putEvents } from './put-events.ts';
import { cancelReplay, describeReplay, listReplays, startReplay } from './replays.ts';
import { RoutingTable } from './routing-table.ts';
import { deleteRule, describeRule, listRuleNamesByTarget, listRules, putRule, setRuleState, testEventPattern } from './rules.ts';
import type { EventBridgeSchema } from './schema.ts';
import { listTargetsByRule, putTargets, removeTargets } from './targets.ts';

export { eventBridgeMigrations } from './migrations.ts';
export { matchableEvent, matchesPattern, matchesPreparedEvent, parseEventPattern, validateEventPattern } from './pattern.ts';
export type { EventEnvelope } from './put-events.ts';
export type { MessageAttributes, QueueDeliveryOptions, DeliveryTiming } from './delivery.ts';

export interface EventBridgeOptions extends Partial<DeliveryTiming> {
  /** Epoch milliseconds; tests may pin it. */
  clock?: () => number;
}

export type EventBridge = ActionHandler & {
  /** Starts the background worker: deliveries (with retries and DLQs), replays, archive retention. */
  start(): Promise<void>;
  /** Stops the worker after the round in progress. The database stays open: it is the broker's. */
  stop(): Promise<void>;
};

type Action = (deps: Deps, input: Input) => Promise<unknown>;

/** A Map, not a plain object: a caller's action name must never reach Object.prototype (`constructor`, `__proto__`, ...). */
const ACTIONS = new Map<string, Action>(Object.entries({
  CreateEventBus: createEventBus,
  DescribeEventBus: describeEventBus,
  ListEventBuses: listEventBuses,
  DeleteEventBus: deleteEventBus,
  PutPermission: putPermission,
  RemovePermission: removePermission,
  PutRule: putRule,
  DescribeRule: describeRule,
  ListRules: listRules,
  ListRuleNamesByTarget: listRuleNamesByTarget,
  DeleteRule: deleteRule,
  EnableRule: (deps, input) => setRuleState(deps, input, 'ENABLED'),
  DisableRule: (deps, input) => setRuleState(deps, input, 'DISABLED'),
  TestEventPattern: testEventPattern,
  PutTargets: putTargets,
  ListTargetsByRule: listTargetsByRule,
  RemoveTargets: removeTargets,
  PutEvents: putEvents,
  CreateArchive: createArchive,
  DescribeArchive: describeArchive,
  ListArchives: listArchives,
  UpdateArchive: updateArchive,
  DeleteArchive: deleteArchive,
  StartReplay: startReplay,
  DescribeReplay: describeReplay,
  ListReplays: listReplays,
  CancelReplay: cancelReplay,
  ...Object.fromEntries(NOT_SUPPORTED_ACTIONS.map((action) => [action, notSupported(action)])),
} satisfies Record<string, Action>));

/** Actions that change what PutEvents routes where: the routing table is read again after each. */
const CHANGES_ROUTES = new Set([
  'CreateEventBus',
  'DeleteEventBus',
  'PutRule',
  'DeleteRule',
  'EnableRule',
  'DisableRule',
  'PutTargets',
  'RemoveTargets',
  'CreateArchive',
  'UpdateArchive',
  'DeleteArchive',
]);

/** The actions this half answers, for the server's documentation or routing checks. */
export const EVENTBRIDGE_ACTIONS = [...ACTIONS.keys()];

const PATTERN_CACHE_SIZE = 1000;

/**
 * The EventBridge half of the embedded broker. `handle(action, input)` answers
 * AWSEvents.<action> requests with AWS JSON 1.1 response shapes and throws
 * AwsError with AWS's codes. Events, rules, targets, pending deliveries,
 * archives and replays live in the broker's database (eb_ tables, see
 * eventBridgeMigrations), so nothing acknowledged is lost across restarts.
 */
export function createEventBridge(ctx: BrokerContext & { queues: QueueDelivery & QueueTransactions }, options: EventBridgeOptions = {}): EventBridge {
  const { clock, ...timing } = options;
  const log = ctx.log.child({ component: 'eventbridge' });
  const patterns = new Map<string, Record<string, unknown>>();
  let worker: DeliveryWorker | undefined;

  const pattern = (text: string) => {
    let parsed = patterns.get(text);
    if (!parsed) {
      parsed = parseEventPattern(text);
      if (patterns.size >= PATTERN_CACHE_SIZE) patterns.delete(patterns.keys().next().value!);
      patterns.set(text, parsed);
    }
    return parsed;
  };
  const deps: Deps = {
    db: ctx.db as Kysely<EventBridgeSchema>,
    routes: new RoutingTable(ctx.db as Kysely<EventBridgeSchema>, pattern),
    dialect: ctx.dialect,
    sqlite: ctx.sqlite,
    accountId: ctx.accountId,
    region: ctx.region,
    log,
    queues: ctx.queues,
    now: clock ?? Date.now,
    pattern,
    wake: () => worker?.wake(),
  };
  worker = new DeliveryWorker(deps, { ...DEFAULT_TIMING, ...definedOnly(timing) });

  return {
    async handle(action, input) {
      const run = ACTIONS.get(action);
      if (!run) throw new AwsError('UnknownOperationException', `The action ${action} is not supported by the embedded EventBridge.`);
      try {
        return await run(deps, input ?? {});
      } catch (err) {
        if (err instanceof AwsError) throw err;
        log.error({ err, action }, 'EventBridge action failed');
        throw new AwsError('InternalException', 'An internal error occurred.', 500, 'Receiver');
      } finally {
        if (CHANGES_ROUTES.has(action)) deps.routes.invalidate();
      }
    },
    async start() {
      worker.start();
    },
    async stop() {
      await worker.stop();
    },
  };
}

function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}
