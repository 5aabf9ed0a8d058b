import { AwsError } from '../aws-error.ts';
import { badParameter, invalidAttributeName, invalidAttributeValue } from './errors.ts';

/**
 * SQS's largest message: 1 MiB since August 2025 (CreateQueue API reference,
 * MaximumMessageSize: "1,024 bytes (1 KiB) to 1,048,576 bytes (1 MiB). Default: 1,048,576").
 */
export const MAX_MESSAGE_BYTES = 1_048_576;

/** AWS's limits for the numeric queue attributes. */
const INTEGER_RANGES: Record<string, [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, MAX_MESSAGE_BYTES],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43_200],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
};

const STANDARD_DEFAULTS: Record<string, string> = {
  DelaySeconds: '0',
  MaximumMessageSize: String(MAX_MESSAGE_BYTES),
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};

const FIFO_DEFAULTS: Record<string, string> = {
  ...STANDARD_DEFAULTS,
  FifoQueue: 'true',
  ContentBasedDeduplication: 'false',
  DeduplicationScope: 'queue',
  FifoThroughputLimit: 'perQueue',
};

const FIFO_ONLY = new Set(['FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']);
const SETTABLE = new Set([
  ...Object.keys(INTEGER_RANGES),
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'Policy',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
  ...FIFO_ONLY,
]);

/** Attributes SQS computes; GetQueueAttributes returns them, Create/SetQueueAttributes refuse them. */
export const COMPUTED_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

/** Every name GetQueueAttributes knows, in the order it lists them. */
export const READABLE_ATTRIBUTES = new Set<string>(['All', ...COMPUTED_ATTRIBUTES, ...SETTABLE]);

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export interface RedriveAllowPolicy {
  redrivePermission: 'allowAll' | 'denyAll' | 'byQueue';
  sourceQueueArns?: string[];
}

/** The attributes the engine acts on, parsed once per change. */
export interface QueueSettings {
  delaySeconds: number;
  maximumMessageSize: number;
  retentionSeconds: number;
  receiveWaitSeconds: number;
  visibilityTimeout: number;
  redrivePolicy: RedrivePolicy | undefined;
  redriveAllowPolicy: RedriveAllowPolicy | undefined;
  contentBasedDeduplication: boolean;
  deduplicationScope: 'queue' | 'messageGroup';
}

export function defaultAttributes(fifo: boolean): Record<string, string> {
  return { ...(fifo ? FIFO_DEFAULTS : STANDARD_DEFAULTS) };
}

export function settingsOf(attributes: Record<string, string>): QueueSettings {
  const int = (name: string) => Number(attributes[name] ?? STANDARD_DEFAULTS[name]);
  return {
    delaySeconds: int('DelaySeconds'),
    maximumMessageSize: int('MaximumMessageSize'),
    retentionSeconds: int('MessageRetentionPeriod'),
    receiveWaitSeconds: int('ReceiveMessageWaitTimeSeconds'),
    visibilityTimeout: int('VisibilityTimeout'),
    redrivePolicy: attributes.RedrivePolicy ? (JSON.parse(attributes.RedrivePolicy) as RedrivePolicy) : undefined,
    redriveAllowPolicy: attributes.RedriveAllowPolicy ? (JSON.parse(attributes.RedriveAllowPolicy) as RedriveAllowPolicy) : undefined,
    contentBasedDeduplication: attributes.ContentBasedDeduplication === 'true',
    deduplicationScope: attributes.DeduplicationScope === 'messageGroup' ? 'messageGroup' : 'queue',
  };
}

const SQS_ARN = /^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/;

