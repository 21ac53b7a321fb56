/**
 * Plans a parsed streaming SQL query into Riffle transforms (no DuckDB at run time):
 *
 * - a window table function (`TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL …))`, HOP, SESSION) or Beam SQL's
 *   `GROUP BY TUMBLE(ts, …)` sets event time from the column (withTimestamps) and windows the rows (window.into,
 *   with the EMIT clause's trigger); window_start/window_end/window_time read the element's window;
 * - WHERE and the SELECT list are one parDo; GROUP BY with aggregates is one combine.perKey (all aggregates in one
 *   CombineFn, lifted before the shuffle) then a parDo for HAVING and the SELECT list;
 * - a join reads its other side as a side input when that side is bounded in the global window (a table) or is a
 *   per-window aggregate of the same windows (one row per window, as Beam's Nexmark Q5/Q7 do); equi-conditions
 *   index the side rows once per side value. Other joins of two streams are refused.
 *
 * Rows are plain objects; joined rows are arrays with one object per FROM item (null for LEFT JOIN misses).
 */
import { PCollection, PipelineValidationError, triggers, windowFns, type BoundedWindow, type KV, type Trigger, type WindowFn, type WindowingOptions } from '../../model/index.ts';
import { coGroupByKey, combine, parDo, view, windowInto, withTimestamps } from '../../transforms/index.ts';
import { SqlError } from '../sql-error.ts';
import type { Emit, Expr, FromItem, Select, SelectItem } from './ast.ts';
import { sqlAggregates, type AggregateKind, type AggregateSpec } from './aggregates.ts';
import { overWindow } from './over-window.ts';
import { streamJoin } from './stream-join.ts';
import {
  AGGREGATES as AGGREGATE_NAMES, compileGuarded, exprKey, hasAggregate, isAggregateCall, keyOf, predicate, sameExpr, singleKey, TWO_ARG_AGGREGATES, walk, windowBound, WINDOW_BOUNDS, WINDOW_GROUPS,
  type CallExpr, type ColumnExpr, type Eval, type Resolver,
} from './expressions.ts';

/** An input of the query: its collection and, when declared, its columns. */
export interface PlanInput {
  readonly collection: PCollection<any>;
  readonly columns: readonly string[] | undefined;
}

/** One FROM item inside a relation. */
interface Entry {
  readonly alias: string;
  /** Known column names (declared schema or a subquery's SELECT list); undefined when unknown. */
  readonly columns: readonly string[] | undefined;
  /** window_start/window_end/window_time are virtual (the rows come from a window table function). */
  readonly windowColumns: boolean;
  /** Real columns that hold a window bound (a subquery selected window_start AS x). */
  readonly boundColumns: ReadonlyMap<string, 'start' | 'end' | 'time'>;
  /**
   * The bound columns are not in the rows but read from the element's window (a subquery's rows keep their window:
   * no Date per row and column for what only the window join and grouping need).
   */
  readonly boundsVirtual?: boolean;
}

interface Relation {
  readonly pc: PCollection<any>;
  readonly entries: readonly Entry[];
  /** Rows are arrays, one object per entry (after a join). */
  readonly tuple: boolean;
  /** The windowing comes from a window function of this query (GROUP BY must then name window_start/window_end). */
  readonly sqlWindowed: boolean;
  /** One row per window (an aggregate grouped by the window only). */
  readonly perWindow: boolean;
  /**
   * Rows of a SESSION table function: sessions exist only once grouped (merged per key), so these rows must be
   * grouped by exactly these partition columns.
   */
  readonly sessionPartition?: readonly string[];
  /**
   * Rows of an interval join, windowed by one side's rows: a GROUP BY must include these (that side's join keys), so
   * that each group is one row's matches.
   */
  readonly intervalKeys?: readonly Expr[];
  /** The rows' event time is their window's window_time (an aggregate's results): they can be windowed again by it. */
  readonly timedByWindow?: boolean;
}

const VIRTUAL = new Map<string, 'start' | 'end' | 'time'>([['window_start', 'start'], ['window_end', 'end'], ['window_time', 'time']]);

