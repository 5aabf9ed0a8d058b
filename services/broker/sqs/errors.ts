import { AwsError } from '../aws-error.ts';

/**
 * SQS errors by their query-protocol code (what AwsError.code carries and the
 * XML <Code> shows). The JSON protocol names the same error by its shape in
 * the SQS API model (`__type`), and sends the query code in the
 * x-amzn-query-error header, from which the v3 SDK picks the exception class.
 */
const SHAPE_OF_QUERY_CODE: Record<string, string> = {
  'AWS.SimpleQueueService.NonExistentQueue': 'QueueDoesNotExist',
  QueueAlreadyExists: 'QueueNameExists',
  'AWS.SimpleQueueService.BatchEntryIdsNotDistinct': 'BatchEntryIdsNotDistinct',
  'AWS.SimpleQueueService.BatchRequestTooLong': 'BatchRequestTooLong',
  'AWS.SimpleQueueService.EmptyBatchRequest': 'EmptyBatchRequest',
  'AWS.SimpleQueueService.InvalidBatchEntryId': 'InvalidBatchEntryId',
  'AWS.SimpleQueueService.TooManyEntriesInBatchRequest': 'TooManyEntriesInBatchRequest',
  'AWS.SimpleQueueService.MessageNotInflight': 'MessageNotInflight',
  'AWS.SimpleQueueService.PurgeQueueInProgress': 'PurgeQueueInProgress',
  'AWS.SimpleQueueService.QueueDeletedRecently': 'QueueDeletedRecently',
  'AWS.SimpleQueueService.UnsupportedOperation': 'UnsupportedOperation',
};

/** The JSON protocol's `__type` shape name for an SQS error code. */
export function jsonShapeOf(code: string): string {
  return SHAPE_OF_QUERY_CODE[code] ?? code;
}

export const queueDoesNotExist = () =>
  new AwsError('AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');

export const invalidParameterValue = (message: string) => new AwsError('InvalidParameterValue', message);

export const missingParameter = (name: string) =>
  new AwsError('MissingParameter', `The request must contain the parameter ${name}.`);

export const invalidAttributeName = (name: string) => new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);

export const invalidAttributeValue = (name: string, reason?: string) =>
  new AwsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.${reason ? ` Reason: ${reason}` : ''}`);

export const receiptHandleIsInvalid = (handle: string) =>
  new AwsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`, 404);

export const unsupportedOperation = (message: string) => new AwsError('AWS.SimpleQueueService.UnsupportedOperation', message);

export const resourceNotFound = (message: string) => new AwsError('ResourceNotFoundException', message, 404);

/** "Value X for parameter Y is invalid. Reason: Z." — AWS's wording for a bad request parameter. */
export const badParameter = (name: string, value: unknown, reason: string) =>
  invalidParameterValue(`Value ${typeof value === 'string' ? value : JSON.stringify(value)} for parameter ${name} is invalid. Reason: ${reason}`);
