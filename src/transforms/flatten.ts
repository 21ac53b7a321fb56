import { PCollection, PipelineValidationError, type FlattenSpec, type PTransform } from '../model/index.ts';

/**
 * Merges collections of the same type and compatible windowing into one.
 * @example flatten(a, b, c)  // or: flatten<T>().expand([a, b])
 */
export function flatten<T>(...collections: PCollection<T>[]): PCollection<T> {
  if (collections.length === 0) throw new PipelineValidationError('flatten needs at least one collection');
  return collections[0]!.apply(flattenWith<T>(collections.slice(1)));
}

/** Flatten as a transform applied to the first collection: `a.apply(flattenWith([b, c]))`. */
export function flattenWith<T>(others: PCollection<T>[], name = 'Flatten'): PTransform<PCollection<T>, PCollection<T>> {
  return {
    name,
    primitive: true,
    expand(first, stepName) {
      const all = [first, ...others];
      const w = first.windowing.windowFn.describe();
      for (const c of all) {
        if (c.graph !== first.graph) throw new PipelineValidationError(`flatten '${stepName}': collections come from different pipelines`);
        if (c.windowing.windowFn.describe() !== w) {
          throw new PipelineValidationError(`flatten '${stepName}': incompatible windowing, ${w} vs ${c.windowing.windowFn.describe()} (${c.name})`, {
            hint: 'window all inputs with the same window function before flattening',
          });
        }
      }
      const node = first.graph.addNode<FlattenSpec>({
        name: stepName,
        kind: 'flatten',
        spec: { kind: 'flatten' },
        inputs: all.map((c) => c.id),
        outputs: [{ tag: 'main', windowing: first.windowing, bounded: all.every((c) => c.bounded) }],
      });
      return new PCollection<T>(first.graph, node.outputs.get('main')!);
    },
  };
}
