/**
 * Plans a parsed streaming SQL query into Riffle transforms (no DuckDB at run time):
 *
 * - a window table function (`TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL …))`, HOP, SESSION) or Beam SQL's
 *   `GROUP BY TUMBLE(ts, …)` sets event time from the column (withTimestamps) and windows the rows (window.into,
 *   with the EMIT clause's trigger); window_start/window_end/window_time read the element's window;
 * - WHERE and the SELECT list are one parDo; GROUP BY with aggregates is one combine.perKey (all aggregates in one
 *   CombineFn, lifted before the shuffle) then a parDo for HAVING and the SELECT list;
 * - joins: join-planner.ts (side inputs, window joins, joins of two streams in keyed state);
 * - window functions (OVER with a ROWS frame) per partition in keyed state: over-window.ts.
 *
 * Rows are plain objects; joined rows are arrays with one object per FROM item (null for LEFT JOIN misses).
 */
import { PCollection, PipelineValidationError, triggers, windowFns, type BoundedWindow, type KV, type Trigger, type WindowFn, type WindowingOptions } from '../../model/index.ts';
import { combine, parDo, windowInto, withTimestamps } from '../../transforms/index.ts';
import { SqlError } from '../sql-error.ts';
import type { Emit, Expr, FromItem, Select, SelectItem } from './ast.ts';
import { sqlAggregates, type AggregateKind, type AggregateSpec } from './aggregates.ts';
import { conjunctsOf, planJoin } from './join-planner.ts';
import { overWindow } from './over-window.ts';
import { VIRTUAL, type Entry, type PlanScope, type Relation } from './relation.ts';
import {
  AGGREGATES as AGGREGATE_NAMES, compileGuarded, exprKey, hasAggregate, isAggregateCall, predicate, sameExpr, TWO_ARG_AGGREGATES, walk, windowBound, WINDOW_BOUNDS, WINDOW_GROUPS,
  type CallExpr, type ColumnExpr, type Eval, type Resolver,
} from './expressions.ts';

/** An input of the query: its collection and, when declared, its columns. */
export interface PlanInput {
  readonly collection: PCollection<any>;
  readonly columns: readonly string[] | undefined;
}


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

  const scope: PlanScope = { sql, name, err, resolveEntry, rowResolver, boundOf, spelling };

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

  // ---- SELECT ----
  const select = (q: Select, top: boolean): Relation => {
    const beamWindow = q.groupBy.find((g): g is CallExpr => g.kind === 'call' && WINDOW_GROUPS.has(g.name));
    let rel = fromItem(q.from, beamWindow ? undefined : q.emit);
    for (const j of q.joins) {
      if (j.item.kind === 'window' && q.emit) throw err('SQL_UNSUPPORTED', 'EMIT with a window function inside a join', j.at);
      rel = planJoin(scope, rel, fromItem(j.item, undefined), j.kind, j.on, j.at, conjunctsOf(q.where));
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

