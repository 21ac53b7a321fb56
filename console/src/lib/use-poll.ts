/**
 * `usePoll(load, ms, key)`: calls `load` now and then `ms` after each answer (0: once) while the page shows,
 * keeping the latest data and error; a change of `key` starts again. Polls never overlap (the next is timed from
 * the end of the last, so a slow server is not asked faster than it answers), a hidden tab skips its polls, and a
 * change of `ms` applies from the next poll.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

export function usePoll<T>(load: () => Promise<T>, ms: number, key: string): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;
  const msRef = useRef(ms);
  msRef.current = ms;
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = () => {
      if (live && msRef.current > 0) timer = setTimeout(() => void run(), msRef.current);
    };
    const run = async () => {
      if (document.hidden && msRef.current > 0) return next();
      try {
        const v = await loadRef.current();
        if (live) {
          setData(v);
          setError(undefined);
        }
      } catch (e) {
        if (live) setError(e instanceof Error ? e : new Error(String(e)));
      } finally {
        if (live) setLoading(false);
        next();
      }
    };
    void run();
    return () => {
      live = false;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [key, tick]);

  useEffect(() => {
    setData(undefined);
    setLoading(true);
  }, [key]);

  return { data, error, loading, reload };
}
