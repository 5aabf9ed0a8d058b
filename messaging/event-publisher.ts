import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';

/** A domain event as the seed publishes it: Source `paypal-clone.<service>`, DetailType like `Transaction completed`. */
export interface DomainEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  resources?: string[];
  time?: Date;
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
      const response = await this.eventBridge.send(
        new PutEventsCommand({
          Entries: chunk.map((e) => ({
            Source: e.source,
            DetailType: e.detailType,
            Detail: JSON.stringify(e.detail),
            EventBusName: this.busName,
            Resources: e.resources,
            Time: e.time,
          })),
        }),
      );
      (response.Entries ?? []).forEach((entry, offset) => {
        const index = start + offset;
        if (entry.EventId) result.eventIds[index] = entry.EventId;
        else result.failed.push({ index, code: entry.ErrorCode ?? 'Unknown', message: entry.ErrorMessage ?? '' });
      });
    }
    return result;
  }
}
