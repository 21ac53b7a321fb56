/**
 * The aggregates of one grouped SELECT as one CombineFn (so the runner lifts all of them before its shuffle together):
 * COUNT(*), COUNT(x), COUNT(DISTINCT x), SUM, AVG, MIN, MAX, each with an optional FILTER (WHERE …). NULL inputs are
 * skipped, as SQL does; SUM/AVG/MIN/MAX of no value are NULL, COUNT of none is 0. Accumulators are plain arrays of
 * numbers, strings and objects (they cross workers through the default coder).
 */
import { GlobalWindow, type BoundedWindow } from '../../model/index.ts';
import type { CombineFn } from '../../transforms/index.ts';
import { compare, keyPart, type Eval } from './expressions.ts';

export type AggregateKind = 'countStar' | 'count' | 'countDistinct' | 'sum' | 'avg' | 'min' | 'max';

export interface AggregateSpec {
  readonly kind: AggregateKind;
  readonly arg: Eval | undefined;
  readonly filter: Eval | undefined;
}

const NO_WINDOW: BoundedWindow = GlobalWindow.INSTANCE;

/** Slot accumulators: countStar/count → number; countDistinct → { [key]: value }; sum → number | null; avg → [sum, n]; min/max → value | null. */
type Slot = unknown;

/** A CombineFn from rows to the array of the aggregates' values. */
export function sqlAggregates(specs: readonly AggregateSpec[]): CombineFn<unknown, Slot[], unknown[]> {
  const n = specs.length;
  const kinds = specs.map((s) => s.kind);
  const args = specs.map((s) => s.arg);
  const filters = specs.map((s) => s.filter);
  const add = (acc: Slot[], i: number, v: unknown): void => {
    switch (kinds[i]) {
      case 'countStar': acc[i] = (acc[i] as number) + 1; return;
      case 'count': if (v !== null && v !== undefined) acc[i] = (acc[i] as number) + 1; return;
      case 'countDistinct': if (v !== null && v !== undefined) (acc[i] as Record<string, unknown>)[keyPart(v)] = 1; return;
      case 'sum': if (v !== null && v !== undefined) acc[i] = acc[i] === null ? v : sum(acc[i], v); return;
      case 'avg': if (v !== null && v !== undefined) { const a = acc[i] as [number, number]; a[0] += Number(v); a[1]++; } return;
      case 'min': if (v !== null && v !== undefined && (acc[i] === null || compare(v, acc[i])! < 0)) acc[i] = v; return;
      case 'max': if (v !== null && v !== undefined && (acc[i] === null || compare(v, acc[i])! > 0)) acc[i] = v; return;
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
