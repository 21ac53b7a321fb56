// Reads trigger transcripts in Beam's format (multi-document YAML, Python spellings) into Riffle's model.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import {
  FixedWindows,
  IntervalWindow,
  triggers,
  windowFns,
  windowingStrategy,
  type AccumulationMode,
  type TimestampCombiner,
  type Trigger,
  type WindowFn,
  type WindowingStrategy,
} from '../../src/model/index.ts';

/** One step of a transcript. */
export type TranscriptAction =
  | { readonly kind: 'input'; readonly timestamps: readonly number[] }
  | { readonly kind: 'watermark'; readonly to: number }
  /** Processing time moves to `to` (absolute: `clock: d` steps are summed by the parser). */
  | { readonly kind: 'processingTime'; readonly to: number }
  | { readonly kind: 'expect'; readonly outputs: readonly ExpectedOutput[] }
  | { readonly kind: 'state'; readonly spec: unknown };

/** An expected pane: every attribute is optional (partial match, as in Beam). `window` is [start, maxTimestamp]. */
export interface ExpectedOutput {
  readonly window?: readonly [number, number] | 'global';
  readonly values?: readonly number[];
  readonly timestamp?: number;
  readonly index?: number;
  readonly nonspeculativeIndex?: number;
  readonly early?: boolean;
  readonly late?: boolean;
  readonly onTime?: boolean;
  readonly final?: boolean;
}

/** A parsed transcript: the windowing strategy and the actions. Elements are numbers whose timestamp is the number. */
export interface Transcript {
  readonly name: string;
  readonly strategy: WindowingStrategy;
  readonly actions: readonly TranscriptAction[];
}

/** One YAML document as read, before its spellings are parsed (parsing may fail: some transcripts expect that). */
export interface TranscriptSpec {
  readonly name: string;
  readonly file: string;
  /** Set when the transcript must fail with a message matching this pattern. */
  readonly error?: string;
  readonly brokenOn: readonly string[];
  readonly raw: Readonly<Record<string, unknown>>;
}

export class TranscriptFormatError extends Error {
  override name = 'TranscriptFormatError';
}

/** Reads every transcript of a multi-document YAML file. */
export function readTranscriptFile(path: string): TranscriptSpec[] {
  return readTranscripts(readFileSync(path, 'utf8'), path);
}

export function readTranscripts(text: string, file = '<inline>'): TranscriptSpec[] {
  const specs: TranscriptSpec[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new TranscriptFormatError(`${file}: ${doc.errors[0]!.message}`);
    const raw = doc.toJS() as Record<string, unknown> | null;
    if (raw === null || raw === undefined) continue;
    const name = typeof raw.name === 'string' ? raw.name : `unnamed#${specs.length}`;
    specs.push({
      name,
      file,
      ...(typeof raw.error === 'string' ? { error: raw.error } : {}),
      brokenOn: Array.isArray(raw.broken_on) ? raw.broken_on.map(String) : [],
      raw,
    });
  }
  return specs;
}

// ---- Python call spellings: Name, Name(), Name(arg, kw=arg), [1, 2] ----

type Expr = { call: string; args: Expr[]; kwargs: Record<string, Expr> } | number | number[];

function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (depth !== 0) throw new TranscriptFormatError(`unbalanced brackets in '${s}'`);
  const last = s.slice(start).trim();
  if (last !== '' || out.length > 0) out.push(last);
  return out;
}

function parseExpr(text: string): Expr {
  const s = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) throw new TranscriptFormatError(`bad list '${s}'`);
    return splitArgs(s.slice(1, -1)).map((x) => Number(x));
  }
  const open = s.indexOf('(');
  const name = (open < 0 ? s : s.slice(0, open)).trim();
  if (!/^[A-Za-z_][\w.]*$/.test(name)) throw new TranscriptFormatError(`cannot parse '${s}'`);
  const expr = { call: name, args: [] as Expr[], kwargs: {} as Record<string, Expr> };
  if (open < 0) return expr;
  if (!s.endsWith(')')) throw new TranscriptFormatError(`missing ')' in '${s}'`);
  for (const arg of splitArgs(s.slice(open + 1, -1))) {
    const eq = arg.match(/^([A-Za-z_]\w*)\s*=(.*)$/s);
    if (eq) expr.kwargs[eq[1]!] = parseExpr(eq[2]!);
    else expr.args.push(parseExpr(arg));
  }
  return expr;
}

function num(e: Expr | undefined, what: string): number {
  if (typeof e !== 'number') throw new TranscriptFormatError(`${what}: expected a number`);
  return e;
}

function call(e: Expr, what: string): { call: string; args: Expr[]; kwargs: Record<string, Expr> } {
  if (typeof e === 'number' || Array.isArray(e)) throw new TranscriptFormatError(`${what}: expected a call, got ${JSON.stringify(e)}`);
  return e;
}

