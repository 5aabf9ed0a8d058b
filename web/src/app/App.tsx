/** The PayMesh web app for users: who is signed in decides which routes exist. */
import { useEffect } from 'react';
import { LiveProvider } from '../shared/live.tsx';
import { matchPath, RouterProvider, useRouter } from '../shared/router.tsx';
import { SessionProvider, useSession } from '../shared/session.tsx';
import { Layout } from './Layout.tsx';
import { NotificationsProvider } from './notifications.tsx';
import { CardsPage } from './pages/CardsPage.tsx';
import { HistoryPage } from './pages/HistoryPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { NotificationsPage } from './pages/NotificationsPage.tsx';
import { PaymentPage } from './pages/PaymentPage.tsx';
import { SendPage } from './pages/SendPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { SignUpPage } from './pages/SignUpPage.tsx';
import { WalletsPage } from './pages/WalletsPage.tsx';

export function App() {
  return (
    <RouterProvider>
      <SessionProvider storageKey="paymesh.session">
        <Shell />
      </SessionProvider>
    </RouterProvider>
  );
}

function Shell() {
  const { token } = useSession();
  return (
    <LiveProvider token={token}>
      {token ? (
        <NotificationsProvider>
          <Layout>
            <SignedInRoutes />
          </Layout>
        </NotificationsProvider>
      ) : (
        <main id="main" className="signed-out" tabIndex={-1}>
          <SignedOutRoutes />
        </main>
      )}
    </LiveProvider>
  );
}

function SignedOutRoutes() {
  const { pathname } = useRouter();
  // Any other address shows sign-in and stays in the address bar, so signing in lands where the user was going.
  return pathname === '/signup' ? <SignUpPage /> : <SignInPage />;
}

function SignedInRoutes() {
  const { pathname, navigate } = useRouter();
  const signingIn = pathname === '/signin' || pathname === '/signup';
  useEffect(() => {
    if (signingIn) navigate('/', { replace: true });
  }, [signingIn, navigate]);
  if (signingIn || pathname === '/') return <WalletsPage />;
  if (pathname === '/send') return <SendPage />;
  if (pathname === '/cards') return <CardsPage />;
  if (pathname === '/history') return <HistoryPage />;
  if (pathname === '/notifications') return <NotificationsPage />;
  const payment = matchPath('/payments/:id', pathname);
  if (payment) return <PaymentPage key={payment.id} id={payment.id!} />;
  return <NotFoundPage />;
}