/** Compiles `query` over `inputs` (name → collection) into transforms; returns the output rows. */
export function planStreamingSql(sql: string, query: Select, inputs: ReadonlyMap<string, PlanInput>, step: string): PCollection<Record<string, unknown>> {
  let counter = 0;
  // Equal steps over the same collection are built once (Nexmark Q5 counts bids per auction and window twice).
  const shared = new Map<string, PCollection<any>>();
  const once = <T>(key: string, make: () => PCollection<T>): PCollection<T> => {
    let pc = shared.get(key);
    if (pc === undefined) shared.set(key, (pc = make()));
    return pc as PCollection<T>;
  };
  const name = (what: string): string => `${step}.${what}${++counter}`;
  const err = (code: 'SQL_UNSUPPORTED' | 'SQL_UNKNOWN_TABLE' | 'SQL_UNKNOWN_COLUMN' | 'SQL_SYNTAX', message: string, at: number, hint?: string): SqlError =>
    new SqlError(code, code === 'SQL_UNSUPPORTED' ? `${message} is not supported by streaming SQL` : message, { sql, position: at, ...(hint ? { hint } : {}) });

  /** Accessor of column `col` of entry `i` (rows of a tuple relation are arrays). */
  const accessor = (rel: Relation, i: number, written: string, at: number): Eval => {
    const entry = rel.entries[i]!;
    const col = spelling(entry, written);
    const bound = virtual(entry, written) ?? (entry.boundsVirtual ? entry.boundColumns.get(col) : undefined);
    if (bound !== undefined) {
      if (rel.tuple) return (row: any[], w) => (row[i] == null ? null : windowBound(w, bound, sql, at));
      return (_row, w) => windowBound(w, bound, sql, at);
    }
    if (rel.tuple) return (row: any[]) => { const r = row[i]; const v = r == null ? null : r[col]; return v === undefined ? null : v; };
    return (row: any) => { const v = row[col]; return v === undefined ? null : v; };
  };

  /** A declared column's own spelling (names match as written, else case-insensitively, as SQL does). */
  const spelling = (entry: Entry, written: string): string => {
    if (entry.columns === undefined || entry.columns.includes(written)) return written;
    const lower = written.toLowerCase();
    return entry.columns.find((c) => c.toLowerCase() === lower) ?? written;
  };
  const has = (entry: Entry, written: string): boolean => entry.columns !== undefined && entry.columns.includes(spelling(entry, written));
  const virtual = (entry: Entry, written: string): 'start' | 'end' | 'time' | undefined =>
    entry.windowColumns && !has(entry, written) ? VIRTUAL.get(written.toLowerCase()) : undefined;

  /** Which entry a column reference names (qualified, or the one entry that has it). */
  const resolveEntry = (rel: Relation, e: ColumnExpr): number => {
    if (e.table !== undefined) {
      const i = rel.entries.findIndex((x) => x.alias.toLowerCase() === e.table!.toLowerCase());
      if (i < 0) throw err('SQL_UNKNOWN_TABLE', `unknown table or alias '${e.table}'`, e.at, `the query's FROM items: ${rel.entries.map((x) => x.alias).join(', ')}`);
      const cols = rel.entries[i]!.columns;
      if (cols !== undefined && !has(rel.entries[i]!, e.name) && virtual(rel.entries[i]!, e.name) === undefined) {
        throw err('SQL_UNKNOWN_COLUMN', `'${e.table}' has no column '${e.name}'`, e.at, `its columns: ${cols.join(', ')}`);
      }
      return i;
    }
    if (rel.entries.length === 1) {
      const cols = rel.entries[0]!.columns;
      if (cols !== undefined && !has(rel.entries[0]!, e.name) && virtual(rel.entries[0]!, e.name) === undefined) {
        throw err('SQL_UNKNOWN_COLUMN', `unknown column '${e.name}'`, e.at, `columns: ${[...cols, ...(rel.entries[0]!.windowColumns ? VIRTUAL.keys() : [])].join(', ')}`);
      }
      return 0;
    }
    const having = rel.entries.map((x, i) => ({ x, i })).filter(({ x }) => has(x, e.name) || virtual(x, e.name) !== undefined);
    // window_start/… of a join's rows: every FROM item with window columns reads the same (the row's) window.
    if (having.length > 0 && having.every(({ x }) => !has(x, e.name))) return having[0]!.i;
    const unknown = rel.entries.filter((x) => x.columns === undefined);
    if (having.length === 1 && unknown.length === 0) return having[0]!.i;
    if (having.length > 1) throw err('SQL_UNKNOWN_COLUMN', `column '${e.name}' is ambiguous (in ${having.map(({ x }) => x.alias).join(' and ')})`, e.at, `qualify it: ${having[0]!.x.alias}.${e.name}`);
    if (unknown.length > 0) throw err('SQL_UNKNOWN_COLUMN', `column '${e.name}' must be qualified in a join (the columns of ${unknown.map((x) => x.alias).join(', ')} are not declared)`, e.at, 'write alias.column, or declare the input\'s schema');
    throw err('SQL_UNKNOWN_COLUMN', `unknown column '${e.name}'`, e.at);
  };

  const rowResolver = (rel: Relation, noAggregates: string): Resolver => ({
    column: (e) => accessor(rel, resolveEntry(rel, e), e.name, e.at),
    noAggregates,
  });

  /** The window bound a column reference stands for, if any (virtual window columns, or real ones that hold a bound). */
  const boundOf = (rel: Relation, e: Expr): 'start' | 'end' | 'time' | undefined => {
    if (e.kind !== 'column') return undefined;
    let i: number;
    try { i = resolveEntry(rel, e); } catch { return undefined; }
    const entry = rel.entries[i]!;
    return virtual(entry, e.name) ?? entry.boundColumns.get(spelling(entry, e.name));
  };

  // ---- FROM items ----
  const windowFnOf = (fn: 'tumble' | 'hop' | 'session', intervals: readonly number[], at: number): WindowFn<any> => {
    if (intervals.some((x) => !(x > 0))) throw err('SQL_SYNTAX', 'window intervals must be positive', at);
    if (fn === 'tumble') return windowFns.fixed(intervals[0]!);
    if (fn === 'hop') {
      const [slide, size] = intervals as [number, number];
      if (size % slide !== 0) throw err('SQL_UNSUPPORTED', `HOP with a size (${size} ms) that is not a multiple of its slide (${slide} ms)`, at);
      return windowFns.sliding(size, slide);
    }
    return windowFns.sessions(intervals[0]!);
  };

  const windowingOf = (emit: Emit | undefined): WindowingOptions => {
    if (emit === undefined) return {};
    const early: Trigger[] = [];
    if (emit.earlyDelayMs !== undefined) early.push(triggers.afterProcessingTime(emit.earlyDelayMs));
    if (emit.earlyRows !== undefined) early.push(triggers.afterCount(emit.earlyRows));
    const lateness = emit.allowedLatenessMs;
    const trigger = triggers.afterWatermark({
      ...(early.length > 0 ? { early: early.length === 1 ? early[0]! : triggers.afterFirst(...early) } : {}),
      ...(lateness ? { late: triggers.afterCount(1) } : {}),
    });
    return { trigger, ...(early.length > 0 || lateness ? { accumulation: 'accumulating' as const } : {}), ...(lateness ? { allowedLateness: lateness } : {}) };
  };

  /** Sets event time from the column and windows the rows. */
  const windowRows = (rel: Relation, timeColumn: ColumnExpr, fn: WindowFn<any>, emit: Emit | undefined): PCollection<any> => {
    const entry = resolveEntry(rel, timeColumn);
    const get = accessor(rel, entry, timeColumn.name, timeColumn.at);
    const at = timeColumn.at;
    const col = timeColumn.name;
    return once(`window|${rel.pc.id}|${entry}|${spelling(rel.entries[entry]!, col)}|${fn.describe()}|${JSON.stringify(emit ?? null, (k, v) => (k === 'at' ? undefined : v))}`, () => rel.pc.apply(name('EventTime'), withTimestamps((row: any) => {
      const v = get(row, undefined as never);
      if (typeof v === 'number') return v;
      if (v instanceof Date) return v.getTime();
      if (typeof v === 'bigint') return Number(v);
      throw new SqlError('SQL_TYPE', `the time column '${col}' holds ${v === null ? 'NULL' : `a ${typeof v}`}, not a timestamp (Date or epoch milliseconds)`, { sql, position: at });
    })).apply(name('Window'), windowInto(fn, windowingOf(emit))));
  };

  const fromItem = (item: FromItem, emit: Emit | undefined): Relation => {
    if (item.kind === 'table') {
      const input = lookup(item.name, item.at);
      return {
        pc: input.collection, tuple: false, sqlWindowed: false, perWindow: false,
        entries: [{ alias: item.alias, columns: input.columns, windowColumns: false, boundColumns: new Map() }],
      };
    }
    if (item.kind === 'subquery') {
      const sub = select(item.query, false);
      return { ...sub, entries: [{ ...sub.entries[0]!, alias: item.alias }] };
    }
    const { tvf } = item;
    const inner = fromItem(tvf.table, undefined);
    const timeColumn: ColumnExpr = { kind: 'column', table: undefined, name: tvf.timeColumn, at: tvf.at };
    // Windows of windows (Flink's cascading windows): an aggregate's results, by their event time window_time.
    const cascade = !inner.pc.windowing.windowFn.isGlobal && inner.timedByWindow === true && boundOf(inner, timeColumn) === 'time';
    if (!inner.pc.windowing.windowFn.isGlobal && !cascade) {
      throw err('SQL_UNSUPPORTED', `${tvf.fn.toUpperCase()} over rows that are already windowed (${inner.pc.windowing.windowFn.describe()})`, tvf.at,
        "window an input in the global window, or an aggregate's results by their window_time: DESCRIPTOR(window_time)");
    }
    if (tvf.fn === 'session' && tvf.partitionBy.length === 0) {
      throw err('SQL_UNSUPPORTED', 'SESSION without PARTITION BY (sessions over all rows)', tvf.at,
        "Riffle merges sessions per key: write SESSION(TABLE t PARTITION BY k, DESCRIPTOR(ts), INTERVAL …) and GROUP BY k, window_start, window_end (or Beam's GROUP BY k, SESSION(ts, INTERVAL …))");
    }
    const fn = windowFnOf(tvf.fn, tvf.intervals, tvf.at);
    // An aggregate's results are timestamped at window_time already (the end of their window, less 1 ms).
    const pc = cascade
      ? once(`rewindow|${inner.pc.id}|${fn.describe()}|${JSON.stringify(emit ?? null, (k, v) => (k === 'at' ? undefined : v))}`, () => inner.pc.apply(name('Window'), windowInto(fn, windowingOf(emit))))
      : windowRows(inner, timeColumn, fn, emit);
    const e = inner.entries[0]!;
    return {
      pc, tuple: false, sqlWindowed: true, perWindow: false, entries: [{ alias: item.alias || e.alias, columns: e.columns, windowColumns: true, boundColumns: new Map() }],
      ...(tvf.fn === 'session' ? { sessionPartition: tvf.partitionBy } : {}),
    };
  };

  const lookup = (table: string, at: number): PlanInput => {
    const found = inputs.get(table) ?? [...inputs].find(([k]) => k.toLowerCase() === table.toLowerCase())?.[1];
    if (found === undefined) throw err('SQL_UNKNOWN_TABLE', `unknown table '${table}'`, at, `the step's inputs: ${[...inputs.keys()].join(', ')}`);
    return found;
  };

  // ---- joins ----
  /**
   * WHERE conjuncts that read one side of an inner join only, applied to that side before the join too (fewer rows
   * kept in a stream join's state; the whole WHERE still runs after the join).
   */
  const pushDown = (where: readonly Expr[], left: Relation, right: Relation): [Relation, Relation] => {
    const probe: Relation = { pc: left.pc, entries: [...left.entries, ...right.entries], tuple: true, sqlWindowed: false, perWindow: false };
    const filtered = (rel: Relation, from: number): Relation => {
      const mine = where.filter((c) => {
        let ok = true;
        let reads = false;
        walk(c, (x) => {
          if (x.kind === 'call' && (x.over !== undefined || isAggregateCall(x))) ok = false;
          if (x.kind !== 'column' || !ok) return;
          let i: number;
          try { i = resolveEntry(probe, x); } catch { ok = false; return; }
          reads = true;
          if (i < from || i >= from + rel.entries.length) ok = false;
        });
        return ok && reads;
      });
      if (mine.length === 0) return rel;
      const test = predicate(compileGuarded(mine.reduce((a, b) => ({ kind: 'binary', op: 'and', left: a, right: b, at: b.at })), rowResolver(rel, 'is not allowed in WHERE'), sql));
      return { ...rel, pc: rel.pc.apply(name('PushedWhere'), parDo<any, any>({ process(row, ctx) { if (test(row, ctx.window)) ctx.output(row); } })) };
    };
    return [filtered(left, 0), filtered(right, left.entries.length)];
  };

  const conjunctsOf = (e: Expr | undefined): Expr[] => (e === undefined ? [] : e.kind === 'binary' && e.op === 'and' ? [...conjunctsOf(e.left), ...conjunctsOf(e.right)] : [e]);

  const join = (leftIn: Relation, rightIn: Relation, kind: 'inner' | 'left', on: Expr | undefined, at: number, where: readonly Expr[]): Relation => {
    const [left, right] = kind === 'inner' ? pushDown(where, leftIn, rightIn) : [leftIn, rightIn];
    const leftEntries = left.entries.length;
    const entries = [...left.entries, ...right.entries];
    const asTuple = (rel: Relation): PCollection<any[]> => (rel.tuple ? rel.pc : rel.pc.map((r: unknown) => [r], name('AsTuple')));
    const joined: Relation = { pc: left.pc, entries, tuple: true, sqlWindowed: left.sqlWindowed || right.sqlWindowed, perWindow: false };
    // Which side can be a side input: a bounded table in the global window, or a per-window aggregate of the same windows.
    const sideOk = (side: Relation, main: Relation): boolean => {
      const sw = side.pc.windowing.windowFn;
      if (sw.isGlobal) return side.pc.bounded;
      return side.perWindow && !sw.isMerging && sw.describe() === main.pc.windowing.windowFn.describe();
    };
    // Split ON into equi-conditions between the two sides (indexed) and a residual condition.
    const conjuncts: Expr[] = [];
    const split = (e: Expr): void => { if (e.kind === 'binary' && e.op === 'and') { split(e.left); split(e.right); } else conjuncts.push(e); };
    if (on) split(on);
    const sideOf = (e: Expr): 'l' | 'r' | 'both' | 'none' => {
      let l = false;
      let r = false;
      walk(e, (x) => { if (x.kind === 'column') { if (resolveEntry(joined, x) < leftEntries) l = true; else r = true; } });
      return l && r ? 'both' : l ? 'l' : r ? 'r' : 'none';
    };
    const leftKeys: Expr[] = [];
    const rightKeys: Expr[] = [];
    const residual: Expr[] = [];
    let boundEquality = false;
    for (const c of conjuncts) {
      if (c.kind === 'binary' && c.op === '=') {
        const a = sideOf(c.left);
        const b = sideOf(c.right);
        // Window bounds are equal on both sides by construction (same windows): they need no key.
        if (!joined.pc.windowing.windowFn.isGlobal || !right.pc.windowing.windowFn.isGlobal) {
          const ba = boundOf(joined, c.left);
          const bb = boundOf(joined, c.right);
          if (ba !== undefined && ba === bb && a !== b) { boundEquality = true; continue; }
        }
        if ((a === 'l' && b === 'r') || (a === 'r' && b === 'l')) {
          const [le, re] = a === 'l' ? [c.left, c.right] : [c.right, c.left];
          leftKeys.push(le);
          rightKeys.push(re);
          continue;
        }
      }
      residual.push(c);
    }
    for (const r of [...residual, ...leftKeys, ...rightKeys]) if (hasAggregate(r)) throw err('SQL_UNSUPPORTED', 'an aggregate in ON', r.at);
    const rest = residual.length === 0 ? undefined : predicate(compileGuarded(residual.reduce((a, b) => ({ kind: 'binary', op: 'and', left: a, right: b, at: b.at })), rowResolver(joined, 'is not allowed in ON'), sql));
    const lw = left.pc.windowing.windowFn;
    const sameWindows = !lw.isGlobal && !lw.isMerging && lw.describe() === right.pc.windowing.windowFn.describe();
    // Two streams (or two bounded inputs) in the global window: a join in keyed state (stream-join.ts).
    const bothGlobal = lw.isGlobal && right.pc.windowing.windowFn.isGlobal;
    if (bothGlobal && kind === 'inner' && left.pc.bounded === right.pc.bounded && (leftKeys.length > 0 || !left.pc.bounded)) {
      if (leftKeys.length === 0) {
        throw err('SQL_UNSUPPORTED', 'a join of two streams without an equality of keys in ON', at, 'streaming SQL joins two streams on equal keys (ON a.k = b.k [AND …]), each side kept in the state of its key');
      }
      const alone = (s: 0 | 1): Relation => ({ ...(s === 0 ? left : right), tuple: true });
      const onSide = (e: Expr, s: 0 | 1): Eval => compileGuarded(e, rowResolver(alone(s), 'is not allowed in ON'), sql);
      const out = streamJoin({
        sql, at, residual, rest, name,
        sides: [{ pc: left.pc, tuple: left.tuple }, { pc: right.pc, tuple: right.tuple }],
        widths: [leftEntries, right.entries.length],
        keys: [leftKeys.map((k) => onSide(k, 0)), rightKeys.map((k) => onSide(k, 1))],
        sideOf: (e) => { const x = sideOf(e); return x === 'l' ? 0 : x === 'r' ? 1 : x; },
        compileSide: onSide,
        columnId: (e) => { const i = resolveEntry(joined, e); return `${i}|${spelling(joined.entries[i]!, e.name)}`; },
      });
      if (out.windowSide === undefined) return { ...joined, pc: out.pc };
      const ws = out.windowSide;
      const inSide = (i: number) => (ws === 0 ? i < leftEntries : i >= leftEntries);
      return {
        ...joined, pc: out.pc, intervalKeys: ws === 0 ? leftKeys : rightKeys,
        entries: entries.map((x, i) => (inSide(i) ? { ...x, windowColumns: true } : x)),
      };
    }
    if (bothGlobal && kind === 'left' && !left.pc.bounded && !right.pc.bounded) {
      throw err('SQL_UNSUPPORTED', 'LEFT JOIN of two streams', at, 'a row without a match is only known once the other stream ends (SQL would retract it): use INNER JOIN, or join a bounded table');
    }
    let mainIsLeft: boolean;
    // Rows of two windowed relations meet only in their common window: ON must say so (window_start = window_start),
    // else SQL would pair rows of different windows.
    const windowsMeet = (side: Relation) => side.pc.windowing.windowFn.isGlobal || boundEquality;
    if (sideOk(right, left) && windowsMeet(right)) mainIsLeft = true;
    else if (kind === 'inner' && sideOk(left, right) && windowsMeet(left)) mainIsLeft = false;
    else if (sameWindows && boundEquality) return windowJoin(left, right, joined, kind, leftKeys, rightKeys, rest);
    else {
      throw err('SQL_UNSUPPORTED', 'a join of two streams', at,
        'streaming SQL joins a stream with a bounded table (read as a side input), with a per-window aggregate of the same windows (GROUP BY window_start, window_end only), or two streams windowed alike with window_start = window_start (and/or window_end) in ON');
    }
    const mainKeys = mainIsLeft ? leftKeys : rightKeys;
    const sideKeys = mainIsLeft ? rightKeys : leftKeys;
    const mainRel = mainIsLeft ? left : right;
    const sideRel = mainIsLeft ? right : left;
    const sideAlone: Relation = { ...sideRel, entries: sideRel.entries };
    const mainAlone: Relation = { ...mainRel, entries: mainRel.entries };
    const mainKey = mainKeys.map((k) => compileGuarded(k, rowResolver(mainAlone, 'is not allowed in ON'), sql));
    const sideKey = sideKeys.map((k) => compileGuarded(k, rowResolver(sideAlone, 'is not allowed in ON'), sql));
    const sideView = asTuple(sideRel).apply(name('JoinSide'), view.asIterable<any[]>());
    const sideWidth = sideRel.entries.length;
    const nulls = new Array<null>(sideWidth).fill(null);
    // Side rows indexed by their key once per side value (a table, or one window's aggregate).
    const oneKey = mainKey.length === 1;
    const keyFn = (fs: Eval[], row: any, w: BoundedWindow): unknown => (oneKey ? singleKey(fs[0]!(row, w)) : keyOf(fs.map((f) => f(row, w))));
    const index = new WeakMap<object, Map<unknown, any[][]>>();
    const indexOf = (rows: readonly any[][], w: BoundedWindow): Map<unknown, any[][]> => {
      let m = index.get(rows);
      if (m === undefined) {
        m = new Map();
        for (const r of rows) {
          const k = keyFn(sideKey, sideRel.tuple ? r : r[0], w);
          if (k === undefined) continue;
          const list = m.get(k);
          if (list) list.push(r); else m.set(k, [r]);
        }
        index.set(rows, m);
      }
      return m;
    };
    const none: any[][] = [];
    const mainTuple = mainRel.tuple;
    const pc = mainRel.pc.apply(name('Join'), parDo<any, any[], { side: typeof sideView }>({
      sideInputs: { side: sideView },
      process(mainRow, ctx) {
        const w = ctx.window;
        const k = mainKey.length === 0 ? null : keyFn(mainKey, mainRow, w);
        const candidates = k === undefined ? none : mainKey.length === 0 ? (ctx.side.side as any[][]) : (indexOf(ctx.side.side, w).get(k) ?? none);
        let matched = false;
        if (candidates.length === 0 && kind === 'inner') return;
        const mains = mainTuple ? (mainRow as any[]) : [mainRow];
        for (const s of candidates) {
          const row = mainIsLeft ? [...mains, ...s] : [...s, ...mains];
          if (rest !== undefined && !rest(row, w)) continue;
          matched = true;
          ctx.output(row);
        }
        if (!matched && kind === 'left') ctx.output([...mains, ...nulls]);
      },
    }));
    return { ...joined, pc };
  };

  /** Two streams windowed alike, joined per window and key (coGroupByKey), as Flink's window join. */
  const windowJoin = (left: Relation, right: Relation, joined: Relation, kind: 'inner' | 'left', leftKeys: Expr[], rightKeys: Expr[], rest: ((row: any, w: BoundedWindow) => boolean) | undefined): Relation => {
    const keyed = (rel: Relation, keys: Expr[], keepNull: boolean, what: string): PCollection<KV<string, any[]>> => {
      const evals = keys.map((k) => compileGuarded(k, rowResolver(rel, 'is not allowed in ON'), sql));
      return rel.pc.apply(name(what), parDo<any, KV<string, any[]>>({
        process(row, ctx) {
          const k = keyOf(evals.map((f) => f(row, ctx.window)));
          const tuple = rel.tuple ? row : [row];
          if (k !== undefined) ctx.output({ key: k, value: tuple });
          else if (keepNull) ctx.output({ key: '\u0000', value: tuple });
        },
      }));
    };
    const l = keyed(left, leftKeys, kind === 'left', 'JoinLeft');
    const r = keyed(right, rightKeys, false, 'JoinRight');
    const nulls = new Array<null>(right.entries.length).fill(null);
    const pc = coGroupByKey({ l, r }, name('WindowJoin')).apply(name('Pairs'), parDo<KV<string, { l: any[][]; r: any[][] }>, any[]>({
      process(g, ctx) {
        const w = ctx.window;
        for (const a of g.value.l) {
          let matched = false;
          for (const b of g.value.r) {
            const row = [...a, ...b];
            if (rest !== undefined && !rest(row, w)) continue;
            matched = true;
            ctx.output(row);
          }
          if (!matched && kind === 'left') ctx.output([...a, ...nulls]);
        }
      },
    }));
    return { ...joined, pc };
  };

  // ---- SELECT ----
  const select = (q: Select, top: boolean): Relation => {
    const beamWindow = q.groupBy.find((g): g is CallExpr => g.kind === 'call' && WINDOW_GROUPS.has(g.name));
    let rel = fromItem(q.from, beamWindow ? undefined : q.emit);
    for (const j of q.joins) {
      if (j.item.kind === 'window' && q.emit) throw err('SQL_UNSUPPORTED', 'EMIT with a window function inside a join', j.at);
      rel = join(rel, fromItem(j.item, undefined), j.kind, j.on, j.at, conjunctsOf(q.where));
    }
    if (q.emit && !beamWindow && q.from.kind !== 'window') throw err('SQL_UNSUPPORTED', 'EMIT without a window', q.emit.at, 'EMIT applies to a window: FROM TABLE(TUMBLE(...)) or GROUP BY TUMBLE(...)');
    if (q.where && hasAggregate(q.where)) {
      let at = q.where.at;
      walk(q.where, (x) => { if (isAggregateCall(x) && at === q.where!.at) at = x.at; });
      throw err('SQL_UNSUPPORTED', 'an aggregate in WHERE', at, 'use HAVING');
    }
    const where = q.where ? predicate(compileGuarded(q.where, rowResolver(rel, 'is not allowed in WHERE (use HAVING)'), sql)) : undefined;
    const aggregated = q.groupBy.length > 0 || q.having !== undefined || q.distinct || q.items.some((i) => i.kind === 'expr' && hasAggregate(i.expr));
    const overs: CallExpr[] = [];
    for (const i of q.items) if (i.kind === 'expr') walk(i.expr, (x) => { if (x.kind === 'call' && x.over && !overs.some((c) => sameExpr(c, x))) overs.push(x); });
    if (overs.length > 0) {
      if (aggregated) throw err('SQL_UNSUPPORTED', 'a window function (OVER) with GROUP BY, HAVING, DISTINCT or aggregates', overs[0]!.at, 'compute the aggregate in a subquery in FROM, then the window function over its rows');
      return over(rel, q, overs, where, top);
    }
    if (!aggregated) return project(rel, q, where, top);
    if (where) rel = { ...rel, pc: rel.pc.apply(name('Where'), parDo<any, any>({ process(row, ctx) { if (where(row, ctx.window)) ctx.output(row); } })) };
    if (beamWindow) {
      if (!rel.pc.windowing.windowFn.isGlobal) throw err('SQL_UNSUPPORTED', `GROUP BY ${beamWindow.name.toUpperCase()}(…) over rows that are already windowed`, beamWindow.at);
      const [time, ...rest] = beamWindow.args;
      if (time?.kind !== 'column' || rest.some((x) => x.kind !== 'interval')) {
        throw err('SQL_SYNTAX', `${beamWindow.name.toUpperCase()}(time_column, INTERVAL …${beamWindow.name === 'hop' ? ', INTERVAL …' : ''}) expected`, beamWindow.at);
      }
      const want = beamWindow.name === 'hop' ? 2 : 1;
      if (rest.length !== want) throw err('SQL_SYNTAX', `${beamWindow.name.toUpperCase()} takes ${want} interval(s), got ${rest.length}`, beamWindow.at);
      const fn = windowFnOf(beamWindow.name as 'tumble', rest.map((x) => (x as Extract<Expr, { kind: 'interval' }>).ms), beamWindow.at);
      rel = { ...rel, pc: windowRows(rel, time, fn, q.emit), sqlWindowed: true };
    }
    return aggregate(rel, q, beamWindow, top);
  };

  /** Aggregates OVER a ROWS frame, per PARTITION BY key in keyed state (over-window.ts). */
  const over = (rel: Relation, q: Select, calls: CallExpr[], where: ((row: any, w: BoundedWindow) => boolean) | undefined, top: boolean): Relation => {
    const spec = calls[0]!.over!;
    const other = calls.find((c) => exprKey(c.over) !== exprKey(spec));
    if (other) throw err('SQL_UNSUPPORTED', 'two different OVER windows in one SELECT', other.at, 'give every window function the same PARTITION BY, ORDER BY and frame, or use subqueries');
    if (spec.orderBy.length === 0) throw err('SQL_UNSUPPORTED', 'OVER without ORDER BY', spec.at, 'a ROWS frame needs an order: ORDER BY the rows\' time (and a tie-break)');
    for (const c of calls) if (!AGGREGATE_NAMES.has(c.name)) throw err('SQL_UNSUPPORTED', `${c.name.toUpperCase()}() OVER (…)`, c.at, 'window functions: COUNT, SUM, AVG, MIN, MAX, ARG_MAX, ARG_MIN over a ROWS frame');
    const rowR = rowResolver(rel, 'cannot be nested in a window function');
    const aggregates = sqlAggregates(calls.map((c) => aggregateSpec(c, rel, rowR)));
    let current: readonly unknown[] = [];
    const outR: Resolver = {
      column: rowR.column,
      replace: (e) => { const i = calls.findIndex((c) => sameExpr(c, e)); return i < 0 ? undefined : () => current[i]; },
      noAggregates: 'needs an OVER window here (a query with window functions has no GROUP BY)',
    };
    const { build, columns, boundColumns } = selectList(q.items, rel, outR, () => undefined, top);
    const filtered = where ? rel.pc.apply(name('Where'), parDo<any, any>({ process(row, ctx) { if (where(row, ctx.window)) ctx.output(row); } })) : rel.pc;
    const pc = overWindow(filtered, {
      name, preceding: spec.preceding, aggregates,
      partition: spec.partitionBy.map((e) => compileGuarded(e, { ...rowR, noAggregates: 'is not allowed in PARTITION BY' }, sql)),
      order: spec.orderBy.map((o) => ({ f: compileGuarded(o.expr, { ...rowR, noAggregates: 'is not allowed in ORDER BY' }, sql), desc: o.desc })),
      build: (row, values, w) => { current = values; return build(row, w); },
    });
    return { pc, tuple: false, sqlWindowed: false, perWindow: false, entries: [{ alias: '', columns, windowColumns: false, boundColumns, boundsVirtual: !top }] };
  };

  /** WHERE and the SELECT list over rows, in one parDo. */
  const project = (rel: Relation, q: Select, where: ((row: any, w: BoundedWindow) => boolean) | undefined, top: boolean): Relation => {
    if (rel.sessionPartition) throw err('SQL_UNSUPPORTED', 'rows of SESSION(…) without GROUP BY', q.at, 'sessions exist once rows are grouped: GROUP BY the partition columns, window_start, window_end');
    const { build, columns, boundColumns } = selectList(q.items, rel, rowResolver(rel, 'needs GROUP BY or is not allowed here'), (e) => boundOf(rel, e), top);
    const pc = rel.pc.apply(name('Select'), parDo<any, Record<string, unknown>>({
      process(row, ctx) {
        if (where !== undefined && !where(row, ctx.window)) return;
        ctx.output(build(row, ctx.window));
      },
    }));
    return { pc, tuple: false, sqlWindowed: rel.sqlWindowed, perWindow: false, entries: [{ alias: '', columns, windowColumns: false, boundColumns, boundsVirtual: !top }] };
  };

  /** The SELECT list: a function building the output row, and the output's column names when all are known. */
  const selectList = (items: readonly SelectItem[], rel: Relation, r: Resolver, bound: (e: Expr) => 'start' | 'end' | 'time' | undefined, materialize: boolean) => {
    const parts: { name: string; f: Eval }[] = [];
    const spreads: { index: number; windowColumns: boolean }[] = [];
    let known = true;
    const names: string[] = [];
    const boundColumns = new Map<string, 'start' | 'end' | 'time'>();
    for (const item of items) {
      if (item.kind === 'star') {
        const which = item.table === undefined ? rel.entries.map((_, i) => i) : [rel.entries.findIndex((x) => x.alias.toLowerCase() === item.table!.toLowerCase())];
        if (which[0] === -1) throw err('SQL_UNKNOWN_TABLE', `unknown table or alias '${item.table}'`, item.at);
        for (const i of which) {
          const entry = rel.entries[i]!;
          if (entry.columns === undefined) {
            known = false;
            spreads.push({ index: i, windowColumns: entry.windowColumns });
            continue;
          }
          for (const c of entry.columns) { parts.push({ name: c, f: accessor(rel, i, c, item.at) }); names.push(c); }
          if (entry.windowColumns) for (const [c, b] of VIRTUAL) { if (!entry.columns.includes(c)) { parts.push({ name: c, f: accessor(rel, i, c, item.at) }); names.push(c); boundColumns.set(c, b); } }
          for (const [c, b] of entry.boundColumns) boundColumns.set(c, b);
        }
        continue;
      }
      const outName = item.alias ?? (item.expr.kind === 'column' ? item.expr.name : item.text);
      parts.push({ name: outName, f: compileGuarded(item.expr, r, sql) });
      names.push(outName);
      const b = bound(item.expr);
      if (b !== undefined) boundColumns.set(outName, b);
    }
    // Rows of a subquery leave out the window bounds (read back from the window); the query's result has them all.
    const kept = materialize ? parts : parts.filter((x) => !boundColumns.has(x.name));
    const build = (row: any, w: BoundedWindow): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const s of spreads) {
        const one = rel.tuple ? row[s.index] : row;
        Object.assign(out, one);
        if (!materialize || one == null) continue;
        if (s.windowColumns) for (const [c, b] of VIRTUAL) out[c] = windowBound(w, b, sql, 0);
        const e = rel.entries[s.index]!;
        if (e.boundsVirtual) for (const [c, b] of e.boundColumns) out[c] = windowBound(w, b, sql, 0);
      }
      for (let i = 0; i < kept.length; i++) { const p = kept[i]!; out[p.name] = p.f(row, w); }
      return out;
    };
    for (const s of spreads) {
      if (s.windowColumns) for (const [c, b] of VIRTUAL) boundColumns.set(c, b);
      for (const [c, b] of rel.entries[s.index]!.boundColumns) boundColumns.set(c, b);
    }
    return { build, columns: known ? names : undefined, boundColumns };
  };

  /** One aggregate call as the spec of sqlAggregates. */
  const aggregateSpec = (c: CallExpr, rel: Relation, rowR: Resolver): AggregateSpec => {
    const filter = c.filter ? compileGuarded(c.filter, rowR, sql) : undefined;
    let kind: AggregateKind;
    if (c.star) {
      if (c.name !== 'count') throw err('SQL_SYNTAX', `${c.name.toUpperCase()}(*) is not an aggregate; COUNT(*) is`, c.at);
      kind = 'countStar';
    } else {
      const two = TWO_ARG_AGGREGATES.has(c.name);
      if (c.args.length !== (two ? 2 : 1)) throw err('SQL_SYNTAX', `${c.name.toUpperCase()}() takes ${two ? 'two arguments (arg, val)' : 'one argument'}`, c.at);
      if (c.distinct && c.name !== 'count') throw err('SQL_UNSUPPORTED', `${c.name.toUpperCase()}(DISTINCT …)`, c.at, 'COUNT(DISTINCT …) is supported');
      kind = c.distinct ? 'countDistinct' : c.name === 'mean' ? 'avg' : two ? (c.name === 'arg_max' || c.name === 'max_by' ? 'argMax' : 'argMin') : (c.name as AggregateKind);
    }
    let usesWindow = false;
    if (!c.star) walk(c.args[0]!, (x) => { if (boundOf(rel, x) !== undefined && x.kind === 'column' && VIRTUAL.has(x.name.toLowerCase())) usesWindow = true; });
    if (usesWindow) throw err('SQL_UNSUPPORTED', 'window_start/window_end inside an aggregate', c.at);
    return { kind, arg: c.star ? undefined : compileGuarded(c.args[0]!, rowR, sql), by: c.args[1] === undefined ? undefined : compileGuarded(c.args[1], rowR, sql), filter };
  };

  /** GROUP BY (keys, window bounds), aggregates, HAVING and the SELECT list. */
  const aggregate = (rel: Relation, q: Select, beamWindow: CallExpr | undefined, top: boolean): Relation => {
    const windowed = !rel.pc.windowing.windowFn.isGlobal;
    if (rel.pc.windowing.windowFn.isGlobal && !rel.pc.bounded) {
      throw err('SQL_UNSUPPORTED', 'GROUP BY over an unbounded input without a window', q.at,
        "window it: FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) … GROUP BY …, window_start, window_end (or Beam's GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE))");
    }
    const groupExprs = q.distinct && q.groupBy.length === 0
      ? q.items.map((i) => { if (i.kind === 'star') throw err('SQL_UNSUPPORTED', 'SELECT DISTINCT *', i.at, 'name the columns'); return i.expr; })
      : q.groupBy;
    const keys: Expr[] = [];
    const windowGroups: Expr[] = [];
    for (const g of groupExprs) {
      if (g === beamWindow) { windowGroups.push(g); continue; }
      if (hasAggregate(g)) throw err('SQL_UNSUPPORTED', 'an aggregate in GROUP BY', g.at);
      if (windowed && boundOf(rel, g) !== undefined) { windowGroups.push(g); continue; }
      keys.push(g);
    }
    if (rel.sqlWindowed && windowGroups.length === 0) {
      throw err('SQL_UNSUPPORTED', 'GROUP BY over windowed rows without window_start/window_end', q.at,
        'Riffle groups per window: add window_start, window_end to GROUP BY (or group by TUMBLE(…) in Beam SQL\'s spelling)');
    }
    if (rel.sessionPartition) {
      const want = rel.sessionPartition.map((c) => c.toLowerCase()).sort();
      const got = keys.map((k) => (k.kind === 'column' ? k.name.toLowerCase() : '?')).sort();
      if (want.join(',') !== got.join(',')) {
        throw err('SQL_UNSUPPORTED', `GROUP BY ${keys.length === 0 ? 'only the window' : 'other columns'} over SESSION(… PARTITION BY ${rel.sessionPartition.join(', ')} …)`, q.at,
          `group by exactly the partition columns (${rel.sessionPartition.join(', ')}) and window_start, window_end: Riffle merges sessions per group key`);
      }
    }
    if (rel.intervalKeys) {
      const id = (e: Expr): string => (e.kind === 'column' ? (() => { try { const i = resolveEntry(rel, e); return `${i}|${spelling(rel.entries[i]!, e.name)}`; } catch { return exprKey(e); } })() : exprKey(e));
      const missing = rel.intervalKeys.filter((k) => !keys.some((g) => id(g) === id(k)));
      if (missing.length > 0) {
        throw err('SQL_UNSUPPORTED', 'GROUP BY over an interval join without the join key of its bounded side', q.at,
          `each group is one row's matches, complete when the watermark passes its time bound: GROUP BY ${missing.map((k) => (k.kind === 'column' ? `${k.table ? `${k.table}.` : ''}${k.name}` : 'the key')).join(', ')}, …`);
      }
    }
    const rowR = rowResolver(rel, 'cannot be nested in another aggregate');
    const keyEvals = keys.map((k) => compileGuarded(k, { ...rowR, noAggregates: 'is not allowed in GROUP BY' }, sql));
    // Aggregate calls of SELECT and HAVING, each once.
    const calls: CallExpr[] = [];
    const collect = (e: Expr): void => walk(e, (x) => { if (isAggregateCall(x) && !calls.some((c) => sameExpr(c, x))) calls.push(x); });
    for (const i of q.items) if (i.kind === 'expr') collect(i.expr);
    if (q.having) collect(q.having);
    const specs = calls.map((c) => aggregateSpec(c, rel, rowR));
    // After grouping, an element is KV<key, aggregate values>; the key holds the group key values.
    const single = keyEvals.length === 1;
    const keyed = once(`group|${rel.pc.id}|${exprKey(keys)}|${exprKey(calls)}`, () => rel.pc.apply(name('Group'), combine.perKey((row: any) => {
      if (keyEvals.length === 0) return null;
      if (single) { const v = keyEvals[0]!(row, undefined as never); return keyValue(v); }
      return keyEvals.map((f) => keyValue(f(row, undefined as never)));
    }, sqlAggregates(specs))));
    const outR: Resolver = {
      column: (e) => {
        const b = windowed ? boundOf(rel, e) : undefined;
        if (b !== undefined) return (_kv, w) => windowBound(w, b, sql, e.at);
        throw err('SQL_UNKNOWN_COLUMN', `column '${e.table ? `${e.table}.` : ''}${e.name}' must appear in GROUP BY or be used in an aggregate`, e.at);
      },
      replace: (e) => {
        const k = keys.findIndex((x) => sameExpr(x, e));
        if (k >= 0) return single ? (g: KV<unknown, unknown[]>) => fromKey(g.key) : (g: KV<unknown[], unknown[]>) => fromKey(g.key[k]);
        const a = calls.findIndex((x) => sameExpr(x, e));
        if (a >= 0) return (g: KV<unknown, unknown[]>) => g.value[a];
        if (e.kind === 'call' && e.name in WINDOW_BOUNDS) {
          if (!beamWindow || e.name.split('_')[0] !== beamWindow.name) throw err('SQL_UNSUPPORTED', `${e.name.toUpperCase()} needs GROUP BY ${e.name.split('_')[0]!.toUpperCase()}(…)`, e.at);
          const b = WINDOW_BOUNDS[e.name]!;
          return (_g, w) => windowBound(w, b, sql, e.at);
        }
        if (e.kind === 'column' && windowed) {
          const b = boundOf(rel, e);
          if (b !== undefined) return (_g, w) => windowBound(w, b, sql, e.at);
        }
        return undefined;
      },
      noAggregates: '',
    };
    const having = q.having ? predicate(compileGuarded(q.having, outR, sql)) : undefined;
    for (const i of q.items) if (i.kind === 'star') throw err('SQL_UNSUPPORTED', 'SELECT * with GROUP BY', i.at, 'name the grouped columns and aggregates');
    const boundExpr = (e: Expr): 'start' | 'end' | 'time' | undefined => {
      if (e.kind === 'call' && e.name in WINDOW_BOUNDS) return WINDOW_BOUNDS[e.name];
      return windowed ? boundOf(rel, e) : undefined;
    };
    const { build, columns, boundColumns } = selectList(q.items, rel, outR, boundExpr, top);
    const pc = keyed.apply(name('Select'), parDo<KV<unknown, unknown[]>, Record<string, unknown>>({
      process(g, ctx) {
        if (having !== undefined && !having(g, ctx.window)) return;
        ctx.output(build(g, ctx.window));
      },
    }));
    const perWindow = windowed && keys.length === 0;
    return { pc, tuple: false, sqlWindowed: rel.sqlWindowed, perWindow, timedByWindow: windowed, entries: [{ alias: '', columns, windowColumns: false, boundColumns, boundsVirtual: !top }] };
  };

  const out = select(query, true);
  if (!(out.pc instanceof PCollection)) throw new PipelineValidationError(`${step}: the plan has no output`);
  return out.pc;
}

/** Group key values: timestamps travel as tagged numbers (keys must encode deterministically), and come back as Dates. */
function keyValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof Date) return { $ts: v.getTime() };
  return v;
}
function fromKey(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && '$ts' in v) return new Date((v as { $ts: number }).$ts);
  return v;
}