/** Python's CustomTimestampingFixedWindowsWindowFn: fixed windows whose output-time transform adds 100. */
function customTimestampingFixed(size: number): WindowFn<any> {
  const fixed = new FixedWindows(size);
  return windowFns.custom({
    name: `custom-timestamping-fixed(${size})`,
    assign: (t) => fixed.assignWindows(t),
    outputTime: (_w, t) => t + 100,
  });
}

export function parseWindowFn(text: string): WindowFn<any> {
  const e = call(parseExpr(text), `window_fn '${text}'`);
  const a = e.args;
  switch (e.call) {
    case 'GlobalWindows':
      return windowFns.global();
    case 'FixedWindows':
      return windowFns.fixed(num(a[0] ?? e.kwargs.size, 'FixedWindows size'), { offset: a[1] !== undefined ? num(a[1], 'offset') : 0 });
    case 'SlidingWindows':
      return windowFns.sliding(num(a[0] ?? e.kwargs.size, 'SlidingWindows size'), num(a[1] ?? e.kwargs.period, 'SlidingWindows period'), {
        offset: a[2] !== undefined ? num(a[2], 'offset') : 0,
      });
    case 'Sessions':
      return windowFns.sessions(num(a[0] ?? e.kwargs.gap_size, 'Sessions gap'));
    case 'CustomTimestampingFixedWindowsWindowFn':
      return customTimestampingFixed(num(a[0], 'CustomTimestampingFixedWindowsWindowFn size'));
    default:
      throw new TranscriptFormatError(
        `Unknown window function '${e.call}'; expected GlobalWindows, FixedWindows(size[, offset]), SlidingWindows(size, period[, offset]), Sessions(gap) or CustomTimestampingFixedWindowsWindowFn(size)`,
      );
  }
}

function toTrigger(e: Expr): Trigger {
  const c = call(e, 'trigger');
  const subs = () => c.args.map(toTrigger);
  switch (c.call) {
    case 'Default':
    case 'DefaultTrigger':
      return triggers.default();
    case 'Never':
    case '_Never':
      return triggers.never();
    case 'AfterWatermark': {
      // Python's AfterWatermark repeats its early and late triggers itself, so `early=Repeatedly(t)` means `early=t`.
      const once = (x: Expr) => {
        const t = toTrigger(x);
        return t.kind === 'repeatedly' ? t.trigger : t;
      };
      return triggers.afterWatermark({
        ...(c.kwargs.early ? { early: once(c.kwargs.early) } : {}),
        ...(c.kwargs.late ? { late: once(c.kwargs.late) } : {}),
      });
    }
    case 'AfterCount':
      return { kind: 'afterCount', count: num(c.args[0] ?? c.kwargs.count, 'AfterCount') };
    case 'AfterProcessingTime':
      return { kind: 'afterProcessingTime', delay: num(c.args[0] ?? c.kwargs.delay ?? 0, 'AfterProcessingTime delay') };
    case 'AfterSynchronizedProcessingTime':
      return triggers.afterSynchronizedProcessingTime();
    case 'Repeatedly':
      return triggers.repeatedly(toTrigger(c.args[0] ?? c.kwargs.underlying!));
    case 'AfterAny':
    case 'AfterFirst':
      return { kind: 'afterFirst', triggers: subs() };
    case 'AfterAll':
      return { kind: 'afterAll', triggers: subs() };
    case 'AfterEach':
      return { kind: 'afterEach', triggers: subs() };
    case 'OrFinally':
      return triggers.orFinally(toTrigger(c.args[0]!), toTrigger(c.args[1]!));
    default:
      throw new TranscriptFormatError(
        `Unknown trigger '${c.call}'; expected Default, Never, AfterWatermark(early=, late=), AfterCount(n), AfterProcessingTime(n), AfterSynchronizedProcessingTime, Repeatedly(t), AfterAny(...), AfterAll(...), AfterEach(...) or OrFinally(t, until)`,
      );
  }
}

export function parseTrigger(text: string): Trigger {
  return toTrigger(parseExpr(text));
}

const COMBINERS: Record<string, TimestampCombiner> = {
  OUTPUT_AT_EOW: 'endOfWindow',
  OUTPUT_AT_EARLIEST: 'earliest',
  OUTPUT_AT_LATEST: 'latest',
  OUTPUT_AT_EARLIEST_TRANSFORMED: 'earliestTransformed',
};

