import type { PaymentInitiatedMessage } from './events.ts';

/**
 * Wire form of the seed's `payment_initiated` message. Bodies are JSON, as the
 * seed's SQSMessageHandler sends them, marked with a `content_type` attribute
 * so a reader can tell the format; decoding validates every field.
 */
export function encodePaymentInitiated(message: PaymentInitiatedMessage): { body: string; attributes: Record<string, string> } {
  return { body: JSON.stringify(message), attributes: { content_type: 'application/json' } };
}

export class InvalidMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMessageError';
  }
}

export function decodePaymentInitiated(body: string): PaymentInitiatedMessage {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidMessageError('payment_initiated body is not JSON');
  }
  for (const field of ['transaction_id', 'sender_id', 'receiver_id', 'currency'] as const) {
    if (typeof parsed[field] !== 'string' || !parsed[field]) throw new InvalidMessageError(`payment_initiated.${field} must be a non-empty string`);
  }
  if (parsed.event_type !== 'payment_initiated') throw new InvalidMessageError(`unexpected event_type ${String(parsed.event_type)}`);
  if (typeof parsed.amount !== 'number') throw new InvalidMessageError('payment_initiated.amount must be a number');
  return {
    event_type: 'payment_initiated',
    transaction_id: parsed.transaction_id as string,
    sender_id: parsed.sender_id as string,
    receiver_id: parsed.receiver_id as string,
    amount: parsed.amount,
    amount_minor: typeof parsed.amount_minor === 'string' ? parsed.amount_minor : '',
    currency: parsed.currency as string,
    timestamp: typeof parsed.timestamp === 'number' ? parsed.timestamp : Date.now(),
    metadata: (parsed.metadata as Record<string, string>) ?? {},
  };
}
