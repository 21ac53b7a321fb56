/**
 * The aggregates of one grouped SELECT as one CombineFn (so the runner lifts all of them before its shuffle together):
 * COUNT(*), COUNT(x), COUNT(DISTINCT x), SUM, AVG, MIN, MAX, ARG_MAX/ARG_MIN (arg at the greatest/least val; among
 * equal vals the least arg, so that the result does not depend on arrival order), each with an optional FILTER
 * (WHERE …). NULL inputs are
 * skipped, as SQL does; SUM/AVG/MIN/MAX of no value are NULL, COUNT of none is 0. Accumulators are plain arrays of
 * numbers, strings and objects (they cross workers through the default coder).
 */
import { GlobalWindow, type BoundedWindow } from '../../model/index.ts';
import type { CombineFn } from '../../transforms/index.ts';
import { compare, keyPart, type Eval } from './expressions.ts';

export type AggregateKind = 'countStar' | 'count' | 'countDistinct' | 'sum' | 'avg' | 'min' | 'max' | 'argMax' | 'argMin';

export interface AggregateSpec {
  readonly kind: AggregateKind;
  readonly arg: Eval | undefined;
  /** ARG_MAX/ARG_MIN: the value compared (arg is what is returned). */
  readonly by?: Eval | undefined;
  readonly filter: Eval | undefined;
}

const NO_WINDOW: BoundedWindow = GlobalWindow.INSTANCE;

/** Slot accumulators: countStar/count → number; countDistinct → { [key]: value }; sum → number | null; avg → [sum, n]; min/max → value | null; argMax/argMin → [val, arg] | null. */
type Slot = unknown;

/**
 * One COUNT, SUM, MIN or MAX without FILTER: a scalar accumulator (a small integer for COUNT(*): nothing allocated per
 * group but the output's one-element array), as the built-in combine functions have.
 */
function single(spec: AggregateSpec): CombineFn<unknown, any, unknown[]> | undefined {
  const arg = spec.arg;
  const merge = (accs: any[], fold: (a: any, b: any) => any, empty: unknown) => {
    let out = empty;
    for (let i = 0; i < accs.length; i++) out = fold(out, accs[i]);
    return out;
  };
  if (spec.filter !== undefined) return undefined;
  switch (spec.kind) {
    case 'countStar':
      return { name: 'sqlCount', createAccumulator: () => 0, addInput: (acc: number) => acc + 1, mergeAccumulators: (accs) => merge(accs, (a, b) => a + b, 0), extractOutput: (acc) => [acc] };
    case 'count':
      return { name: 'sqlCount', createAccumulator: () => 0, addInput: (acc: number, row) => { const v = arg!(row, NO_WINDOW); return v === null || v === undefined ? acc : acc + 1; }, mergeAccumulators: (accs) => merge(accs, (a, b) => a + b, 0), extractOutput: (acc) => [acc] };
    case 'sum': {
      const fold = (a: unknown, v: unknown) => (v === null || v === undefined ? a : a === null ? v : sum(a, v));
      return { name: 'sqlSum', createAccumulator: () => null, addInput: (acc, row) => fold(acc, arg!(row, NO_WINDOW)), mergeAccumulators: (accs) => merge(accs, fold, null), extractOutput: (acc) => [acc] };
    }
    case 'min': case 'max': {
      const sign = spec.kind === 'min' ? -1 : 1;
      const fold = (a: unknown, v: unknown) => {
        if (v === null || v === undefined) return a;
        if (a === null) return v;
        if (typeof a === 'number' && typeof v === 'number') return sign > 0 ? (v > a ? v : a) : (v < a ? v : a);
        return compare(v, a)! * sign > 0 ? v : a;
      };
      return { name: `sql${spec.kind}`, createAccumulator: () => null, addInput: (acc, row) => fold(acc, arg!(row, NO_WINDOW)), mergeAccumulators: (accs) => merge(accs, fold, null), extractOutput: (acc) => [acc] };
    }
    default:
      return undefined;
  }
}

