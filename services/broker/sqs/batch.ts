import { AwsError } from '../aws-error.ts';
import { missingParameter } from './errors.ts';
import type { Input } from './input.ts';

export const MAX_BATCH_ENTRIES = 10;
const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

export interface BatchFailure {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

/**
 * The entries of a batch call, checked as SQS checks them before looking at
 * any entry: present, 1 to 10, well-formed and distinct ids. `entryName` is
 * the query protocol's member name (e.g. SendMessageBatchRequestEntry).
 */
export function readBatchEntries(input: Input, entryName: string): Array<Input & { Id: string }> {
  const entries = input.Entries;
  if (entries === undefined || entries === null) throw missingParameter('Entries');
  if (!Array.isArray(entries)) throw new AwsError('InvalidParameterValue', 'Entries must be a list.');
  if (entries.length === 0) {
    throw new AwsError('AWS.SimpleQueueService.EmptyBatchRequest', `There should be at least one ${entryName} in the request.`);
  }
  if (entries.length > MAX_BATCH_ENTRIES) {
    throw new AwsError(
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
    );
  }
  const seen = new Set<string>();
  for (const entry of entries as Input[]) {
    const id = entry?.Id;
    if (typeof id !== 'string' || !ENTRY_ID.test(id)) {
      throw new AwsError(
        'AWS.SimpleQueueService.InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (seen.has(id)) throw new AwsError('AWS.SimpleQueueService.BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
  }
  return entries as Array<Input & { Id: string }>;
}

export function failure(id: string, err: unknown): BatchFailure {
  if (err instanceof AwsError) return { Id: id, SenderFault: err.fault === 'Sender', Code: err.code, Message: err.message };
  return { Id: id, SenderFault: false, Code: 'InternalError', Message: 'We encountered an internal error. Please try again.' };
}
