// Shared pieces of the property tests: arbitraries, window functions described as data (so fast-check prints and
// shrinks them), plain-JS reference computations, and a way to capture what a collection produced.
import fc from 'fast-check';
import {
  assertThat,
  END_OF_GLOBAL_WINDOW,
  IntervalWindow,
  mergeOverlappingIntervals,
  testStream,
  window,
  type BoundedWindow,
  type Instant,
  type KV,
  type Observed,
  type PCollection,
  type TestStream,
  type TimestampCombiner,
  type WindowFn,
} from '../../src/index.ts';

/** How many runs each property gets (the whole folder must stay well under a minute on two cores). */
export const RUNS = Number(process.env.RIFFLE_PROPERTY_RUNS ?? 120);
export const fcOptions = (numRuns = RUNS): fc.Parameters<unknown> => ({ numRuns, endOnFailure: false });

/** One input element: a key, a value and an event timestamp. */
export interface Elem {
  readonly key: string;
  readonly value: number;
  readonly ts: number;
}

export const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e');
export const elemArb: fc.Arbitrary<Elem> = fc.record({ key: keyArb, value: fc.integer({ min: -50, max: 50 }), ts: fc.integer({ min: -60, max: 200 }) });
export const elemsArb = (maxLength = 40): fc.Arbitrary<Elem[]> => fc.array(elemArb, { maxLength });
export const batchSizeArb = fc.integer({ min: 1, max: 12 });

/** A permutation of 0..n-1, as sort keys (shrinks towards the identity). */
export function permute<T>(items: readonly T[], sortKeys: readonly number[]): T[] {
  const idx = items.map((_, i) => i);
  idx.sort((a, b) => (sortKeys[a % Math.max(1, sortKeys.length)] ?? 0) - (sortKeys[b % Math.max(1, sortKeys.length)] ?? 0) || a - b);
  return idx.map((i) => items[i]!);
}
export const sortKeysArb = fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 40 });

// ---- window functions as data

export type WinSpec =
  | { kind: 'global' }
  | { kind: 'fixed'; size: number; offset: number }
  | { kind: 'sliding'; size: number; period: number; offset: number }
  | { kind: 'sessions'; gap: number }
  /** Non-merging, element-dependent: even values in [k·a, (k+1)·a), odd ones also in a second, wider window. */
  | { kind: 'customTiles'; a: number }
  /** Merging, element-dependent: each element opens [t, t + 1 + |value| mod gap), overlapping ones merge. */
  | { kind: 'customSessions'; gap: number };

export const winSpecArb: fc.Arbitrary<WinSpec> = fc.oneof(
  fc.constant<WinSpec>({ kind: 'global' }),
  fc.integer({ min: 1, max: 60 }).chain((size) => fc.integer({ min: 0, max: size - 1 }).map((offset): WinSpec => ({ kind: 'fixed', size, offset }))),
  fc
    .record({ period: fc.integer({ min: 1, max: 30 }), mult: fc.integer({ min: 1, max: 4 }), extra: fc.integer({ min: 0, max: 10 }) })
    .chain(({ period, mult, extra }) =>
      fc.integer({ min: 0, max: period - 1 }).map((offset): WinSpec => ({ kind: 'sliding', size: period * mult + extra, period, offset })),
    ),
  fc.integer({ min: 1, max: 40 }).map((gap): WinSpec => ({ kind: 'sessions', gap })),
  fc.integer({ min: 1, max: 50 }).map((a): WinSpec => ({ kind: 'customTiles', a })),
  fc.integer({ min: 1, max: 30 }).map((gap): WinSpec => ({ kind: 'customSessions', gap })),
);

export const isMergingSpec = (s: WinSpec): boolean => s.kind === 'sessions' || s.kind === 'customSessions';

const mod = (a: number, b: number): number => ((a % b) + b) % b;
const floorTo = (t: number, size: number, offset = 0): number => t - mod(t - offset, size);

function customTilesAssign(a: number, t: Instant, e: KV<string, number>): BoundedWindow[] {
  const start = floorTo(t, a);
  const ws = [new IntervalWindow(start, start + a)];
  if (mod(e.value, 2) === 1) {
    const wide = floorTo(t, 3 * a + 1);
    ws.push(new IntervalWindow(wide, wide + 3 * a + 1));
  }
  return ws;
}
const customSessionEnd = (gap: number, t: number, value: number): number => t + 1 + (Math.abs(value) % gap);

