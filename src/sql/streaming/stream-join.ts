/**
 * A join of two streams (both in the global window) on equal keys, kept in keyed state as Flink's regular and
 * interval joins do: each row waits in the state of its join key, and each matching pair is emitted once, as soon as
 * its second row arrives (no windows, no waiting for the watermark), at the later row's event time.
 *
 * Time bounds: ON conditions that bound one side's event-time column by the other side's row make the join an
 * interval join. A side's event-time column is one compared with the other side's column using an INTERVAL
 * (`B.t > A.t - INTERVAL '1' MINUTE`, `B.t BETWEEN A.t - INTERVAL '1' MINUTE AND A.expires`: B.t and A.t); other
 * comparisons of B.t bound it too (`B.t <= A.expires`). Without an INTERVAL, a comparison across the sides is only a
 * condition (the columns may hold anything). Each side's event time is set from its time column (as DESCRIPTOR does;
 * a value earlier than the row's event time is an error), so that:
 *
 * 1. a stored row leaves the state once the watermark passes the last time at which the other side's rows can still
 *    match it (`B.t < A.expires`: an auction leaves at its expiry, swept a little later); a side without
 *    such a bound stays (a regular join, as Flink's without a state TTL);
 * 2. when the left side (else the right) has an upper bound, each pair is put in a window of that side's row: the
 *    interval of the other side's times that match it (`[A.t - 1 min + 1, A.expires)`). A GROUP BY of that row's
 *    join key then gives one result per row once the watermark passes the window, with window_start, window_end and
 *    window_time (= window_end − 1, the result's event time) as a window table function would.
 *
 * The conditions are also evaluated on every pair (the bounds only decide how long rows are kept).
 */
import { END_OF_GLOBAL_WINDOW, IntervalWindow, MAX_TIMESTAMP, MIN_TIMESTAMP, PCollection, windowFns, type BoundedWindow, type KV } from '../../model/index.ts';
import { flattenWith, parDo, state, timer, windowInto } from '../../transforms/index.ts';
import { SqlError } from '../sql-error.ts';
import type { Expr } from './ast.ts';
import { keyOf, singleKey, walk, type ColumnExpr, type Eval } from './expressions.ts';

type Side = 0 | 1;
type Op = '<' | '<=' | '>' | '>=';

/** What the planner knows of the two sides and the ON condition. */
export interface StreamJoinInput {
  readonly sql: string;
  readonly at: number;
  /** The two sides' rows: tuples (one object per FROM item), or single rows when not `tuple`. */
  readonly sides: readonly [{ readonly pc: PCollection<any>; readonly tuple: boolean }, { readonly pc: PCollection<any>; readonly tuple: boolean }];
  /** FROM items per side (a pair's tuple is the left's items, then the right's). */
  readonly widths: readonly [number, number];
  /** Equal-key expressions of each side, compiled over that side's tuple. */
  readonly keys: readonly [readonly Eval[], readonly Eval[]];
  /** The conjuncts of ON that are not key equalities. */
  readonly residual: readonly Expr[];
  /** Which side an expression reads ('none' for constants, 'both' when it reads both). */
  sideOf(e: Expr): Side | 'none' | 'both';
  /** An expression over one side's tuple. */
  compileSide(e: Expr, side: Side): Eval;
  /** A column's identity (so that two spellings of one column compare equal). */
  columnId(e: ColumnExpr): string;
  /** The residual condition over a joined tuple, if any. */
  readonly rest: ((row: any[], w: BoundedWindow) => boolean) | undefined;
  /** Step names. */
  name(what: string): string;
}

export interface StreamJoinOutput {
  readonly pc: PCollection<any[]>;
  /** The side whose rows window the pairs (an interval join), if any. */
  readonly windowSide: Side | undefined;
}

interface Comparison { readonly a: Expr; readonly op: Op; readonly b: Expr }
interface Term { readonly col: ColumnExpr; readonly offset: number }
/** A bound of the other side's event time computed from this side's row: exclusive upper (hi) or inclusive lower (lo). */
interface Bound { readonly kind: 'hi' | 'lo'; readonly f: (row: any[]) => number | undefined }

/** A row waiting in the state (ordered by when it leaves; FOREVER: never): its tuple and event time. */
interface Stored { readonly row: any[]; readonly ts: number }
const FOREVER = MAX_TIMESTAMP;

const FLIP: Readonly<Record<Op, Op>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** A column, or a column plus or minus an INTERVAL or a number (milliseconds). */
function termOf(e: Expr): Term | undefined {
  if (e.kind === 'column') return { col: e, offset: 0 };
  if (e.kind === 'binary' && (e.op === '+' || e.op === '-') && e.left.kind === 'column') {
    const r = e.right;
    const ms = r.kind === 'interval' ? r.ms : r.kind === 'literal' && typeof r.value === 'number' ? r.value : undefined;
    if (ms !== undefined) return { col: e.left, offset: e.op === '+' ? ms : -ms };
  }
  return undefined;
}

