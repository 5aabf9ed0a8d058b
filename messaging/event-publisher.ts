import { PutEventsCommand, type EventBridgeClient, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import type { TraceCarrier } from '../observability/propagation.ts';
import { DETAIL_TRACE_FIELD, endSendSpan, startSendSpan } from './tracing.ts';

/** A domain event as the seed publishes it: Source `paypal-clone.<service>`, DetailType like `Transaction completed`. */
export interface DomainEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  resources?: string[];
  time?: Date;
  /** The trace to publish it in (an outbox row's stored context); the active context when absent. */
  traceContext?: TraceCarrier;
}

export interface PublishResult {
  /** EventBridge's event id per input event, in order; undefined where that entry failed. */
  eventIds: Array<string | undefined>;
  failed: Array<{ index: number; code: string; message: string }>;
}

export class EventPublisher {
  private readonly eventBridge: EventBridgeClient;
  private readonly busName: string;

  constructor(eventBridge: EventBridgeClient, busName: string) {
    this.eventBridge = eventBridge;
    this.busName = busName;
  }

  /** PutEvents in calls of at most 10 entries; per-entry failures are reported, not thrown. */
  async publish(events: DomainEvent[]): Promise<PublishResult> {
    const result: PublishResult = { eventIds: new Array(events.length).fill(undefined), failed: [] };
    for (let start = 0; start < events.length; start += 10) {
      const chunk = events.slice(start, start + 10);
      // A PRODUCER span per event; its context travels in the detail, which is all a rule's SQS target delivers.
      const sends = chunk.map((e) =>
        startSendSpan('aws.eventbridge', this.busName, e.traceContext, { detail_type: e.detailType, 'messaging.message.id': String(e.detail.event_id ?? '') }),
      );
      let response: PutEventsCommandOutput;
      try {
        response = await this.eventBridge.send(
          new PutEventsCommand({
            Entries: chunk.map((e, offset) => {
              const carrier = sends[offset]!.carrier;
              return {
                Source: e.source,
                DetailType: e.detailType,
                Detail: JSON.stringify(carrier ? { ...e.detail, [DETAIL_TRACE_FIELD]: carrier } : e.detail),
                EventBusName: this.busName,
                Resources: e.resources,
                Time: e.time,
              };
            }),
          }),
        );
      } catch (err) {
        for (const { span } of sends) endSendSpan(span, `${(err as Error).name}: ${(err as Error).message}`);
        throw err;
      }
      (response.Entries ?? []).forEach((entry, offset) => {
        const index = start + offset;
        if (entry.EventId) result.eventIds[index] = entry.EventId;
        else result.failed.push({ index, code: entry.ErrorCode ?? 'Unknown', message: entry.ErrorMessage ?? '' });
        if (entry.EventId) sends[offset]?.span.setAttribute('paymesh.eventbridge.event_id', entry.EventId);
        endSendSpan(sends[offset]!.span, entry.EventId ? undefined : `${entry.ErrorCode ?? 'Unknown'}: ${entry.ErrorMessage ?? ''}`);
      });
    }
    return result;
  }
}
