import type { Auction, Bid, NexmarkEvent, Person } from '../model.ts';
import type { NexmarkQueryConfig } from '../queries/query-config.ts';

/** An event and its event timestamp: what the models read (the same shape `createTimestamped` takes). */
export interface TimestampedEvent {
  readonly value: NexmarkEvent;
  readonly timestamp: number;
}

/**
 * A reference model: a plain computation over the whole event array giving the canonical strings that the query's
 * `canonical`/`summarize` give for the pipeline's output (compared as multisets).
 */
export type QueryModel = (events: readonly TimestampedEvent[], config: NexmarkQueryConfig) => string[];

export function bidsOf(events: readonly TimestampedEvent[]): Array<{ bid: Bid; timestamp: number }> {
  const out: Array<{ bid: Bid; timestamp: number }> = [];
  for (const e of events) if (e.value.type === 'bid') out.push({ bid: e.value.bid, timestamp: e.timestamp });
  return out;
}

export function auctionsOf(events: readonly TimestampedEvent[]): Array<{ auction: Auction; timestamp: number }> {
  const out: Array<{ auction: Auction; timestamp: number }> = [];
  for (const e of events) if (e.value.type === 'auction') out.push({ auction: e.value.auction, timestamp: e.timestamp });
  return out;
}

export function personsOf(events: readonly TimestampedEvent[]): Array<{ person: Person; timestamp: number }> {
  const out: Array<{ person: Person; timestamp: number }> = [];
  for (const e of events) if (e.value.type === 'person') out.push({ person: e.value.person, timestamp: e.timestamp });
  return out;
}

/** The fixed window [start, start + size) that holds t, as `[start,end)`. */
export function fixedWindowOf(t: number, sizeMs: number): { start: number; end: number } {
  const start = t - (((t % sizeMs) + sizeMs) % sizeMs);
  return { start, end: start + sizeMs };
}

/** Every sliding window [s, s + size) with s a multiple of period that holds t. */
export function slidingWindowsOf(t: number, sizeMs: number, periodMs: number): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  const last = t - (((t % periodMs) + periodMs) % periodMs);
  for (let s = last; s > t - sizeMs; s -= periodMs) out.push({ start: s, end: s + sizeMs });
  return out;
}

export const windowKey = (w: { start: number; end: number }): string => `[${w.start},${w.end})`;

/** Appends `value` to the list under `key`. */
export function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
