import type { Logger } from 'pino';
import { AwsError } from '../aws-error.ts';
import { queueDoesNotExist } from './errors.ts';
import type { Queue, QueueRegistry } from './registry.ts';
import type { Store } from './store.ts';
import type { Waiters } from './waiters.ts';

/** What every SQS action needs. */
export interface SqsDeps {
  readonly store: Store;
  readonly registry: QueueRegistry;
  readonly waiters: Waiters;
  readonly accountId: string;
  readonly region: string;
  readonly log: Logger;
  /** Epoch milliseconds; tests move it forward to see retention and deduplication windows end. */
  readonly clock: () => number;
}

/** Per request: how the caller reached the broker (queue URLs use it) and who it is. */
export interface RequestContext {
  /** e.g. http://127.0.0.1:9324 */
  readonly baseUrl: string;
  /** The SigV4 access key id, reported as SenderId; the account id when unsigned. */
  readonly callerId?: string;
  /** Aborted when the client goes away: a long poll stops waiting. */
  readonly signal?: AbortSignal;
  /**
   * The request's X-Amzn-Trace-Id header: SendMessage and SendMessageBatch store it as each
   * message's AWSTraceHeader unless the message sets that system attribute itself (X-Ray developer
   * guide, "Amazon SQS and AWS X-Ray": the message system attribute overrides the HTTP header).
   */
  readonly traceHeader?: string;
}

export function queueUrl(deps: SqsDeps, ctx: RequestContext, name: string): string {
  return `${ctx.baseUrl}/${deps.accountId}/${name}`;
}

const QUEUE_PATH = /\/(\d{12})\/([A-Za-z0-9_-]{1,80}(?:\.fifo)?)\/?$/;

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}(\.fifo)?$/;

/**
 * The queue a QueueUrl names. Only the path counts (`/<account>/<name>`), so a
 * URL with another host (the SDK's default endpoint, a container name) works.
 * A bare queue name is a queue of the caller's account and Region, as AWS
 * resolves it (recorded against SQS: SendMessage with QueueUrl=<name> succeeds).
 */
export function resolveQueue(deps: SqsDeps, url: string): Queue {
  if (QUEUE_NAME.test(url)) {
    const named = deps.registry.get(url);
    if (!named) throw queueDoesNotExist();
    return named;
  }
  const path = url.replace(/[?#].*$/, '').replace(/^[a-z]+:\/\/[^/]*/i, '');
  const match = QUEUE_PATH.exec(path);
  if (!match) throw new AwsError('InvalidAddress', `The address ${url} is not valid for this endpoint.`, 404);
  if (match[1] !== deps.accountId) throw queueDoesNotExist();
  const queue = deps.registry.get(match[2]!);
  if (!queue) throw queueDoesNotExist();
  return queue;
}
