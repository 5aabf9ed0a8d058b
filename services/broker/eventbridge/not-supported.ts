import { AwsError } from '../aws-error.ts';

/**
 * Connections and API destinations, EventBridge's HTTP targets, are not part
 * of the embedded broker: its rules deliver to SQS queues only. Their actions
 * answer OperationDisabledException (400, "The operation you are attempting is
 * not available in this region", EventBridge API reference, Errors), the
 * error EventBridge itself gives for an operation a region does not offer. It
 * is a modeled EventBridge error, so every SDK raises a typed exception a
 * caller can catch and recognise, where UnknownOperationException would read
 * as a client that does not match the service.
 */
export const NOT_SUPPORTED_ACTIONS = [
  'CreateConnection',
  'DescribeConnection',
  'ListConnections',
  'UpdateConnection',
  'DeauthorizeConnection',
  'DeleteConnection',
  'CreateApiDestination',
  'DescribeApiDestination',
  'ListApiDestinations',
  'UpdateApiDestination',
  'DeleteApiDestination',
] as const;

export function notSupported(action: string): () => Promise<never> {
  return async () => {
    throw new AwsError(
      'OperationDisabledException',
      `${action} is not available in the embedded broker: connections and API destinations (HTTP targets) are not supported; rules deliver to SQS queues only.`,
    );
  };
}