/** The engine's window function for a spec. */
export function windowFnOf(s: WinSpec): WindowFn<any> {
  switch (s.kind) {
    case 'global':
      return window.global();
    case 'fixed':
      return window.fixed(s.size, { offset: s.offset });
    case 'sliding':
      return window.sliding(s.size, s.period, { offset: s.offset });
    case 'sessions':
      return window.sessions(s.gap);
    case 'customTiles':
      return window.custom<KV<string, number>>({ name: `tiles${s.a}`, assign: (t, e) => customTilesAssign(s.a, t, e) });
    case 'customSessions':
      return window.custom<KV<string, number>>({
        name: `var-sessions${s.gap}`,
        assign: (t, e) => [new IntervalWindow(t, customSessionEnd(s.gap, t, e.value))],
        merge: (ws) => mergeOverlappingIntervals(ws),
      });
  }
}

/** A window as plain data: [start, end) or the global window. */
export interface RefWindow {
  readonly key: string;
  readonly maxTimestamp: number;
}
const interval = (start: number, end: number): RefWindow => ({ key: `${start}:${end}`, maxTimestamp: end - 1 });
const GLOBAL: RefWindow = { key: 'global', maxTimestamp: END_OF_GLOBAL_WINDOW };

/** Reference window assignment (before merging), written independently of the engine's window functions. */
function refAssign(s: WinSpec, e: Elem): Array<{ start: number; end: number } | 'global'> {
  switch (s.kind) {
    case 'global':
      return ['global'];
    case 'fixed': {
      const start = floorTo(e.ts, s.size, s.offset);
      return [{ start, end: start + s.size }];
    }
    case 'sliding': {
      const out: Array<{ start: number; end: number }> = [];
      // Every start ≡ offset (mod period) with start <= ts < start + size.
      for (let start = floorTo(e.ts - s.size + 1, s.period, s.offset); start <= e.ts; start += s.period) {
        if (start < e.ts - s.size + 1) continue;
        out.push({ start, end: start + s.size });
      }
      return out;
    }
    case 'sessions':
      return [{ start: e.ts, end: e.ts + s.gap }];
    case 'customTiles':
      return customTilesAssign(s.a, e.ts, { key: e.key, value: e.value }).map((w) => ({ start: (w as IntervalWindow).start, end: (w as IntervalWindow).end }));
    case 'customSessions':
      return [{ start: e.ts, end: customSessionEnd(s.gap, e.ts, e.value) }];
  }
}

/** One reference group: a key, a window, and the elements in it. */
export interface RefGroup {
  readonly key: string;
  readonly window: RefWindow;
  readonly elems: Elem[];
}

/** Reference grouping by key and window, merging overlapping intervals per key for merging window functions. */
export function refGroups(s: WinSpec, elems: readonly Elem[]): RefGroup[] {
  const byKey = new Map<string, Elem[]>();
  for (const e of elems) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
  const groups: RefGroup[] = [];
  for (const [key, es] of byKey) {
    const assigned: Array<{ w: { start: number; end: number } | 'global'; e: Elem }> = es.flatMap((e) => refAssign(s, e).map((w) => ({ w, e })));
    if (isMergingSpec(s)) {
      const ivs = assigned.map((a) => ({ ...(a.w as { start: number; end: number }), e: a.e })).sort((x, y) => x.start - y.start);
      let cur: { start: number; end: number; elems: Elem[] } | undefined;
      for (const iv of ivs) {
        if (cur && iv.start < cur.end) {
          cur.end = Math.max(cur.end, iv.end);
          cur.elems.push(iv.e);
        } else {
          if (cur) groups.push({ key, window: interval(cur.start, cur.end), elems: cur.elems });
          cur = { start: iv.start, end: iv.end, elems: [iv.e] };
        }
      }
      if (cur) groups.push({ key, window: interval(cur.start, cur.end), elems: cur.elems });
    } else {
      const byWindow = new Map<string, RefGroup>();
      for (const { w, e } of assigned) {
        const rw = w === 'global' ? GLOBAL : interval(w.start, w.end);
        const g = byWindow.get(rw.key) ?? { key, window: rw, elems: [] };
        g.elems.push(e);
        byWindow.set(rw.key, g);
      }
      groups.push(...byWindow.values());
    }
  }
  return groups;
}

