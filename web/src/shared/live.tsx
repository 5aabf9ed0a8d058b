/**
 * The gateway's authenticated WebSocket (/ws): what it pushes, fanned out to
 * whichever components listen. Browsers cannot set headers on a WebSocket, so
 * the token goes as ?access_token=. A dropped connection is reopened with
 * backoff; every (re)open is announced as `connected`, so listeners refetch
 * what they show and nothing pushed while the socket was down stays missing.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Notification } from './api/types.ts';

export type LiveEvent = { type: 'connected' } | { type: 'notification'; notification: Notification };
export type LiveStatus = 'offline' | 'connecting' | 'open' | 'reconnecting';

interface Live {
  status: LiveStatus;
  subscribe(listener: (event: LiveEvent) => void): () => void;
}

const LiveContext = createContext<Live | null>(null);

export function LiveProvider({ token, children }: { token: string | undefined; children: ReactNode }) {
  const listeners = useRef(new Set<(event: LiveEvent) => void>());
  const [status, setStatus] = useState<LiveStatus>('offline');

  useEffect(() => {
    if (!token) {
      setStatus('offline');
      return;
    }
    const emit = (event: LiveEvent) => listeners.current.forEach((listener) => listener(event));
    let socket: WebSocket | undefined;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let stopped = false;
    const connect = () => {
      setStatus(failures === 0 ? 'connecting' : 'reconnecting');
      const url = new URL('/ws', window.location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      url.searchParams.set('access_token', token);
      socket = new WebSocket(url);
      socket.onopen = () => {
        failures = 0;
        setStatus('open');
        emit({ type: 'connected' });
      };
      socket.onmessage = (message) => {
        try {
          const data = JSON.parse(String(message.data)) as { type?: string; notification?: Notification };
          if (data.type === 'notification' && data.notification) emit({ type: 'notification', notification: data.notification });
        } catch {
          // not ours: ignore
        }
      };
      socket.onclose = () => {
        if (stopped) return;
        failures += 1;
        setStatus('reconnecting');
        retryTimer = setTimeout(connect, Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retryTimer);
      socket?.close(1000, 'signed out');
    };
  }, [token]);

  const subscribe = useCallback((listener: (event: LiveEvent) => void) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);
  const live = useMemo<Live>(() => ({ status, subscribe }), [status, subscribe]);
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}

export function useLiveStatus(): LiveStatus {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useLiveStatus outside LiveProvider');
  return live.status;
}

/** Calls `listener` for every live event while the component is mounted (always the latest listener). */
export function useLiveEvents(listener: (event: LiveEvent) => void): void {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useLiveEvents outside LiveProvider');
  const latest = useRef(listener);
  latest.current = listener;
  const { subscribe } = live;
  useEffect(() => subscribe((event) => latest.current(event)), [subscribe]);
}
