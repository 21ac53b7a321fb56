// End-to-end tests of the examples: each runs on the bundled sample data and its output files are checked against
// results computed here independently, in plain JavaScript over the same files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline, type PipelineDefinition, type PipelineResult } from 'riffle';
import batchEtl from './batch-etl.ts';
import quickstart from './quickstart.ts';
import streamingWindows, { ARRIVAL_DELAYS } from './streaming-windows.ts';

const ROOT = join(import.meta.dirname, '..');
const EVENTS = join(ROOT, 'examples/data/events.csv');
const SEGMENTS = join(ROOT, 'examples/data/user-segments.csv');
const SECOND = 1000;
const MINUTE = 60 * SECOND;

// ---- the sample data, read independently of Riffle's CSV reader

interface Ev {
  id: string;
  user: string;
  country: string;
  type: string;
  revenue: number;
  ts: number;
}

const csvLines = readFileSync(EVENTS, 'utf8').split('\n').slice(1).filter((l) => l !== '');
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const MONEY = /^-?\d+\.\d\d$/;
const isValid = (line: string) => {
  const f = line.split(',');
  return !line.includes('"') && f.length === 6 && MONEY.test(f[4]!) && ISO.test(f[5]!);
};
const events: Ev[] = csvLines.filter(isValid).map((line) => {
  const [id, user, country, type, revenue, ts] = line.split(',') as [string, string, string, string, string, string];
  return { id, user, country, type, revenue: Number(revenue), ts: Date.parse(ts) };
});
const malformed = csvLines.filter((l) => !isValid(l));
const segments = new Map(
  readFileSync(SEGMENTS, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.split(',') as [string, string]),
);

