// Test kit: runs a CombineFn the way an engine may — inputs split into bundles in any way, accumulators
// compacted, then merged in groups of any size and order — so property tests can compare with a direct fold.
import fc from 'fast-check';
import type { CombineFn } from './combine-fn.ts';

/** How to split and merge: a partition per input, and a sequence of (start, width) choices for merge groups. */
export interface Plan {
  partitions: number;
  assignment: number[];
  merges: Array<[number, number]>;
  compact: boolean;
}

export function planArb(maxPartitions = 6): fc.Arbitrary<Plan> {
  return fc.record({
    partitions: fc.integer({ min: 1, max: maxPartitions }),
    assignment: fc.array(fc.nat(), { maxLength: 2000 }),
    merges: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 2, max: 4 })), { maxLength: 10 }),
    compact: fc.boolean(),
  });
}

/** Combines `inputs` split and merged according to `plan`. */
export function combineWithPlan<I, A, O>(fn: CombineFn<I, A, O>, inputs: readonly I[], plan: Plan): O {
  let accs: A[] = Array.from({ length: plan.partitions }, () => fn.createAccumulator());
  inputs.forEach((x, i) => {
    const p = (plan.assignment[i] ?? i) % plan.partitions;
    accs[p] = fn.addInput(accs[p], x);
  });
  if (plan.compact && fn.compact) accs = accs.map((a) => fn.compact!(a));
  let step = 0;
  while (accs.length > 1) {
    const [start, width] = plan.merges[step++ % Math.max(1, plan.merges.length)] ?? [0, accs.length];
    const from = start % accs.length;
    const group = accs.splice(from, Math.min(width, accs.length - from));
    const merged = fn.mergeAccumulators(group);
    accs.splice(from, 0, merged);
    if (group.length === 1 && accs.length > 1) {
      // A one-element group makes no progress: merge everything instead.
      accs = [fn.mergeAccumulators(accs)];
    }
  }
  return fn.extractOutput(fn.mergeAccumulators(accs));
}

/** Combines `inputs` in one accumulator, in order. */
export function combineDirect<I, A, O>(fn: CombineFn<I, A, O>, inputs: readonly I[]): O {
  let acc = fn.createAccumulator();
  for (const x of inputs) acc = fn.addInput(acc, x);
  return fn.extractOutput(acc);
}