function expectOutputs(list: unknown, name: string): ExpectedOutput[] {
  if (!Array.isArray(list)) throw new TranscriptFormatError(`${name}: 'expect' takes a list of outputs`);
  return list.map((o: Record<string, unknown>) => {
    const known = new Set(['window', 'values', 'timestamp', 'index', 'nonspeculative_index', 'early', 'late', 'on_time', 'final']);
    for (const k of Object.keys(o)) if (!known.has(k)) throw new TranscriptFormatError(`${name}: unknown output attribute '${k}'`);
    const w = o.window;
    const window =
      w === undefined ? undefined : w === 'global' || w === 'GlobalWindow' ? ('global' as const) : Array.isArray(w) && w.length === 2 ? ([Number(w[0]), Number(w[1])] as const) : undefined;
    if (w !== undefined && window === undefined) throw new TranscriptFormatError(`${name}: window must be [start, maxTimestamp] or 'global'`);
    return {
      ...(window !== undefined ? { window } : {}),
      ...(o.values !== undefined ? { values: (o.values as unknown[]).map(Number) } : {}),
      ...(o.timestamp !== undefined ? { timestamp: Number(o.timestamp) } : {}),
      ...(o.index !== undefined ? { index: Number(o.index) } : {}),
      ...(o.nonspeculative_index !== undefined ? { nonspeculativeIndex: Number(o.nonspeculative_index) } : {}),
      ...(o.early !== undefined ? { early: Boolean(o.early) } : {}),
      ...(o.late !== undefined ? { late: Boolean(o.late) } : {}),
      ...(o.on_time !== undefined ? { onTime: Boolean(o.on_time) } : {}),
      ...(o.final !== undefined ? { final: Boolean(o.final) } : {}),
    };
  });
}

/**
 * Parses a transcript's spellings. Defaults are those of Beam Python's TranscriptTest: GlobalWindows, the Default
 * trigger, ACCUMULATING, OUTPUT_AT_EOW, no allowed lateness. Unknown top-level keys are ignored, as there.
 */
export function parseTranscript(spec: TranscriptSpec): Transcript {
  const raw = spec.raw;
  const str = (k: string, d: string) => (raw[k] === undefined ? d : String(raw[k]));
  const windowFn = parseWindowFn(str('window_fn', 'GlobalWindows'));
  const trigger = parseTrigger(str('trigger_fn', 'Default'));
  const mode = str('accumulation_mode', 'ACCUMULATING').toUpperCase();
  const accumulation: AccumulationMode | undefined = mode === 'ACCUMULATING' ? 'accumulating' : mode === 'DISCARDING' ? 'discarding' : undefined;
  if (accumulation === undefined) throw new TranscriptFormatError(`Unknown accumulation_mode '${mode}'; expected ACCUMULATING or DISCARDING`);
  const combinerName = str('timestamp_combiner', 'OUTPUT_AT_EOW').toUpperCase();
  const timestampCombiner = COMBINERS[combinerName];
  if (timestampCombiner === undefined) throw new TranscriptFormatError(`Unknown timestamp_combiner '${combinerName}'; expected one of ${Object.keys(COMBINERS).join(', ')}`);
  const allowedLateness = raw.allowed_lateness === undefined ? 0 : Number(raw.allowed_lateness);
  const strategy = windowingStrategy(windowFn, { trigger, accumulation, timestampCombiner, allowedLateness });
  if (!Array.isArray(raw.transcript)) throw new TranscriptFormatError(`${spec.name}: 'transcript' must be a list of actions`);
  // Processing time starts at 0. `clock: d` advances it by d, as Beam's TestStream harness reads it
  // (trigger_test.py: test_stream.advance_processing_time(params)); `processing_time: t` (Riffle's own) sets it to t.
  let now = 0;
  const actions = raw.transcript.map((step: Record<string, unknown>): TranscriptAction => {
    const keys = Object.keys(step ?? {});
    if (keys.length !== 1) throw new TranscriptFormatError(`${spec.name}: each action is a one-key mapping, got ${JSON.stringify(step)}`);
    const key = keys[0]!;
    const v = step[key];
    switch (key) {
      case 'input':
        if (!Array.isArray(v)) throw new TranscriptFormatError(`${spec.name}: 'input' takes a list of timestamps`);
        return { kind: 'input', timestamps: v.map(Number) };
      case 'watermark':
        return { kind: 'watermark', to: Number(v) };
      case 'processing_time': {
        const to = Number(v);
        if (!Number.isFinite(to) || to < now) throw new TranscriptFormatError(`${spec.name}: processing_time: ${String(v)} must be a number ≥ the current processing time ${now}`);
        now = to;
        return { kind: 'processingTime', to };
      }
      case 'clock': {
        const by = Number(v);
        if (!Number.isFinite(by) || by < 0) throw new TranscriptFormatError(`${spec.name}: clock: ${String(v)} must be a duration ≥ 0 (it advances processing time by that much)`);
        now += by;
        return { kind: 'processingTime', to: now };
      }
      case 'expect':
        return { kind: 'expect', outputs: expectOutputs(v, spec.name) };
      case 'state':
        return { kind: 'state', spec: v };
      default:
        throw new TranscriptFormatError(`Unknown action '${key}' in ${spec.name}; expected input, watermark, clock, processing_time, expect or state`);
    }
  });
  return { name: spec.name, strategy, actions };
}

/** The [start, maxTimestamp] form transcripts use for an interval window. */
export function windowSpelling(w: unknown): [number, number] | 'global' {
  return w instanceof IntervalWindow ? [w.start, w.maxTimestamp] : 'global';
}
