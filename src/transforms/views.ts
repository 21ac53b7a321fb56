import { PCollectionView, PipelineValidationError, type KV, type PCollection, type PTransform, type ViewInfo, type ViewSpec } from '../model/index.ts';

function viewOf<T, V>(kind: ViewInfo['kind'], name: string, opts: { hasDefault: boolean; defaultValue?: unknown }): PTransform<PCollection<T>, PCollectionView<V>> {
  return {
    name,
    primitive: true,
    expand(input, stepName) {
      if (input.windowing.windowFn.isMerging) {
        throw new PipelineValidationError(`${stepName}: a side input cannot use merging windows (${input.windowing.windowFn.describe()})`, {
          hint: 'window the side input with global, fixed or sliding windows',
        });
      }
      const info = input.graph.addView({ name: stepName, collection: input.id, kind, hasDefault: opts.hasDefault, defaultValue: opts.defaultValue });
      input.graph.addNode<ViewSpec>({ name: stepName, kind: 'view', spec: { kind: 'view', viewId: info.id }, inputs: [input.id], outputs: [] });
      return new PCollectionView<V>(input.graph, info);
    },
  };
}

/**
 * Side-input views. In a DoFn, a view is read in the window that the main input's window maps to (for global side
 * inputs: the global window); the main input waits until that side window is ready (its watermark passed it, or it
 * has data).
 * @example
 *   const segments = segmentRows.apply(view.asMap<string, string>());
 *   events.apply(parDo({ sideInputs: { segments }, process(e, ctx) { ctx.output({ ...e, segment: ctx.side.segments.get(e.user) ?? 'unknown' }) } }))
 */
export const view = {
  /** Exactly one element per window; `default` is used when the window is empty (otherwise that is an error). */
  asSingleton<T>(opts: { default?: T } = {}): PTransform<PCollection<T>, PCollectionView<T>> {
    return viewOf<T, T>('singleton', 'AsSingleton', { hasDefault: 'default' in opts, defaultValue: opts.default });
  },
  asIterable<T>(): PTransform<PCollection<T>, PCollectionView<readonly T[]>> {
    return viewOf<T, readonly T[]>('iterable', 'AsIterable', { hasDefault: false });
  },
  /** A map from key to value; a key that appears twice in a window is an error. */
  asMap<K, V>(): PTransform<PCollection<KV<K, V>>, PCollectionView<ReadonlyMap<K, V>>> {
    return viewOf<KV<K, V>, ReadonlyMap<K, V>>('map', 'AsMap', { hasDefault: false });
  },
  asMultimap<K, V>(): PTransform<PCollection<KV<K, V>>, PCollectionView<ReadonlyMap<K, readonly V[]>>> {
    return viewOf<KV<K, V>, ReadonlyMap<K, readonly V[]>>('multimap', 'AsMultimap', { hasDefault: false });
  },
};
