/**
 * Who is signed in. The access token lives in memory and in sessionStorage:
 * - sessionStorage survives a reload of the tab (a reload does not sign you
 *   out) but not closing it, and is not shared with other tabs;
 * - unlike a cookie, the browser never attaches it to a request by itself, so
 *   another site cannot make requests with it (no CSRF);
 * - unlike localStorage, it does not outlive the tab on disk.
 * Script on the page could read it, so the gateway serves the app with a
 * strict Content-Security-Policy (only its own scripts), and tokens are
 * short-lived (GATEWAY_ACCESS_TOKEN_TTL_SECONDS, 15 minutes by default).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { createApi, ok, type Api } from './api/client.ts';
import type { User } from './api/types.ts';

interface StoredSession {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface Session {
  api: Api;
  token: string | undefined;
  user: User | undefined;
  /** Why the last session ended, when it was not the user's choice. */
  notice: string | undefined;
  signIn(email: string, password: string): Promise<void>;
  signOut(notice?: string): void;
}

const SessionContext = createContext<Session | null>(null);

function load(storageKey: string): StoredSession | undefined {
  try {
    const stored = JSON.parse(sessionStorage.getItem(storageKey) ?? 'null') as StoredSession | null;
    return stored && typeof stored.token === 'string' && stored.expiresAt > Date.now() ? stored : undefined;
  } catch {
    return undefined;
  }
}

export function SessionProvider({ storageKey, children }: { storageKey: string; children: ReactNode }) {
  const [session, setSession] = useState(() => load(storageKey));
  const [user, setUser] = useState<User>();
  const [notice, setNotice] = useState<string>();
  const tokenRef = useRef(session?.token);
  tokenRef.current = session?.token;

  const signOut = useCallback(
    (why?: string) => {
      sessionStorage.removeItem(storageKey);
      tokenRef.current = undefined;
      setSession(undefined);
      setUser(undefined);
      setNotice(why);
    },
    [storageKey],
  );

  const api = useMemo(
    () => createApi({ token: () => tokenRef.current, rejected: () => tokenRef.current && signOut('Your session has ended. Sign in again.') }),
    [signOut],
  );

  const signIn = useCallback(
    async (email: string, password: string) => {
      const granted = await ok(api.POST('/v1/sessions', { body: { email, password } }));
      const stored = { token: granted.access_token ?? '', expiresAt: Date.now() + (granted.expires_in ?? 900) * 1000 };
      sessionStorage.setItem(storageKey, JSON.stringify(stored));
      tokenRef.current = stored.token;
      setNotice(undefined);
      setSession(stored);
    },
    [api, storageKey],
  );

  useEffect(() => {
    if (!session) return;
    let live = true;
    ok(api.GET('/v1/me'))
      .then((me) => live && setUser(me))
      .catch(() => {
        // A refused token signs out (ApiAuth.rejected); anything else leaves the name blank until the next load.
      });
    const expiry = setTimeout(() => signOut('Your session expired. Sign in again.'), Math.max(0, session.expiresAt - Date.now()));
    return () => {
      live = false;
      clearTimeout(expiry);
    };
  }, [session, api, signOut]);

  const value = useMemo(() => ({ api, token: session?.token, user, notice, signIn, signOut }), [api, session, user, notice, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
