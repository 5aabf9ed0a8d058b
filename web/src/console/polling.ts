import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiProblem, problemMessage } from '../shared/api/problem.ts';

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** When the figures shown were fetched. */
  updatedAt: Date | undefined;
  refresh(): Promise<void>;
}

/**
 * Figures that refresh themselves: fetched now, then every `intervalMs` while
 * the tab is visible (a hidden tab stops asking; it catches up when shown).
 * An error keeps the last figures on screen and says so.
 */
export function usePolled<T>(load: () => Promise<T>, intervalMs: number): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [updatedAt, setUpdatedAt] = useState<Date>();
  const loadRef = useRef(load);
  loadRef.current = load;

  const refresh = useCallback(async () => {
    try {
      const value = await loadRef.current();
      setData(value);
      setError(undefined);
      setUpdatedAt(new Date());
    } catch (err) {
      setError(problemMessage(err instanceof ApiProblem ? err : ApiProblem.network()));
    }
  }, []);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (!document.hidden) await refresh();
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    const onVisible = () => {
      if (!document.hidden) void refresh();
    };
    void tick();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
    // `load` changes identity with its inputs (a filter): start over with them.
  }, [refresh, intervalMs, load]);

  return { data, error, updatedAt, refresh };
}
