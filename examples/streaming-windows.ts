// Streaming windows, ported from the Dataflow deep dive's streaming pipeline, on a TestStream that replays the sample
// events as they would arrive from Pub/Sub (a virtual clock: deterministic, and instant to run):
//   fixed   1-minute windows over all events, early panes 10 s (processing time) after new data, the ON_TIME pane
//           when the watermark passes, late panes 30 s after late data, 5 minutes of allowed lateness, accumulating;
//   sliding 5-minute windows every minute, per country (on time only: Beam's default trigger, no allowed lateness);
//   session 10-minute-gap sessions per user: start, end (last event + gap), duration and event count.
// Results go to ${output}/{fixed-windows,sliding-windows,sessions}-*.jsonl; a summary is printed.
//
//   node --import tsx src/cli/main.ts run examples/streaming-windows.ts --output=out/streaming-windows
import { combine, flatten, groupByKey, IntervalWindow, io, kv, parDo, Pipeline, testStream, trigger, window, type KV, type PCollection, type TestStream } from 'riffle';
import { aggregateMetrics, type Metrics } from './lib/aggregate-metrics.ts';
import { formatTable } from './lib/print-table.ts';
import { loadEvents, type SampleEvent } from './lib/sample-events.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * Events that reach the pipeline late: event id → delay after their event time. Three minutes is within the
 * fixed windows' allowed lateness (a LATE pane); eight minutes is beyond it (dropped, counted in droppedDueToLateness).
 * Every other event arrives at its event time.
 */
export const ARRIVAL_DELAYS: Readonly<Record<string, number>> = {
  e0040: 3 * MINUTE,
  e0101: 3 * MINUTE,
  e0180: 3 * MINUTE,
  e0120: 8 * MINUTE,
  e0230: 8 * MINUTE,
};

/**
 * The arrival script. Event time and processing time start together; each minute of arrivals plays as:
 *  1. the events arriving in its first 30 s; 2. processing time +10 s (early panes fire);
 *  3. the events arriving in its last 30 s; 4. processing time +10 s;
 *  5. the watermark to the end of the minute (ON_TIME panes fire); 6. processing time +10 s.
 * Then a minute of processing time lets the last late panes fire, and the watermark goes to +∞.
 */
export function eventStream(events: readonly SampleEvent[], delays: Readonly<Record<string, number>> = ARRIVAL_DELAYS): TestStream<SampleEvent> {
  const arrivals = events.map((e) => ({ e, at: e.timestamp + (delays[e.event_id] ?? 0) })).sort((a, b) => a.at - b.at);
  let stream = testStream<SampleEvent>();
  if (arrivals.length === 0) return stream.advanceWatermarkToInfinity();
  const first = Math.floor(arrivals[0]!.at / MINUTE) * MINUTE;
  const last = Math.floor(arrivals[arrivals.length - 1]!.at / MINUTE) * MINUTE;
  stream = stream.advanceWatermarkTo(first);
  for (let m = first; m <= last; m += MINUTE) {
    for (const [from, to] of [[m, m + 30 * SECOND], [m + 30 * SECOND, m + MINUTE]] as const) {
      const batch = arrivals.filter((a) => a.at >= from && a.at < to).map((a) => ({ value: a.e, timestamp: a.e.timestamp }));
      if (batch.length > 0) stream = stream.addElements(...batch);
      stream = stream.advanceProcessingTime(10 * SECOND);
    }
    stream = stream.advanceWatermarkTo(m + MINUTE).advanceProcessingTime(10 * SECOND);
  }
  return stream.advanceProcessingTime(MINUTE).advanceWatermarkToInfinity();
}

/** One pane of a 1-minute window over all events. */
export interface FixedWindowRow extends Metrics {
  readonly window_start: string;
  readonly window_end: string;
  readonly pane: string;
  readonly pane_index: number;
}

/** One on-time result of a sliding 5-minute window for a country. */
export interface SlidingWindowRow extends Metrics {
  readonly country: string;
  readonly window_start: string;
  readonly window_end: string;
}

/** One user session (SessionActivity in the original). */
export interface SessionRow {
  readonly user_id: string;
  readonly session_start: string;
  readonly session_end: string;
  readonly session_duration_s: number;
  readonly event_count: number;
}

interface WrittenFileInfo {
  readonly path: string;
  readonly count: number;
}

const iso = (t: number) => new Date(t).toISOString();

