import type { Kysely } from 'kysely';
import type { Logger } from 'pino';

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
  deliverToQueueArn(
    queueArn: string,
    body: string,
    options?: {
      messageGroupId?: string;
      messageDeduplicationId?: string;
      /** SQS message attributes, e.g. the ERROR_CODE / RULE_ARN ones EventBridge puts on a dead-lettered event. */
      messageAttributes?: Record<string, { DataType: 'String' | 'Number'; StringValue: string }>;
    },
  ): Promise<{ messageId: string }>;
}

/** One AWS protocol's actions: `action` is the X-Amz-Target operation name (e.g. PutEvents), `input` the parsed JSON body. */
export interface ActionHandler {
  handle(action: string, input: Record<string, unknown>): Promise<unknown>;
}

export interface BrokerContext {
  db: Kysely<any>;
  dialect: 'sqlite' | 'postgres';
  accountId: string;
  region: string;
  log: Logger;
}
