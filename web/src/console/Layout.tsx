import type { ReactNode } from 'react';
import { Link, useRouter } from '../shared/router.tsx';
import { useSession } from '../shared/session.tsx';
import { useAdmin } from './admin.ts';

const SECTIONS: Array<[string, string]> = [
  ['/console', 'Health'],
  ['/console/queues', 'Queues'],
  ['/console/sagas', 'Sagas'],
  ['/console/breakers', 'Breakers'],
  ['/console/traces', 'Traces'],
  ['/console/audit', 'Audit log'],
];

/** The section a path belongs to: /console/queues/payment-dlq is under Queues. */
const sectionOf = (pathname: string) => [...SECTIONS].reverse().find(([to]) => pathname === to || (to !== '/console' && pathname.startsWith(`${to}/`)))?.[0] ?? '/console';

export function Layout({ children }: { children: ReactNode }) {
  const { user, signOut } = useSession();
  const { pathname } = useRouter();
  const admin = useAdmin();
  const current = sectionOf(pathname);

  const leave = async () => {
    // The page cookie goes too, so this browser cannot load the console again without signing in.
    await admin.delete('/admin/console/session').catch(() => undefined);
    signOut();
    window.location.assign('/console/sign-in');
  };

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="app-header console-header">
        <div className="app-header-inner">
          <Link to="/console" className="brand">
            PayMesh <span className="brand-console">console</span>
          </Link>
          <nav aria-label="Console">
            <ul>
              {SECTIONS.map(([to, label]) => (
                <li key={to}>
                  <Link to={to} aria-current={current === to ? 'page' : undefined}>
                    {label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <div className="account">
            {user && <span className="account-name">{user.email}</span>}
            <button type="button" className="button-secondary" onClick={() => void leave()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="console-main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
