import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { NodeSqliteDatabase } from '../../storage/node-sqlite-dialect.ts';
import type { AwsError } from './aws-error.ts';
import type { Sql } from './sqs/store.ts';

/**
 * The seams between the broker's SQS and EventBridge halves. They share the
 * broker's one database; neither reaches into the other's tables.
 */

/** What EventBridge needs from SQS to deliver to a queue target. */
export interface QueueDelivery {
  /**
   * Enqueues `body` on the queue with this ARN (arn:aws:sqs:<region>:<account>:<name>), durably,
   * before resolving. Throws AwsError (code AWS.SimpleQueueService.NonExistentQueue) when there is no such queue.
   */
  deliverToQueueArn(queueArn: string, body: string, options?: Omit<QueueMessageRequest, 'queueArn' | 'body'>): Promise<{ messageId: string }>;
}

/** A message for the queue with this ARN, as EventBridge sends a rule target's input. */
export interface QueueMessageRequest {
  queueArn: string;
  body: string;
  /** FIFO queues only. */
  messageGroupId?: string;
  messageDeduplicationId?: string;
  /** SQS message attributes, e.g. the ERROR_CODE / RULE_ARN ones EventBridge puts on a dead-lettered event. */
  messageAttributes?: Record<string, { DataType: 'String' | 'Number'; StringValue: string }>;
}

/** What became of one request: the queue has it, or refused it (no such queue, a message SQS would refuse). */
export type QueueMessageOutcome = { messageId: string } | { error: AwsError };

/** One unit of work in the SQS store's group commit, opened to EventBridge for its own tables and its deliveries. */
export interface QueueTransaction {
  readonly sql: Sql;
  /** Epoch milliseconds, read when the unit started. */
  readonly now: number;
  /** Stores the messages on their queues in this transaction (each queue's in order); never throws for one refused message. */
  deliver(requests: QueueMessageRequest[]): Promise<QueueMessageOutcome[]>;
}

/**
 * What PutEvents needs from SQS: its messages written into the target queues
 * in the same group commit that acknowledges it (one fsync for both), with
 * EventBridge's own rows (deliveries that must wait for a retry) beside them.
 */
export interface QueueTransactions {
  /**
   * Runs `work` as a durable unit of the SQS store: it resolves once the
   * transaction is on disk. `work` may run more than once (a rolled-back group
   * runs its units again alone), so it must have no effects outside the database.
   */
  transact<T>(work: (tx: QueueTransaction) => Promise<T>): Promise<T>;
}

/** One AWS protocol's actions: `action` is the X-Amz-Target operation name (e.g. PutEvents), `input` the parsed JSON body. */
export interface ActionHandler {
  handle(action: string, input: Record<string, unknown>): Promise<unknown>;
}

export interface BrokerContext {
  db: Kysely<any>;
  dialect: 'sqlite' | 'postgres';
  /** The node:sqlite database under `db` (storage/transaction.ts's writes that need not wait for the disk); undefined on PostgreSQL. */
  sqlite: NodeSqliteDatabase | undefined;
  accountId: string;
  region: string;
  log: Logger;
}
