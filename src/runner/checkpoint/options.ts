/** Options of checkpointed runs: durations (`10s`) and restart strategies (Flink's names). */
import { RiffleError } from '../../model/index.ts';

/** `500ms`, `10s`, `2m`, `1h` or a number of milliseconds → milliseconds; a clear error otherwise. */
export function parseDuration(text: string | number, what: string): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text > 0) return text;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
    if (m) {
      const n = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms'];
      if (n >= 1) return Math.round(n);
    }
  }
  throw new RiffleError('CONFIG_INVALID', `${what} takes a positive duration such as 500ms, 10s or 2m (got '${String(text)}')`, { domain: 'user', hint: `e.g. ${what} 10s` });
}

/**
 * What happens when a task fails inside a checkpointed run (Flink's restart strategies): the job restarts from its
 * latest complete checkpoint after a delay, at most `maxRestarts` times.
 * - `none`: the failure ends the run.
 * - `fixed-delay`: `delayMs` before each restart.
 * - `exponential-backoff`: `delayMs`, then doubling up to `maxDelayMs`.
 */
export interface RestartStrategy {
  readonly kind: 'none' | 'fixed-delay' | 'exponential-backoff';
  readonly maxRestarts: number;
  readonly delayMs?: number;
  readonly maxDelayMs?: number;
}

/** The delay before restart number `attempt` (1-based); undefined when the strategy allows no more. */
export function restartDelays(strategy: RestartStrategy, attempt: number): number | undefined {
  if (strategy.kind === 'none' || attempt > strategy.maxRestarts) return undefined;
  const base = strategy.delayMs ?? 1000;
  if (strategy.kind === 'fixed-delay') return base;
  return Math.min(strategy.maxDelayMs ?? 60_000, base * 2 ** (attempt - 1));
}
