import { EVENT_BUS_NAME, SOURCES, USER_EVENTS, type UserEventDetail } from '../../contracts/events.ts';
import type { DomainEvent } from '../../messaging/event-publisher.ts';
import { maskEmail } from './email.ts';
import type { UserRow } from './schema.ts';

export type UserDetailType = (typeof USER_EVENTS)[keyof typeof USER_EVENTS];

/**
 * A `User <event>` for the outbox, shaped like the seed's publish_user_event.
 * The email is masked: messages never carry a full address. `event_id` is
 * filled in by the relay from the outbox row id, which consumers dedupe on.
 */
export function userEvent(
  detailType: UserDetailType,
  user: Pick<UserRow, 'id' | 'email' | 'default_currency'>,
  at: Date,
  extra: Record<string, string> = {},
): { event: DomainEvent; bus: string } {
  const detail: UserEventDetail & Record<string, string> = {
    user_id: user.id,
    email: maskEmail(user.email),
    event_type: detailType.slice('User '.length),
    timestamp: at.toISOString(),
    default_currency: user.default_currency,
    ...extra,
  };
  return {
    bus: EVENT_BUS_NAME,
    event: { source: SOURCES.user, detailType, detail, resources: [`arn:aws:paypal-clone:user:${user.id}`], time: at },
  };
}
