import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { SOURCES, type TransactionEventDetail } from '../../contracts/events.ts';
import { decodePaymentInitiated, InvalidMessageError, type TransactionEventDecoder } from '../../contracts/payment-messages.ts';
import { QUEUES } from '../../contracts/topology.ts';
import { consumeWhenReady, parseEventEnvelope } from '../../messaging/consumer-host.ts';
import { DlqHandler, type DlqHandlerOptions } from '../../messaging/dlq-handler.ts';
import { stableMessageId } from '../../messaging/inbox.ts';
import type { ParkedMessages } from '../../messaging/parked-messages.ts';
import type { QueueConsumer } from '../../messaging/queue-consumer.ts';
import type { QueueDirectory } from '../../messaging/queue-directory.ts';
import type { PaymentSaga } from './saga/payment-saga.ts';

export interface PaymentConsumerDeps {
  sqs: SQSClient;
  directory: QueueDirectory;
  log: Logger;
  saga: PaymentSaga;
  /** Decodes the Avro `payment_initiated` messages (through the schema registry). */
  transactionEvents: TransactionEventDecoder;
  parked: ParkedMessages;
  alert: DlqHandlerOptions['alert'];
}

/**
 * The payment service's queue work: `payment-processing` (a fallback: the saga
 * of a payment accepted here is already under way in process) and
 * `payment-saga` (other participants' saga events) take a saga left still
 * over; their DLQ handlers send temporary failures back and park messages that
 * can never be read, with an operations alert.
 */
export function paymentConsumers(deps: PaymentConsumerDeps, dlqSweepIntervalMs: number): { consumers: QueueConsumer[]; dlqHandlers: DlqHandler[] } {
  const { sqs, directory, log, saga, transactionEvents } = deps;
  const consumers = [
    consumeWhenReady({
      sqs,
      directory,
      log,
      queue: QUEUES.paymentProcessing,
      // Under load, fuller batches: nothing waits on this fallback.
      fillBatchMs: 100,
      handler: async (message) => {
        const initiated = await decodePaymentInitiated(transactionEvents, message);
        await saga.onPaymentInitiated(stableMessageId(message), initiated.transaction_id);
      },
    }),
    consumeWhenReady({
      sqs,
      directory,
      log,
      queue: 'payment-saga',
      handler: async (message) => {
        const event = parseEventEnvelope<TransactionEventDetail>(message.body);
        if (event.source !== SOURCES.transaction) return;
        await saga.onSagaEvent(stableMessageId(message), event.detailType, event.detail);
      },
    }),
  ];
  const dlqHandlers: DlqHandler[] = [];
  for (const [dlq, source] of [[QUEUES.paymentDlq, QUEUES.paymentProcessing], ['payment-saga-dlq', 'payment-saga']] as const) {
    const handler = new DlqHandler({
      sqs,
      directory,
      deadLetterQueue: dlq,
      sourceQueue: source,
      log,
      alert: deps.alert,
      parked: deps.parked,
      // A message that cannot be decoded will never succeed: alert instead of redriving it.
      classify: async (message) => {
        if (source !== QUEUES.paymentProcessing) return { class: 'temporary', reason: 'saga step failed repeatedly' };
        try {
          await decodePaymentInitiated(transactionEvents, message);
          return { class: 'temporary', reason: 'processing failed repeatedly' };
        } catch (err) {
          // Only a message that can never be read is permanent; an unreachable schema registry is not its fault.
          if (err instanceof InvalidMessageError) return { class: 'permanent', reason: err.message };
          return { class: 'temporary', reason: `could not decode yet: ${(err as Error).message}` };
        }
      },
    });
    handler.start(dlqSweepIntervalMs);
    dlqHandlers.push(handler);
  }
  return { consumers, dlqHandlers };
}
