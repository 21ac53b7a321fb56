/**
 * `usePoll(load, ms, key)`: calls `load` now and every `ms` (0: once) while the page shows, keeping the latest
 * data and error; a change of `key` starts again. Polls do not overlap, and a hidden tab skips its polls.
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
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    let live = true;
    let busy = false;
    const run = async () => {
      if (busy || (document.hidden && ms > 0)) return;
      busy = true;
      try {
        const v = await loadRef.current();
        if (live) {
          setData(v);
          setError(undefined);
        }
      } catch (e) {
        if (live) setError(e instanceof Error ? e : new Error(String(e)));
      } finally {
        busy = false;
        if (live) setLoading(false);
      }
    };
    void run();
    const timer = ms > 0 ? setInterval(() => void run(), ms) : undefined;
    return () => {
      live = false;
      if (timer !== undefined) clearInterval(timer);
    };
  }, [key, ms, tick]);

  useEffect(() => {
    setData(undefined);
    setLoading(true);
  }, [key]);

  return { data, error, loading, reload };
}