function hasInterval(e: Expr): boolean {
  let found = false;
  walk(e, (x) => { if (x.kind === 'interval') found = true; });
  return found;
}

/** A time value as epoch milliseconds (numbers, Dates, bigints); undefined for NULL. */
function toMs(v: unknown, sql: string, at: number): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v);
  throw new SqlError('SQL_TYPE', `a time bound of the join holds a ${typeof v}, not a timestamp (Date or epoch milliseconds)`, { sql, position: at });
}

/** Plans the join (see the file comment). */
export function streamJoin(input: StreamJoinInput): StreamJoinOutput {
  const { sql } = input;
  // 1. The comparisons between the two sides (BETWEEN is two of them).
  const comparisons: Comparison[] = [];
  for (const c of input.residual) {
    if (c.kind === 'binary' && (c.op === '<' || c.op === '<=' || c.op === '>' || c.op === '>=')) comparisons.push({ a: c.left, op: c.op, b: c.right });
    if (c.kind === 'between' && !c.negated) {
      comparisons.push({ a: c.arg, op: '>=', b: c.low });
      comparisons.push({ a: c.arg, op: '<=', b: c.high });
    }
  }
  const across = comparisons.filter((c) => {
    const x = input.sideOf(c.a);
    const y = input.sideOf(c.b);
    return (x === 0 && y === 1) || (x === 1 && y === 0);
  });
  // 2. Each side's event-time column: compared with the other side's column using an INTERVAL.
  const timeColumn: [ColumnExpr | undefined, ColumnExpr | undefined] = [undefined, undefined];
  const mark = (t: Term | undefined): void => {
    if (t === undefined) return;
    const s = input.sideOf(t.col) as Side;
    const had = timeColumn[s];
    if (had !== undefined && input.columnId(had) !== input.columnId(t.col)) {
      throw new SqlError('SQL_UNSUPPORTED', `two event-time columns on one side of a join (${had.table ? `${had.table}.` : ''}${had.name} and ${t.col.table ? `${t.col.table}.` : ''}${t.col.name}) is not supported by streaming SQL`, {
        sql, position: t.col.at, hint: 'bound one time column of each side: B.t BETWEEN A.t - INTERVAL … AND A.t + INTERVAL …',
      });
    }
    timeColumn[s] = t.col;
  };
  for (const c of across) {
    const ta = termOf(c.a);
    const tb = termOf(c.b);
    if (ta && tb && (hasInterval(c.a) || hasInterval(c.b))) { mark(ta); mark(tb); }
  }
  const isTime = (t: Term | undefined): t is Term => t !== undefined && timeColumn[input.sideOf(t.col) as Side] !== undefined
    && input.columnId(timeColumn[input.sideOf(t.col) as Side]!) === input.columnId(t.col);
  // 3. Bounds: `X.t op g(Y)` bounds X's time by Y's row; it tells how long a Y row can match, and its window.
  const bounds: [Bound[], Bound[]] = [[], []];
  const addBound = (t: Term, op: Op, other: Expr, at: number): void => {
    const y = input.sideOf(other) as Side;
    const g = input.compileSide(other, y);
    const shift = -t.offset;
    const eval1 = (row: any[]): number | undefined => { const v = toMs(g(row, GLOBAL), sql, at); return v === undefined ? undefined : v + shift; };
    if (op === '<') bounds[y].push({ kind: 'hi', f: eval1 });
    else if (op === '<=') bounds[y].push({ kind: 'hi', f: (row) => { const v = eval1(row); return v === undefined ? undefined : v + 1; } });
    else if (op === '>') bounds[y].push({ kind: 'lo', f: (row) => { const v = eval1(row); return v === undefined ? undefined : v + 1; } });
    else bounds[y].push({ kind: 'lo', f: eval1 });
  };
  for (const c of across) {
    const ta = termOf(c.a);
    const tb = termOf(c.b);
    if (isTime(ta)) addBound(ta, c.op, c.b, c.a.at);
    if (isTime(tb)) addBound(tb, FLIP[c.op], c.a, c.b.at);
  }
  // 4. Each side's rows as tuples, keyed, with their event time from the time column (one step per side).
  const tagged = ([0, 1] as const).map((s) => {
    const { pc, tuple } = input.sides[s];
    const tc = timeColumn[s];
    const time = tc === undefined ? undefined : input.compileSide(tc, s);
    const label = tc === undefined ? '' : `${tc.table ? `${tc.table}.` : ''}${tc.name}`;
    const keys = input.keys[s];
    const one = keys.length === 1;
    return pc.apply(input.name(s === 0 ? 'JoinKeyLeft' : 'JoinKeyRight'), parDo<any, KV<unknown, { s: Side; row: any[] }>>({
      process(value, ctx) {
        const row: any[] = tuple ? value : [value];
        const k = one ? singleKey(keys[0]!(row, ctx.window)) : keyOf(keys.map((f) => f(row, ctx.window)));
        if (k === undefined) return; // a NULL key matches nothing
        if (time === undefined) { ctx.output({ key: k, value: { s, row } }); return; }
        const t = toMs(time(row, ctx.window), sql, tc!.at);
        if (t === undefined) throw new SqlError('SQL_TYPE', `the join's time column ${label} is NULL`, { sql, position: tc!.at });
        if (t < ctx.timestamp) {
          throw new SqlError('SQL_TYPE', `the join's time column ${label} (${t}) is earlier than the row's event time (${ctx.timestamp}): it cannot be the row's event time`, { sql, position: tc!.at });
        }
        ctx.outputWithTimestamp({ key: k, value: { s, row } }, t);
      },
    }));
  });
  const expiry = bounds.map((bs) => {
    const his = bs.filter((b) => b.kind === 'hi');
    if (his.length === 0) return undefined;
    return (row: any[]): number => {
      let min = Infinity;
      for (const b of his) { const v = b.f(row); if (v === undefined) return MIN_TIMESTAMP; if (v < min) min = v; } // NULL bound: matches nothing
      return min;
    };
  }) as [((row: any[]) => number) | undefined, ((row: any[]) => number) | undefined];
  const rest = input.rest;
  const joined: PCollection<any[]> = tagged[0]!.apply(input.name('JoinBoth'), flattenWith([tagged[1]!])).apply(input.name('StreamJoin'), parDo({
    state: { left: state.orderedList<Stored>(), right: state.orderedList<Stored>(), next: state.value<number>() },
    timers: { expiry: timer.eventTime() },
    process(e: KV<unknown, { s: Side; row: any[] }>, ctx) {
      const { s, row } = e.value;
      const w = ctx.window;
      const ts = ctx.timestamp;
      for (const { value: o } of (s === 0 ? ctx.state.right : ctx.state.left).read()) {
        const pair = s === 0 ? [...row, ...o.row] : [...o.row, ...row];
        // A pair's event time is its later row's, whichever arrived first.
        if (rest === undefined || rest(pair, w)) ctx.outputWithTimestamp(pair, o.ts > ts ? o.ts : ts);
      }
      const exp = expiry[s]?.(row);
      (s === 0 ? ctx.state.left : ctx.state.right).add(exp ?? FOREVER, { row, ts });
      if (exp !== undefined) {
        const at = sweepTime(exp, ts);
        const next = ctx.state.next.read();
        if (next === undefined || at < next) { ctx.state.next.write(at); ctx.timers.expiry.set(at); }
      }
    },
    onTimer: {
      expiry(ctx): void {
        // Rows whose last possible match has passed leave; the timer moves to the next row's expiry.
        const now = ctx.fireTimestamp;
        let next = FOREVER;
        for (const list of [ctx.state.left, ctx.state.right]) {
          list.clearRange(-Infinity, now + 1);
          const first = list.read(now + 1, FOREVER)[0];
          if (first !== undefined && first.timestamp < next) next = first.timestamp;
        }
        if (next === FOREVER) ctx.state.next.clear();
        else { const at = sweepTime(next, now); ctx.state.next.write(at); ctx.timers.expiry.set(at); }
      },
    },
  }));
  // 5. An interval join windows each pair by its window side's row.
  const windowSide: Side | undefined = expiry[0] ? 0 : expiry[1] ? 1 : undefined;
  if (windowSide === undefined) return { pc: joined, windowSide };
  const hi = expiry[windowSide]!;
  const los = bounds[windowSide].filter((b) => b.kind === 'lo');
  const leftWidth = input.widths[0];
  const windowOf = (pair: any[]): BoundedWindow => {
    const row = windowSide === 0 ? pair.slice(0, leftWidth) : pair.slice(leftWidth);
    let lo = MIN_TIMESTAMP;
    for (const b of los) { const v = b.f(row); if (v !== undefined && v > lo) lo = v; }
    return new IntervalWindow(lo, Math.max(hi(row), lo + 1));
  };
  const named = input.name('IntervalWindow');
  const pc = joined.apply(named, windowInto(windowFns.custom<any[]>({ name: `sql-interval-join(${named})`, assign: (_t, pair) => [windowOf(pair)] })));
  return { pc, windowSide };
}

const GLOBAL = undefined as unknown as BoundedWindow;

/**
 * When to sweep a row that expires at `exp` (seen at `now`): at a multiple of a step of a second or more, a power of
 * two times a second, about a quarter of the row's remaining life. A key whose rows each expire at another instant
 * (bids, a few per millisecond) is then swept a few times per lifetime, not once per row; a row stays at most about a
 * quarter of its life past its bound, which only late rows could notice (ON is checked on every pair).
 */
function sweepTime(exp: number, now: number): number {
  const life = exp - now;
  const step = life > 4000 ? 1000 * 2 ** Math.ceil(Math.log2(life / 4000)) : 1000;
  // A bound past the global window's end: the row stays to the end (a timer there would never fire before it).
  return Math.min(Math.max(Math.ceil(exp / step) * step, MIN_TIMESTAMP + 1), END_OF_GLOBAL_WINDOW);
}