function parseJsonObject(name: string, value: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw badParameter(name, value, `${what} is not a valid JSON map.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badParameter(name, value, `${what} is not a valid JSON map.`);
  return parsed as Record<string, unknown>;
}

function normaliseRedrivePolicy(value: string): string {
  const policy = parseJsonObject('RedrivePolicy', value, 'Redrive policy');
  const arn = policy.deadLetterTargetArn;
  if (typeof arn !== 'string' || !SQS_ARN.test(arn)) {
    throw badParameter('RedrivePolicy', value, 'Dead letter target is not a valid queue ARN.');
  }
  const raw = policy.maxReceiveCount;
  const count = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw badParameter('RedrivePolicy', value, `Invalid value for maxReceiveCount: ${String(raw)}, valid values are from 1 to 1000 both inclusive.`);
  }
  const unknown = Object.keys(policy).filter((k) => k !== 'deadLetterTargetArn' && k !== 'maxReceiveCount');
  if (unknown.length > 0) throw badParameter('RedrivePolicy', value, `Unknown key ${unknown[0]}.`);
  return JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: count });
}

function normaliseRedriveAllowPolicy(value: string): string {
  const policy = parseJsonObject('RedriveAllowPolicy', value, 'Redrive allow policy');
  const permission = policy.redrivePermission;
  if (permission !== 'allowAll' && permission !== 'denyAll' && permission !== 'byQueue') {
    throw badParameter('RedriveAllowPolicy', value, 'redrivePermission must be one of allowAll, denyAll, byQueue.');
  }
  const sources = policy.sourceQueueArns;
  if (permission === 'byQueue') {
    if (!Array.isArray(sources) || sources.length < 1 || sources.length > 10 || sources.some((s) => typeof s !== 'string' || !SQS_ARN.test(s))) {
      throw badParameter('RedriveAllowPolicy', value, 'sourceQueueArns must list 1 to 10 queue ARNs when redrivePermission is byQueue.');
    }
    return JSON.stringify({ redrivePermission: permission, sourceQueueArns: sources });
  }
  if (sources !== undefined) throw badParameter('RedriveAllowPolicy', value, 'sourceQueueArns is only allowed when redrivePermission is byQueue.');
  return JSON.stringify({ redrivePermission: permission });
}

/**
 * One attribute of CreateQueue or SetQueueAttributes, checked and in the
 * form GetQueueAttributes returns. An empty RedrivePolicy, RedriveAllowPolicy
 * or Policy removes it (returned as '').
 */
export function normaliseAttribute(name: string, value: string, fifo: boolean, creating: boolean): string {
  if (!SETTABLE.has(name)) throw invalidAttributeName(name);
  // A standard queue has no FIFO attributes, not even FifoQueue=false (AWS answers exactly this, recorded).
  if (FIFO_ONLY.has(name) && !fifo) {
    if (name === 'DeduplicationScope' || name === 'FifoThroughputLimit') {
      throw new AwsError('InvalidAttributeName', `You can specify the ${name} only when FifoQueue is set to true.`);
    }
    throw invalidAttributeName(name);
  }
  // A FIFO queue may repeat FifoQueue=true; it cannot become standard.
  if (name === 'FifoQueue' && !creating && value.toLowerCase() !== 'true') {
    throw invalidAttributeValue(name, 'Modifying queue type is not supported.');
  }
  const range = INTEGER_RANGES[name];
  if (range) {
    const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    if (!Number.isInteger(n) || n < range[0] || n > range[1]) throw invalidAttributeValue(name);
    return String(n);
  }
  switch (name) {
    case 'FifoQueue':
    case 'ContentBasedDeduplication':
    case 'SqsManagedSseEnabled': {
      const lower = value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw invalidAttributeValue(name);
      return lower;
    }
    case 'DeduplicationScope':
      if (value !== 'queue' && value !== 'messageGroup') throw invalidAttributeValue(name);
      return value;
    case 'FifoThroughputLimit':
      if (value !== 'perQueue' && value !== 'perMessageGroupId') throw invalidAttributeValue(name);
      return value;
    case 'RedrivePolicy':
      return value === '' ? '' : normaliseRedrivePolicy(value);
    case 'RedriveAllowPolicy':
      return value === '' ? '' : normaliseRedriveAllowPolicy(value);
    case 'Policy':
      if (value !== '') parseJsonObject('Policy', value, 'Policy');
      return value;
    default:
      return value;
  }
}

/** Attributes after a change, with the cross-attribute rules AWS enforces. */
export function mergeAttributes(current: Record<string, string>, changes: Record<string, string>): Record<string, string> {
  const merged = { ...current };
  for (const [name, value] of Object.entries(changes)) {
    if (value === '' && (name === 'RedrivePolicy' || name === 'RedriveAllowPolicy' || name === 'Policy')) delete merged[name];
    else merged[name] = value;
  }
  if (merged.FifoThroughputLimit === 'perMessageGroupId' && merged.DeduplicationScope !== 'messageGroup') {
    throw invalidAttributeValue('FifoThroughputLimit', 'perMessageGroupId is allowed only when DeduplicationScope is messageGroup.');
  }
  return merged;
}
