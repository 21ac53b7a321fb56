import {
  addPrimitive,
  applyTransform,
  requireDeterministicKeys,
  GlobalWindow,
  kv,
  PCollection,
  PipelineValidationError,
  type CombinePerKeySpec,
  type KV,
  type Pipeline,
  type PTransform,
} from '../model/index.ts';
import { combineFns, type CombineFn } from './combine-fns/index.ts';
import { create } from './create.ts';
import { flattenWith } from './flatten.ts';
import { parDo } from './par-do.ts';
import { view } from './views.ts';

function combinePerKeyPrimitive<K, I, O>(fn: CombineFn<I, any, O>, name: string): PTransform<PCollection<KV<K, I>>, PCollection<KV<K, O>>> {
  return {
    name,
    primitive: true,
    expand(input, stepName) {
      requireDeterministicKeys(input, stepName);
      return addPrimitive<KV<K, O>>(input, stepName, { kind: 'combinePerKey', combineFn: fn } satisfies CombinePerKeySpec);
    },
  };
}

/** Per key (and window, and pane): the combined value. The runner lifts the combiner before the shuffle. */
function perKey<K, I, O>(fn: CombineFn<I, any, O>): PTransform<PCollection<KV<K, I>>, PCollection<KV<K, O>>>;
function perKey<T, K, O>(keyFn: (value: T) => K, fn: CombineFn<T, any, O>): PTransform<PCollection<T>, PCollection<KV<K, O>>>;
function perKey(a: any, b?: any): PTransform<PCollection<any>, PCollection<KV<any, any>>> {
  if (b === undefined) return combinePerKeyPrimitive(a as CombineFn<any, any, any>, 'CombinePerKey');
  const keyFn = a as (v: unknown) => unknown;
  const fn = b as CombineFn<any, any, any>;
  return {
    name: 'CombinePerKey',
    expand: (input) => input.map((v) => kv(keyFn(v), v), 'WithKeys').apply(combinePerKeyPrimitive(fn, 'Combine')),
  };
}

/**
 * One combined value per window over the whole collection. In the global window an empty input gives the combine
 * function's empty result (e.g. 0 for sum) unless `withoutDefaults`; other windowings need `withoutDefaults: true`
 * (an empty window has no pane to hold a default).
 */
function globally<I, O>(fn: CombineFn<I, any, O>, opts: { withoutDefaults?: boolean } = {}): PTransform<PCollection<I>, PCollection<O>> {
  return {
    name: 'CombineGlobally',
    expand(input) {
      const combined = input
        .map((v) => kv(null, v), 'WithNullKey')
        .apply(combinePerKeyPrimitive<null, I, O>(fn, 'Combine'))
        .map((e) => e.value, 'Values');
      if (opts.withoutDefaults) return combined;
      if (!input.windowing.windowFn.isGlobal) {
        throw new PipelineValidationError(`combine.globally: default values need the global window, but the input is windowed ${input.windowing.windowFn.describe()}`, {
          hint: 'use combine.globally(fn, { withoutDefaults: true })',
        });
      }
      // An empty input yields no pane; a one-element impulse reads the result as a side input and fills the gap.
      const results = combined.apply(view.asIterable<O>());
      const impulse = applyTransform(input.graph.root as Pipeline, create([null]));
      const defaults = impulse.apply(
        parDo<null, O, { results: typeof results }>(
          {
            sideInputs: { results },
            process(_n: null, ctx) {
              if (ctx.side.results.length === 0) ctx.outputWithTimestamp(fn.extractOutput(fn.createAccumulator()), GlobalWindow.INSTANCE.maxTimestamp);
            },
          },
          'DefaultIfEmpty',
        ),
      );
      return combined.apply(flattenWith([defaults]));
    },
  };
}

/** Combines the grouped values of each `KV<K, V[]>` (after a groupByKey). */
function groupedValues<K, I, O>(fn: CombineFn<I, any, O>): PTransform<PCollection<KV<K, readonly I[]>>, PCollection<KV<K, O>>> {
  return {
    name: 'CombineGroupedValues',
    primitive: false,
    expand: (input) =>
      input.map((e) => {
        let acc = fn.createAccumulator();
        for (const v of e.value) acc = fn.addInput(acc, v);
        return kv(e.key, fn.extractOutput(acc));
      }, 'Combine'),
  };
}

/**
 * Combining: `combine.perKey`, `combine.globally`, `combine.groupedValues`, and every built-in combine function
 * (`combine.sum`, `combine.count`, `combine.struct`...).
 * @example events.apply(combine.perKey((e: Event) => e.country, combine.sum((e: Event) => e.revenue)))
 */
export const combine = { ...combineFns, perKey, globally, groupedValues };