/** The reference output timestamp of a group under a timestamp combiner. */
export function refOutputTime(tc: TimestampCombiner, g: RefGroup): number {
  if (tc === 'endOfWindow') return g.window.maxTimestamp;
  const ts = g.elems.map((e) => e.ts);
  return tc === 'earliest' ? Math.min(...ts) : Math.max(...ts);
}

// ---- capturing and comparing

/** Everything the collection produced, filled in when the pipeline run completes. */
export function capture<T>(pc: PCollection<T>): Observed<T>[] {
  const out: Observed<T>[] = [];
  assertThat(pc).satisfies((obs) => {
    out.push(...obs);
  });
  return out;
}

export const numSort = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/** A canonical, sortable line for a (key, window, values, timestamp) group. */
export function groupLine(key: unknown, windowKey: string, values: readonly number[], timestamp?: number): string {
  return `${String(key)} @${windowKey} [${numSort(values).join(',')}]${timestamp === undefined ? '' : ` t=${timestamp}`}`;
}

export const sortedLines = (lines: readonly string[]): string[] => [...lines].sort();

// ---- streaming scripts

/** How a TestStream delivers a list of elements: an order, chunk sizes, and watermark moves between chunks. */
export interface StreamPlan {
  readonly sortKeys: number[];
  /** < 0: deliver in the order of sortKeys; otherwise roughly in timestamp order, shuffled within this much event time. */
  readonly jitter: number;
  readonly chunks: number[];
  /** Per chunk: how far (0..1) the watermark moves towards the earliest undelivered element; < 0 means it stays. */
  readonly wmSteps: number[];
  /** Per chunk: a processing-time advance (0 = none). */
  readonly ptSteps: number[];
}

export const streamPlanArb: fc.Arbitrary<StreamPlan> = fc.record({
  sortKeys: sortKeysArb,
  jitter: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 60 })),
  chunks: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 10 }),
  wmSteps: fc.array(fc.oneof(fc.constant(-1), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 10 }),
  ptSteps: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })), { minLength: 1, maxLength: 5 }),
});

/**
 * A TestStream that delivers `elems` as the plan says; the watermark never passes an undelivered element (so nothing
 * is late) and ends at +∞. Returns the stream and a readable transcript (for failure messages).
 */
export function streamOf(elems: readonly Elem[], plan: StreamPlan): { stream: TestStream<KV<string, number>>; transcript: string[] } {
  const ordered =
    plan.jitter < 0
      ? permute(elems, plan.sortKeys)
      : permute(
          elems,
          elems.map((e, i) => e.ts + (plan.sortKeys[i % plan.sortKeys.length]! % (plan.jitter + 1))),
        );
  let stream = testStream<KV<string, number>>();
  const transcript: string[] = [];
  let wm = -Infinity;
  let i = 0;
  let c = 0;
  while (i < ordered.length) {
    const n = plan.chunks[c % plan.chunks.length]!;
    const chunk = ordered.slice(i, i + n);
    i += chunk.length;
    stream = stream.addElements(...chunk.map((e) => ({ value: { key: e.key, value: e.value }, timestamp: e.ts })));
    transcript.push(`add ${chunk.map((e) => `${e.key}:${e.value}@${e.ts}`).join(' ')}`);
    const rest = ordered.slice(i);
    const limit = rest.length > 0 ? Math.min(...rest.map((e) => e.ts)) : Math.max(...ordered.map((e) => e.ts)) + 100;
    const step = plan.wmSteps[c % plan.wmSteps.length]!;
    if (step >= 0) {
      const from = wm === -Infinity ? Math.min(limit, ...ordered.map((e) => e.ts)) - 50 : wm;
      const to = Math.floor(from + step * (limit - from));
      if (to >= wm && to <= limit) {
        wm = to;
        stream = stream.advanceWatermarkTo(wm);
        transcript.push(`watermark ${wm}`);
      }
    }
    const pt = plan.ptSteps[c % plan.ptSteps.length]!;
    if (pt > 0) {
      stream = stream.advanceProcessingTime(pt);
      transcript.push(`processing +${pt}`);
    }
    c++;
  }
  transcript.push('watermark +inf');
  return { stream: stream.advanceWatermarkToInfinity(), transcript };
}
