// The sample events' schema, shared by the examples (examples/data/events.csv, made by examples/data/generate.ts).
import { readFileSync } from 'node:fs';
import { io } from 'riffle';

/** Typed CSV columns of events.csv: the reader checks each value and sends a record that does not fit to errors. */
export const EVENT_COLUMNS = {
  event_id: 'string',
  user_id: 'string',
  country: 'string',
  event_type: 'string',
  revenue: 'number',
  timestamp: 'date',
} as const;

/** One event as the examples use it (timestamp in ms since the epoch). */
export interface SampleEvent {
  readonly event_id: string;
  readonly user_id: string;
  readonly country: string;
  readonly event_type: string;
  readonly revenue: number;
  readonly timestamp: number;
}

/** Rounds money to cents (sums of decimals carry binary noise that depends on the order of addition). */
export function cents(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * Loads the well-formed events of a CSV file into memory, for scripting a TestStream (which is built before the
 * pipeline runs). Malformed lines are skipped here: reading them as data is batch-etl's job.
 */
export function loadEvents(path: string): SampleEvent[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const names = lines[0]!.split(',');
  const out: SampleEvent[] = [];
  for (const line of lines.slice(1)) {
    const fields = line.split(',');
    if (line.includes('"') || fields.length !== names.length) continue;
    const row = Object.fromEntries(names.map((n, i) => [n, fields[i]!]));
    const revenue = Number(row.revenue);
    const timestamp = io.files.parseIsoDate(row.timestamp!);
    if (row.revenue === '' || !Number.isFinite(revenue) || timestamp === undefined) continue;
    out.push({ event_id: row.event_id!, user_id: row.user_id!, country: row.country!, event_type: row.event_type!, revenue, timestamp });
  }
  return out;
}
