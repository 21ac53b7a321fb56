import { ConfigError, parseDuration, type DurationLike } from '../model/index.ts';

/**
 * A connector's duration option (`'30s'`, `'5m'` or milliseconds), `dflt` when absent; a bad or negative value is a
 * ConfigError naming the connector (`what`) and the key, before the run starts.
 */
export function durationOption(v: DurationLike | undefined, key: string, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  let ms: number;
  try {
    ms = parseDuration(v, key);
  } catch (e) {
    throw new ConfigError(`${what}: option '${key}': ${(e as Error).message}`, { hint: "a duration such as '30s', '5m' or milliseconds" });
  }
  if (ms < 0) throw new ConfigError(`${what}: option '${key}' must not be negative`);
  return ms;
}
