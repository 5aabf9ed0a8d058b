import type { ReactNode } from 'react';
import { useLiveStatus } from '../shared/live.tsx';
import { Link, useRouter } from '../shared/router.tsx';
import { useSession } from '../shared/session.tsx';
import { useNotifications } from './notifications.tsx';

function NavLink({ to, children }: { to: string; children: ReactNode }) {
  const { pathname } = useRouter();
  return (
    <Link to={to} aria-current={pathname === to ? 'page' : undefined}>
      {children}
    </Link>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { user, signOut } = useSession();
  const { unreadCount, latest, dismissLatest } = useNotifications();
  const live = useLiveStatus();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="app-header">
        <div className="app-header-inner">
          <Link to="/" className="brand">
            PayMesh
          </Link>
          <nav aria-label="Main">
            <ul>
              <li>
                <NavLink to="/">Wallets</NavLink>
              </li>
              <li>
                <NavLink to="/send">Send money</NavLink>
              </li>
              <li>
                <NavLink to="/history">History</NavLink>
              </li>
              <li>
                <NavLink to="/notifications">
                  Notifications{' '}
                  <span className={unreadCount > 0 ? 'badge' : 'badge badge-empty'} data-testid="unread-count">
                    {unreadCount}
                    <span className="visually-hidden"> unread</span>
                  </span>
                </NavLink>
              </li>
              <li>
                <NavLink to="/cards">Cards</NavLink>
              </li>
            </ul>
          </nav>
          <div className="account">
            {user?.first_name && <span className="account-name">{user.first_name}</span>}
            <button type="button" className="button-secondary" onClick={() => signOut()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <div className="notices">
        <div role="status" className="live-status">
          {live === 'reconnecting' ? 'Live updates paused: reconnecting…' : ''}
        </div>
        <div role="status" aria-live="polite" className="toast-region">
          {latest && (
            <div className="toast" data-kind={latest.kind}>
              <p>
                <strong>{latest.title}</strong> {latest.body}
              </p>
              <div className="toast-actions">
                {latest.payment_id && (
                  <Link to={`/payments/${latest.payment_id}`} onClick={dismissLatest}>
                    View payment
                  </Link>
                )}
                <button type="button" className="button-link" onClick={dismissLatest}>
                  Dismiss
                </button>
              </div>
            </div>
          )}
        </div>
      </div>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
