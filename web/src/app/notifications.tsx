/**
 * The signed-in user's notifications and unread count, kept current by the
 * live socket: a pushed notification is added at once (and shown as the
 * latest), and every (re)connection refetches the stored list.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ok } from '../shared/api/client.ts';
import type { Notification } from '../shared/api/types.ts';
import { useLiveEvents } from '../shared/live.tsx';
import { useSession } from '../shared/session.tsx';

interface Notifications {
  items: Notification[];
  unreadCount: number;
  /** The last one pushed while the app was open, until dismissed. */
  latest: Notification | undefined;
  dismissLatest(): void;
  markAllRead(): Promise<void>;
}

const NotificationsContext = createContext<Notifications | null>(null);

export function NotificationsProvider({ children }: { children: ReactNode }) {
  const { api, token } = useSession();
  const [{ items, unreadCount }, setList] = useState<{ items: Notification[]; unreadCount: number }>({ items: [], unreadCount: 0 });
  const [latest, setLatest] = useState<Notification>();

  const refresh = useCallback(async () => {
    if (!token) return;
    try {
      const listed = await ok(api.GET('/v1/notifications'));
      setList({ items: listed.notifications ?? [], unreadCount: listed.unread_count ?? 0 });
    } catch {
      // Kept as it was; the next push or reconnection refetches.
    }
  }, [api, token]);

  useEffect(() => {
    setList({ items: [], unreadCount: 0 });
    setLatest(undefined);
    void refresh();
  }, [refresh]);

  useLiveEvents((event) => {
    if (event.type === 'connected') return void refresh();
    const pushed = event.notification;
    setLatest(pushed);
    // Counted once, whether the push or a refetch brought it first.
    setList((list) =>
      pushed.id && list.items.some((n) => n.id === pushed.id) ? list : { items: [pushed, ...list.items], unreadCount: list.unreadCount + (pushed.read ? 0 : 1) },
    );
  });

  const markAllRead = useCallback(async () => {
    await ok(api.POST('/v1/notifications/read', { body: {} }));
    setList((list) => ({ items: list.items.map((n) => ({ ...n, read: true })), unreadCount: 0 }));
  }, [api]);

  const value = useMemo(
    () => ({ items, unreadCount, latest, dismissLatest: () => setLatest(undefined), markAllRead }),
    [items, unreadCount, latest, markAllRead],
  );
  return <NotificationsContext.Provider value={value}>{children}</NotificationsContext.Provider>;
}

export function useNotifications(): Notifications {
  const notifications = useContext(NotificationsContext);
  if (!notifications) throw new Error('useNotifications outside NotificationsProvider');
  return notifications;
}