/** A CombineFn from rows to the array of the aggregates' values. */
export function sqlAggregates(specs: readonly AggregateSpec[]): CombineFn<unknown, Slot[], unknown[]> {
  const one = specs.length === 1 ? single(specs[0]!) : undefined;
  if (one !== undefined) return one;
  const n = specs.length;
  const kinds = specs.map((s) => s.kind);
  const args = specs.map((s) => s.arg);
  const bys = specs.map((s) => s.by);
  const filters = specs.map((s) => s.filter);
  /** Whether [val, arg] b beats the accumulator's a (ARG_MAX: greater val; ARG_MIN: smaller; ties: smaller arg). */
  const beats = (i: number, a: [unknown, unknown] | null, b: [unknown, unknown]): boolean => {
    if (a === null) return true;
    const c = compare(b[0], a[0])!;
    if (c !== 0) return kinds[i] === 'argMax' ? c > 0 : c < 0;
    const d = compare(b[1], a[1]);
    return d !== null && d < 0;
  };
  const add = (acc: Slot[], i: number, v: unknown): void => {
    switch (kinds[i]) {
      case 'countStar': acc[i] = (acc[i] as number) + 1; return;
      case 'count': if (v !== null && v !== undefined) acc[i] = (acc[i] as number) + 1; return;
      case 'countDistinct': if (v !== null && v !== undefined) (acc[i] as Record<string, unknown>)[keyPart(v)] = 1; return;
      case 'sum': if (v !== null && v !== undefined) acc[i] = acc[i] === null ? v : sum(acc[i], v); return;
      case 'avg': if (v !== null && v !== undefined) { const a = acc[i] as [number, number]; a[0] += Number(v); a[1]++; } return;
      case 'min': if (v !== null && v !== undefined && (acc[i] === null || compare(v, acc[i])! < 0)) acc[i] = v; return;
      case 'max': if (v !== null && v !== undefined && (acc[i] === null || compare(v, acc[i])! > 0)) acc[i] = v; return;
      case 'argMax': case 'argMin': {
        const pair = v as [unknown, unknown] | null;
        if (pair !== null && beats(i, acc[i] as [unknown, unknown] | null, pair)) acc[i] = pair;
      }
    }
  };
  const merge = (into: Slot[], from: Slot[], i: number): void => {
    const v = from[i];
    switch (kinds[i]) {
      case 'countStar': case 'count': into[i] = (into[i] as number) + (v as number); return;
      case 'countDistinct': Object.assign(into[i] as object, v as object); return;
      case 'sum': if (v !== null) into[i] = into[i] === null ? v : sum(into[i], v); return;
      case 'avg': { const a = into[i] as [number, number]; const b = v as [number, number]; a[0] += b[0]; a[1] += b[1]; return; }
      default: add(into, i, v);
    }
  };
  const create = (): Slot[] => {
    const acc = new Array<Slot>(n);
    for (let i = 0; i < n; i++) {
      const k = kinds[i];
      acc[i] = k === 'countStar' || k === 'count' ? 0 : k === 'countDistinct' ? {} : k === 'avg' ? [0, 0] : null;
    }
    return acc;
  };
  return {
    name: 'sqlAggregates',
    createAccumulator: create,
    addInput(acc, row) {
      for (let i = 0; i < n; i++) {
        const f = filters[i];
        if (f !== undefined && f(row, NO_WINDOW) !== true) continue;
        const a = args[i];
        const by = bys[i];
        if (by !== undefined) {
          // ARG_MAX(arg, val): rows whose val or arg is NULL are skipped (as DuckDB does).
          const val = by(row, NO_WINDOW);
          const arg = a!(row, NO_WINDOW);
          if (val !== null && val !== undefined && arg !== null && arg !== undefined) add(acc, i, [val, arg]);
          continue;
        }
        add(acc, i, a === undefined ? 1 : a(row, NO_WINDOW));
      }
      return acc;
    },
    mergeAccumulators(accs) {
      const out = accs.length > 0 ? accs[0]! : create();
      for (let j = 1; j < accs.length; j++) for (let i = 0; i < n; i++) merge(out, accs[j]!, i);
      return out;
    },
    extractOutput(acc) {
      return acc.map((v, i) => {
        switch (kinds[i]) {
          case 'countDistinct': return Object.keys(v as object).length;
          case 'avg': { const [s, c] = v as [number, number]; return c === 0 ? null : s / c; }
          case 'argMax': case 'argMin': return v === null ? null : (v as [unknown, unknown])[1];
          default: return v;
        }
      });
    },
  };
}

function sum(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' || typeof b === 'bigint') return BigInt(a as bigint) + BigInt(b as bigint);
  if (typeof a !== 'number' || typeof b !== 'number') throw new TypeError(`SUM of a ${typeof (typeof a === 'number' ? b : a)} value`);
  return a + b;
}
