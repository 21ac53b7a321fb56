/**
 * Joins of the streaming SQL subset (called by planner.ts for each JOIN):
 *
 * - the other side is read as a side input when it is bounded in the global window (a table) or a per-window
 *   aggregate of the same windows (one row per window, as Beam's Nexmark Q5/Q7); equi-conditions index the side rows
 *   once per side value;
 * - two streams windowed alike, with window_start = window_start in ON, join per window and key (coGroupByKey);
 * - two streams in the global window join in keyed state (stream-join.ts), on at least one key equality;
 * - WHERE conjuncts that read one side of an inner join also filter that side first.
 *
 * Joined rows are arrays with one object per FROM item (null for LEFT JOIN misses).
 */
import type { BoundedWindow, KV, PCollection } from '../../model/index.ts';
import { coGroupByKey, parDo, view } from '../../transforms/index.ts';
import type { Expr } from './ast.ts';
import { compileGuarded, hasAggregate, isAggregateCall, keyOf, predicate, singleKey, walk, type Eval } from './expressions.ts';
import type { PlanScope, Relation } from './relation.ts';
import { streamJoin } from './stream-join.ts';

/** The conjuncts of an AND chain. */
export function conjunctsOf(e: Expr | undefined): Expr[] {
  return e === undefined ? [] : e.kind === 'binary' && e.op === 'and' ? [...conjunctsOf(e.left), ...conjunctsOf(e.right)] : [e];
}

/** `leftIn [INNER|LEFT] JOIN rightIn ON on`, with the query's WHERE conjuncts (pushed to one side where they can be). */
export function planJoin(scope: PlanScope, leftIn: Relation, rightIn: Relation, kind: 'inner' | 'left', on: Expr | undefined, at: number, where: readonly Expr[]): Relation {
  const { sql, name, err, resolveEntry, rowResolver, boundOf, spelling } = scope;
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

  return join(leftIn, rightIn, kind, on, at, where);
}
