import type { OperatorActionDetail } from '../../../contracts/admin-api.ts';
import { PayMeshError } from '../../../contracts/errors.ts';
import { SOURCES } from '../../../contracts/events.ts';
import type { EventPublisher } from '../../../messaging/event-publisher.ts';
import type { Caller } from '../auth.ts';

/** The detail-type of what an operator did, from source `paypal-clone.operations`: the audit rule records every such event. */
export const OPERATOR_ACTION = 'Operator action';

/**
 * Writes an operator's action to the audit trail before it is carried out:
 * an `Operator action` event on the bus, which the `all-events-to-audit` rule
 * delivers to the audit log with the operator as its actor. When the event
 * cannot be published the action is refused (503): nothing an operator does
 * goes unrecorded. (The gateway has no outbox of its own to make the two one
 * transaction; recording first means a failed action is recorded as tried.)
 */
export async function recordOperatorAction(
  events: Pick<EventPublisher, 'publish'>,
  operator: Caller,
  action: string,
  target: string,
  parameters: Record<string, unknown> = {},
): Promise<string> {
  const detail: OperatorActionDetail = { actor: operator.userId, action, target, parameters, requested_at: new Date().toISOString() };
  let result;
  try {
    result = await events.publish([{ source: SOURCES.operations, detailType: OPERATOR_ACTION, detail: detail as unknown as Record<string, unknown> }]);
  } catch (err) {
    throw unrecorded((err as Error).message);
  }
  const eventId = result.eventIds[0];
  if (!eventId) throw unrecorded(result.failed[0]?.message ?? 'the event was refused');
  return eventId;
}

const unrecorded = (why: string) =>
  new PayMeshError('unavailable', 'AUDIT_UNAVAILABLE', `the action was not carried out: it could not be written to the audit trail (${why})`);
