import { transactionEventContract, type TransactionEvent } from './avro-transaction-event.ts';
import { CONTENT_TYPES, ENCODE_AS_AVRO_ATTRIBUTE, InvalidMessageError } from './avro.ts';
import type { PaymentInitiatedMessage } from './events.ts';

export { InvalidMessageError };

/**
 * The seed's `payment_initiated` message is a TransactionEvent (Avro subject
 * `TransactionEvent`). On the queue it is Confluent-framed Avro; the seed's
 * own JSON bodies are read too. Both are checked against the same schema.
 */
const contract = transactionEventContract();

/**
 * The outbox draft of a `payment_initiated` message: the event's JSON form,
 * checked against the schema now (a bad message fails the request and
 * changes nothing), marked for the relay's publisher to encode as Avro when it
 * sends it (messaging/avro-codec.ts AvroQueuePublisher). Synchronous and free
 * of I/O, so accepting a payment never waits on the schema registry.
 */
export function encodePaymentInitiated(message: PaymentInitiatedMessage): { body: string; attributes: Record<string, string> } {
  if (!/^\d+$/.test(message.amount_minor)) throw new InvalidMessageError(`payment_initiated.amount_minor must be digits, got '${message.amount_minor}'`, 'amount_minor');
  const event = contract.check({ ...message, timestamp: BigInt(message.timestamp), amount_minor: BigInt(message.amount_minor) });
  return { body: contract.toJson(paymentEvent(event)), attributes: { content_type: CONTENT_TYPES.json, [ENCODE_AS_AVRO_ATTRIBUTE]: contract.subject } };
}

/** What can read a TransactionEvent from a queue message: messaging/avro-codec.ts AvroCodec. */
export interface TransactionEventDecoder {
  decode(message: { body: string; attributes?: Record<string, string> }): Promise<TransactionEvent>;
}

/**
 * Reads `payment_initiated` from a queue message in any form the decoder
 * accepts (Avro, or the seed's JSON). Throws InvalidMessageError for a message
 * that can never be read; other errors (registry unreachable) are transient.
 */
export async function decodePaymentInitiated(decoder: TransactionEventDecoder, message: { body: string; attributes?: Record<string, string> }): Promise<PaymentInitiatedMessage> {
  const event = paymentEvent(await decoder.decode(message));
  return {
    event_type: 'payment_initiated',
    transaction_id: event.transaction_id,
    sender_id: event.sender_id,
    receiver_id: event.receiver_id,
    amount: event.amount,
    amount_minor: event.amount_minor.toString(),
    currency: event.currency,
    timestamp: Number(event.timestamp),
    metadata: event.metadata,
  };
}

function paymentEvent(event: TransactionEvent): TransactionEvent {
  if (event.event_type !== 'payment_initiated') throw new InvalidMessageError(`unexpected event_type '${event.event_type}'`, 'event_type');
  if (event.amount_minor <= 0n) throw new InvalidMessageError('payment_initiated.amount must be greater than zero', 'amount');
  return event;
}