const cents = (x: number) => Math.round(x * 100) / 100;
function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}
const sortRows = <T>(rows: readonly T[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

// ---- running an example

async function runExample(def: PipelineDefinition<any>, raw: Record<string, string>): Promise<{ out: string; result: PipelineResult; printed: string }> {
  const out = mkdtempSync(join(tmpdir(), 'riffle-example-'));
  const p = Pipeline.create();
  await def.build(p, def.parseParams({ ...raw, output: out }));
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    const result = await p.run();
    return { out, result, printed: lines.join('\n') };
  } finally {
    console.log = log;
  }
}

function filesOf(dir: string, prefix: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${prefix}-`))
    .map((f) => join(dir, f));
}
function readJsonl<T>(dir: string, prefix: string): T[] {
  return filesOf(dir, prefix).flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as T),
  );
}
function readCsvRows(dir: string, prefix: string): Array<Record<string, string>> {
  return filesOf(dir, prefix).flatMap((f) => {
    const [header, ...rows] = readFileSync(f, 'utf8').split('\n').filter((l) => l !== '');
    const names = header!.split(',');
    return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [names[i]!, v])));
  });
}

// ---- expected results

const revenueByCountry = [...groupBy(events, (e) => e.country)].map(([country, es]) => ({ country, revenue: cents(es.reduce((s, e) => s + e.revenue, 0)) }));
const eventsByType = [...groupBy(events, (e) => e.type)].map(([event_type, es]) => ({ event_type, events: es.length }));

test('the sample data has the malformed lines the examples expect', () => {
  assert.equal(events.length, 296);
  assert.equal(malformed.length, 5);
  assert.ok(malformed.some((l) => l.includes('12.x4')) && malformed.some((l) => l.includes('"')));
  assert.ok(new Set(events.map((e) => e.user)).size > segments.size, 'some users have no segment');
});

test('quickstart: revenue per country and events per type', async () => {
  const { out, printed } = await runExample(quickstart, {});
  assert.deepEqual(
    sortRows(readCsvRows(out, 'revenue-by-country').map((r) => ({ country: r.country!, revenue: Number(r.revenue) }))),
    sortRows(revenueByCountry),
  );
  assert.deepEqual(
    sortRows(readCsvRows(out, 'events-by-type').map((r) => ({ event_type: r.event_type!, events: Number(r.events) }))),
    sortRows(eventsByType),
  );
  assert.equal(readJsonl(out, 'errors').length, malformed.length);
  assert.match(printed, /Revenue per country:/);
  assert.match(printed, new RegExp(`${malformed.length} malformed line\\(s\\)`));
});

test('batch-etl: country metrics over paying events, segments with unknown, and the malformed lines as errors', async () => {
  const { out } = await runExample(batchEtl, {});
  const paying = events.filter((e) => e.revenue > 0);
  const expected = [...groupBy(paying, (e) => e.country)].map(([country, es]) => {
    const total = es.reduce((s, e) => s + e.revenue, 0);
    const users = new Set(es.map((e) => e.user)).size;
    return { country, total_revenue: cents(total), unique_users: users, event_count: es.length, avg_revenue_per_user: cents(total / users) };
  });
  assert.deepEqual(sortRows(readJsonl(out, 'country-metrics')), sortRows(expected));

  const bySegment = [...groupBy(paying, (e) => segments.get(e.user) ?? 'unknown')].map(([segment, es]) => ({ segment, revenue: cents(es.reduce((s, e) => s + e.revenue, 0)) }));
  assert.ok(bySegment.some((s) => s.segment === 'unknown'), 'the sample has paying users without a segment');
  assert.deepEqual(sortRows(readJsonl(out, 'segment-revenue')), sortRows(bySegment));

  const errors = readJsonl<{ error: string; element: string; origin: { file: string; line: number } }>(out, 'errors');
  assert.deepEqual(errors.map((e) => e.element).sort(), [...malformed].sort());
  const allLines = readFileSync(EVENTS, 'utf8').split('\n');
  for (const e of errors) {
    assert.equal(allLines[e.origin.line - 1], e.element, `origin line of ${e.element}`);
    assert.match(e.error, new RegExp(`^line ${e.origin.line}: `));
  }
  assert.equal(filesOf(out, 'errors').length, 1);
});

// ---- the streaming example: replay the arrival script and evaluate the windows by hand

/** Each arrival with the watermark in force when it arrives, and the script's steps, as the example documents them. */
function script() {
  const arrivals = events.map((e) => ({ e, at: e.ts + (ARRIVAL_DELAYS[e.id] ?? 0) })).sort((a, b) => a.at - b.at);
  const first = Math.floor(arrivals[0]!.at / MINUTE) * MINUTE;
  const last = Math.floor(arrivals[arrivals.length - 1]!.at / MINUTE) * MINUTE;
  type Step = { kind: 'elements'; events: Ev[] } | { kind: 'time'; by: number } | { kind: 'watermark'; to: number };
  const steps: Step[] = [{ kind: 'watermark', to: first }];
  for (let m = first; m <= last; m += MINUTE) {
    steps.push({ kind: 'elements', events: arrivals.filter((a) => a.at >= m && a.at < m + 30 * SECOND).map((a) => a.e) }, { kind: 'time', by: 10 * SECOND });
    steps.push({ kind: 'elements', events: arrivals.filter((a) => a.at >= m + 30 * SECOND && a.at < m + MINUTE).map((a) => a.e) }, { kind: 'time', by: 10 * SECOND });
    steps.push({ kind: 'watermark', to: m + MINUTE }, { kind: 'time', by: 10 * SECOND });
  }
  steps.push({ kind: 'time', by: MINUTE }, { kind: 'watermark', to: Infinity });
  const watermarkAtArrival = new Map(arrivals.map((a) => [a.e.id, Math.floor(a.at / MINUTE) * MINUTE]));
  return { steps, watermarkAtArrival };
}

function metricsOf(es: readonly Ev[]) {
  return { total_events: es.length, total_revenue: cents(es.reduce((s, e) => s + e.revenue, 0)), unique_users: new Set(es.map((e) => e.user)).size };
}
const iso = (t: number) => new Date(t).toISOString();

/** 1-minute windows, early panes 10 s after new data, ON_TIME, late panes 30 s after late data, 5 min lateness, accumulating. */
function expectedFixedPanes() {
  const lateness = 5 * MINUTE;
  interface W {
    start: number;
    elems: Ev[];
    timer?: number;
    panes: number;
    onTime: boolean;
  }
  const windows = new Map<number, W>();
  const rows: object[] = [];
  let dropped = 0;
  let now = 0;
  let wm = -Infinity;
  const fire = (w: W, pane: string) => {
    rows.push({ window_start: iso(w.start), window_end: iso(w.start + MINUTE), pane, pane_index: w.panes++, ...metricsOf(w.elems) });
    w.timer = undefined;
  };
  for (const s of script().steps) {
    if (s.kind === 'elements') {
      for (const e of s.events) {
        const start = Math.floor(e.ts / MINUTE) * MINUTE;
        if (start + MINUTE - 1 + lateness < wm) {
          dropped++;
          continue;
        }
        const w = windows.get(start) ?? { start, elems: [], panes: 0, onTime: false };
        windows.set(start, w);
        w.elems.push(e);
        w.timer ??= now + (w.onTime ? 30 * SECOND : 10 * SECOND);
      }
    } else if (s.kind === 'time') {
      now += s.by;
      for (const w of windows.values()) if (w.timer !== undefined && w.timer <= now) fire(w, w.onTime ? 'LATE' : 'EARLY');
    } else {
      wm = s.to;
      for (const w of [...windows.values()].sort((a, b) => a.start - b.start)) {
        if (!w.onTime && w.start + MINUTE - 1 < wm) {
          fire(w, 'ON_TIME');
          w.onTime = true;
        }
      }
    }
  }
  return { rows, dropped };
}

test('streaming-windows: fixed windows with EARLY, ON_TIME and LATE panes; too-late data dropped and counted', async () => {
  const { out, result, printed } = await runExample(streamingWindows, {});
  const { rows, dropped } = expectedFixedPanes();
  const got = readJsonl<{ pane: string }>(out, 'fixed-windows');
  assert.deepEqual(sortRows(got), sortRows(rows));
  // The scenario covers every kind of pane, and late data both within and beyond the allowed lateness.
  for (const timing of ['EARLY', 'ON_TIME', 'LATE']) assert.ok(got.some((r) => r.pane === timing), `a ${timing} pane`);
  assert.equal(dropped, 2);
  assert.equal(result.metrics.counters['AggregateFixed/Combine/droppedDueToLateness'], dropped, JSON.stringify(result.metrics.counters));
  assert.match(printed, /Fixed 1-minute windows: 30 windows/);
});

test('streaming-windows: sliding windows per country and sessions per user, on time, without late data', async () => {
  const { out, result } = await runExample(streamingWindows, {});
  const { watermarkAtArrival } = script();

  // Sliding 5-minute windows every minute, no allowed lateness: an event counts in the windows still open on arrival.
  const perWindow = new Map<string, Ev[]>();
  let slidingDropped = 0;
  for (const e of events) {
    for (let k = 0; k < 5; k++) {
      const start = Math.floor(e.ts / MINUTE) * MINUTE - k * MINUTE;
      if (start + 5 * MINUTE - 1 < watermarkAtArrival.get(e.id)!) {
        slidingDropped++;
        continue;
      }
      const key = `${e.country}|${start}`;
      perWindow.set(key, [...(perWindow.get(key) ?? []), e]);
    }
  }
  const sliding = [...perWindow].map(([key, es]) => {
    const [country, start] = key.split('|') as [string, string];
    return { country, window_start: iso(Number(start)), window_end: iso(Number(start) + 5 * MINUTE), ...metricsOf(es) };
  });
  assert.deepEqual(sortRows(readJsonl(out, 'sliding-windows')), sortRows(sliding));
  assert.equal(result.metrics.counters['AggregateSliding/Combine/droppedDueToLateness'], slidingDropped);

  // Sessions with a 10-minute gap: an event whose own session would already have closed is dropped.
  const sessions: object[] = [];
  for (const [user, es] of groupBy(
    events.filter((e) => e.ts + 10 * MINUTE - 1 >= watermarkAtArrival.get(e.id)!),
    (e) => e.user,
  )) {
    const sorted = [...es].sort((a, b) => a.ts - b.ts);
    let start = sorted[0]!.ts;
    let end = start + 10 * MINUTE;
    let n = 0;
    const close = () => sessions.push({ user_id: user, session_start: iso(start), session_end: iso(end), session_duration_s: (end - start) / SECOND, event_count: n });
    for (const e of sorted) {
      if (e.ts >= end) {
        close();
        start = e.ts;
        n = 0;
      }
      end = Math.max(end, e.ts + 10 * MINUTE);
      n++;
    }
    close();
  }
  assert.deepEqual(sortRows(readJsonl(out, 'sessions')), sortRows(sessions));
});

test('the CLI runs the quickstart and prints what it computed', () => {
  const out = mkdtempSync(join(tmpdir(), 'riffle-quickstart-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', 'examples/quickstart.ts', `--output=${out}`, '--no-progress'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Revenue per country:/);
  for (const { country, revenue } of revenueByCountry) assert.match(r.stdout, new RegExp(`^${country} +${revenue.toFixed(2)}$`, 'm'));
  for (const { event_type, events: n } of eventsByType) assert.match(r.stdout, new RegExp(`^${event_type} +${n}$`, 'm'));
  // Shards are the runner's choice (one per worker that wrote, as Beam's runner-determined sharding): their records add up.
  const shards = [...r.stdout.matchAll(new RegExp(`${out}/revenue-by-country-\\d{5}-of-(\\d{5})\\.csv \\((\\d+) records\\)`, 'g'))];
  assert.ok(shards.length >= 1 && shards.every((m) => Number(m[1]) === shards.length), r.stdout);
  assert.equal(shards.reduce((n, m) => n + Number(m[2]), 0), revenueByCountry.length);
  assert.match(r.stdout, /quickstart\.ts: DONE/);
});
