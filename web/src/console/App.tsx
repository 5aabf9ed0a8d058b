/** The operator console at /console: operators only (the gateway serves this page to nobody else). */
import { useEffect, useState } from 'react';
import { ApiProblem, problemMessage } from '../shared/api/problem.ts';
import { matchPath, RouterProvider, useRouter } from '../shared/router.tsx';
import { SessionProvider, useSession } from '../shared/session.tsx';
import { adminApi } from './admin.ts';
import { Layout } from './Layout.tsx';
import { AuditPage } from './pages/AuditPage.tsx';
import { BreakersPage } from './pages/BreakersPage.tsx';
import { DeadLettersPage } from './pages/DeadLettersPage.tsx';
import { HealthPage } from './pages/HealthPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { QueuesPage } from './pages/QueuesPage.tsx';
import { SagaPage } from './pages/SagaPage.tsx';
import { SagasPage } from './pages/SagasPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { TracePage } from './pages/TracePage.tsx';
import { TracesPage } from './pages/TracesPage.tsx';

export const SIGN_IN = '/console/sign-in';

export function ConsoleApp() {
  return (
    <RouterProvider>
      {/* Its own key: signing in to the console does not sign the user app in, nor out. */}
      <SessionProvider storageKey="paymesh.console.session">
        <Shell />
      </SessionProvider>
    </RouterProvider>
  );
}

export const NOT_AN_OPERATOR = 'This account is not an operator: the console is for operators only.';

/**
 * Signed in, the console asks the gateway for its page cookie (HttpOnly: the
 * gateway checks it before serving /console to a page load), renewing it
 * with each new token. Only operators get one; anyone else is signed out.
 */
function useConsoleCookie(): string | undefined {
  const { token, signOut } = useSession();
  const [opened, setOpened] = useState<string>();
  useEffect(() => {
    if (!token) return;
    let live = true;
    adminApi(() => token)
      .post('/admin/console/session')
      .then(
        () => live && setOpened(token),
        (err: unknown) => {
          const problem = err instanceof ApiProblem ? err : ApiProblem.network();
          if (live) signOut(problem.status === 404 ? NOT_AN_OPERATOR : problemMessage(problem));
        },
      );
    return () => {
      live = false;
    };
  }, [token, signOut]);
  return opened;
}

function Shell() {
  const { token } = useSession();
  const { pathname, navigate } = useRouter();
  const opened = useConsoleCookie();
  const openedNow = !!token && opened === token;
  useEffect(() => {
    if (openedNow && pathname === SIGN_IN) navigate('/console', { replace: true });
  }, [openedNow, pathname, navigate]);
  if (!token || pathname === SIGN_IN) {
    return (
      <main id="main" className="signed-out" tabIndex={-1}>
        {token ? <p role="status">Opening the console…</p> : <SignInPage />}
      </main>
    );
  }
  return (
    <Layout>
      <Routes />
    </Layout>
  );
}

function Routes() {
  const { pathname } = useRouter();
  const path = pathname.replace(/\/$/, '') || '/console';
  if (path === '/console') return <HealthPage />;
  if (path === '/console/queues') return <QueuesPage />;
  const dlq = matchPath('/console/queues/:queue', path);
  if (dlq) return <DeadLettersPage key={dlq.queue} queue={dlq.queue!} />;
  if (path === '/console/sagas') return <SagasPage />;
  const saga = matchPath('/console/sagas/:id', path);
  if (saga) return <SagaPage key={saga.id} id={saga.id!} />;
  if (path === '/console/breakers') return <BreakersPage />;
  if (path === '/console/traces') return <TracesPage />;
  const trace = matchPath('/console/traces/:id', path);
  if (trace) return <TracePage key={trace.id} traceId={trace.id!} />;
  const sagaTrace = matchPath('/console/sagas/:id/trace', path);
  if (sagaTrace) return <TracePage key={sagaTrace.id} paymentId={sagaTrace.id!} />;
  if (path === '/console/audit') return <AuditPage />;
  return <NotFoundPage />;
}
