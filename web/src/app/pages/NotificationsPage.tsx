import { useState } from 'react';
import { ApiProblem, problemMessage } from '../../shared/api/problem.ts';
import { FormMessage } from '../../shared/forms.tsx';
import { Page } from '../../shared/page.tsx';
import { Link } from '../../shared/router.tsx';
import { useNotifications } from '../notifications.tsx';
import { formatTime } from './PaymentPage.tsx';

export function NotificationsPage() {
  const { items, unreadCount, markAllRead } = useNotifications();
  const [error, setError] = useState<string>();
  const markRead = async () => {
    try {
      await markAllRead();
      setError(undefined);
    } catch (err) {
      setError(problemMessage(err instanceof ApiProblem ? err : ApiProblem.network()));
    }
  };
  return (
    <Page
      title="Notifications"
      app="PayMesh"
      actions={
        unreadCount > 0 && (
          <button type="button" className="button-secondary" onClick={() => void markRead()}>
            Mark all as read
          </button>
        )
      }
    >
      {error && <FormMessage kind="error">{error}</FormMessage>}
      <p role="status">{unreadCount === 0 ? 'You are all caught up.' : unreadCount === 1 ? '1 unread notification' : `${unreadCount} unread notifications`}</p>
      <ul className="notifications" aria-label="Notifications">
        {items.map((n, i) => (
          <li key={n.id ?? i} className={n.read ? 'notification' : 'notification notification-unread'} data-kind={n.kind}>
            <p className="notification-title">
              {!n.read && <span className="visually-hidden">Unread: </span>}
              {n.title}
            </p>
            <p>{n.body}</p>
            <p className="notification-meta">
              <time dateTime={n.created_at}>{formatTime(n.created_at)}</time>
              {n.payment_id && (
                <>
                  {' · '}
                  <Link to={`/payments/${n.payment_id}`}>View payment</Link>
                </>
              )}
            </p>
          </li>
        ))}
      </ul>
    </Page>
  );
}