export default Pipeline.define(
  {
    description: 'Fixed, sliding and session windows with early, on-time and late panes over a replayed event stream.',
    params: {
      input: { type: 'string', default: 'examples/data/events.csv', description: 'events CSV replayed as a stream' },
      output: { type: 'string', default: 'out/streaming-windows', description: 'output directory' },
    },
  },
  (p, { input, output }) => {
    const events = p.apply('Events', eventStream(loadEvents(input)));

    const fixed = events
      .apply(
        'Fixed1m',
        window.into<SampleEvent>(window.fixed('1m'), {
          // Beam repeats the early and late sub-triggers inside afterWatermark: an early pane 10 s after new data,
          // again and again until the window closes; then a late pane 30 s after late data, for every late batch.
          trigger: trigger.afterWatermark({ early: trigger.afterProcessingTime('10s'), late: trigger.afterProcessingTime('30s') }),
          allowedLateness: '5m',
          accumulation: 'accumulating',
        }),
      )
      .apply('AggregateFixed', combine.globally(aggregateMetrics(), { withoutDefaults: true }))
      .apply(
        'FormatFixed',
        parDo<Metrics, FixedWindowRow>({
          process(m, ctx) {
            const w = ctx.window as IntervalWindow;
            const row: FixedWindowRow = { window_start: iso(w.start), window_end: iso(w.end), pane: ctx.pane.timing, pane_index: ctx.pane.index, ...m };
            ctx.output(row);
          },
        }),
      );

    const sliding = events
      .apply('Sliding5m', window.into<SampleEvent>(window.sliding('5m', '1m')))
      .apply('AggregateSliding', combine.perKey((e: SampleEvent) => e.country, aggregateMetrics()))
      .apply(
        'FormatSliding',
        parDo<KV<string, Metrics>, SlidingWindowRow>({
          process({ key, value }, ctx) {
            const w = ctx.window as IntervalWindow;
            const row: SlidingWindowRow = { country: key, window_start: iso(w.start), window_end: iso(w.end), ...value };
            ctx.output(row);
          },
        }),
      );

    const sessions = events
      .apply('Sessions10m', window.into<SampleEvent>(window.sessions('10m')))
      .map((e) => kv(e.user_id, e), 'KeyByUser')
      .apply('GroupByUserSession', groupByKey<string, SampleEvent>())
      .apply(
        'SessionActivity',
        parDo<KV<string, readonly SampleEvent[]>, SessionRow>({
          process({ key, value }, ctx) {
            const w = ctx.window as IntervalWindow;
            const row: SessionRow = {
              user_id: key,
              session_start: iso(w.start),
              session_end: iso(w.end),
              session_duration_s: (w.end - w.start) / SECOND,
              event_count: value.length,
            };
            ctx.output(row);
          },
        }),
      );

    // A streaming file sink: the rows go to the global window with a processing-time trigger, so that every minute
    // of processing time commits a file of the rows that minute produced (and the rest at the end of the stream).
    const fixedFiles = everyMinute(fixed, 'Fixed').apply('WriteFixed', io.files.writeJsonl(`${output}/fixed-windows`));
    const slidingFiles = everyMinute(sliding, 'Sliding').apply('WriteSliding', io.files.writeJsonl(`${output}/sliding-windows`));
    const sessionFiles = everyMinute(sessions, 'Sessions').apply('WriteSessions', io.files.writeJsonl(`${output}/sessions`));

    // The summary, printed at the end of the stream: the result sets and the files, gathered into one list.
    type Part = { fixed: FixedWindowRow } | { sliding: SlidingWindowRow } | { session: SessionRow } | { file: WrittenFileInfo };
    const files = flatten(fixedFiles, slidingFiles, sessionFiles);
    flatten<Part>(
      toGlobal(fixed.map((r): Part => ({ fixed: r }), 'TagFixed'), 'FixedRows'),
      toGlobal(sliding.map((r): Part => ({ sliding: r }), 'TagSliding'), 'SlidingRows'),
      toGlobal(sessions.map((r): Part => ({ session: r }), 'TagSessions'), 'SessionRows'),
      toGlobal(files.map((f): Part => ({ file: { path: f.path, count: f.count } }), 'TagFiles'), 'Files'),
    )
      .apply('GatherSummary', combine.globally(combine.toList<Part>(), { withoutDefaults: true }))
      .apply(
        'PrintSummary',
        parDo({
          process(all: Part[], _ctx) {
            const pick = <K extends string, V>(k: K) => all.flatMap((x) => (k in x ? [(x as Record<K, V>)[k]] : []));
            console.log(formatSummary(pick<'fixed', FixedWindowRow>('fixed'), pick<'sliding', SlidingWindowRow>('sliding'), pick<'session', SessionRow>('session')));
            const files = pick<'file', WrittenFileInfo>('file');
            console.log(`Wrote:\n${files.map((f) => `  ${f.path} (${f.count} records)`).sort().join('\n')}`);
          },
        }),
      );
  },
);

function everyMinute<T>(c: PCollection<T>, name: string): PCollection<T> {
  return c.apply(`${name}EveryMinute`, window.into<T>(window.global(), { trigger: trigger.repeatedly(trigger.afterProcessingTime('1m')) }));
}

function toGlobal<T>(c: PCollection<T>, name: string): PCollection<T> {
  return c.apply(`${name}ToGlobal`, window.into<T>(window.global()));
}

/** The printed summary of the three result sets. */
export function formatSummary(fixed: readonly FixedWindowRow[], sliding: readonly SlidingWindowRow[], sessions: readonly SessionRow[]): string {
  const panes = new Map<string, number>();
  for (const r of fixed) panes.set(r.pane, (panes.get(r.pane) ?? 0) + 1);
  const finalFixed = new Map<string, FixedWindowRow>();
  for (const r of fixed) if ((finalFixed.get(r.window_start)?.pane_index ?? -1) < r.pane_index) finalFixed.set(r.window_start, r);
  const lines = [
    `Fixed 1-minute windows: ${finalFixed.size} windows, ${fixed.length} panes (${['EARLY', 'ON_TIME', 'LATE'].map((t) => `${panes.get(t) ?? 0} ${t}`).join(', ')}).`,
    formatTable(
      ['window', 'last pane', 'events', 'revenue', 'users'],
      [...finalFixed.values()].sort((a, b) => a.window_start.localeCompare(b.window_start)).map((r) => [r.window_start.slice(11, 16), `${r.pane}#${r.pane_index}`, r.total_events, r.total_revenue, r.unique_users]),
    ),
    '',
    `Sliding 5-minute windows: ${sliding.length} (country, window) results.`,
    `Sessions: ${sessions.length} sessions of ${new Set(sessions.map((s) => s.user_id)).size} users, ${sessions.reduce((n, s) => n + s.event_count, 0)} events.`,
  ];
  return lines.join('\n');
}
