import type { NotificationView } from '../contracts/notifications.ts';
import { ServicePolicy } from '../resilience/service-policy.ts';
import type { PolicySettings } from '../resilience/settings.ts';
import { isDependencyFailure, requestJson, urlPart } from './http-json.ts';

export type { NotificationView } from '../contracts/notifications.ts';

/** Stored notifications: what a user missed while not connected. */
export class NotificationClient {
  readonly policy: ServicePolicy;
  readonly baseUrl: string;

  constructor(baseUrl: string, options: Partial<PolicySettings> = {}) {
    this.baseUrl = baseUrl;
    this.policy = new ServicePolicy({ target: 'notification-service', isFailure: isDependencyFailure, ...options });
  }

  async list(userId: string, unreadOnly = false): Promise<{ notifications: NotificationView[]; unread_count: number }> {
    const path = `/users/${urlPart(userId)}/notifications?unread_only=${unreadOnly}`;
    return (await this.policy.execute((signal) => requestJson<{ notifications: NotificationView[]; unread_count: number }>(this.baseUrl, path, { signal }), { idempotent: true })).body;
  }

  async markRead(userId: string, ids?: string[]): Promise<number> {
    const path = `/users/${urlPart(userId)}/notifications/read`;
    const r = await this.policy.execute((signal) => requestJson<{ marked: number }>(this.baseUrl, path, { method: 'POST', body: ids ? { ids } : {}, signal }), { idempotent: true });
    return r.body.marked;
  }
}
