import { PCollection, type ErrorRecord, type FilterSpec, type FlatMapSpec, type MapSpec, type PTransform } from '../model/index.ts';

/** The outputs of a step with an error output. */
export interface WithErrors<O, I> {
  main: PCollection<O>;
  errors: PCollection<ErrorRecord<I>>;
}

/** A stateless element-wise transform; `.withErrors()` routes elements whose function throws to an error output. */
export interface ElementWise<I, O> extends PTransform<PCollection<I>, PCollection<O>> {
  withErrors(): PTransform<PCollection<I>, WithErrors<O, I>>;
}

/** The one builder behind map, flatMap and filter: each adds a single fused, stateless node. */
export function elementWise<I, O>(name: string, spec: MapSpec | FlatMapSpec | FilterSpec): ElementWise<I, O> {
  const expand = (input: PCollection<I>, stepName: string, withErrors: boolean) => {
    const outputs = [{ tag: 'main', windowing: input.windowing, bounded: input.bounded }];
    if (withErrors) outputs.push({ tag: 'errors', windowing: input.windowing, bounded: input.bounded });
    const node = input.graph.addNode({
      name: stepName,
      kind: spec.kind,
      spec: withErrors ? { ...spec, errorTag: 'errors' } : spec,
      inputs: [input.id],
      outputs,
    });
    return node;
  };
  return {
    name,
    primitive: true,
    expand: (input, stepName) => new PCollection<O>(input.graph, expand(input, stepName, false).outputs.get('main')!),
    withErrors: () => ({
      name,
      primitive: true,
      expand: (input, stepName) => {
        const node = expand(input, stepName, true);
        return {
          main: new PCollection<O>(input.graph, node.outputs.get('main')!),
          errors: new PCollection<ErrorRecord<I>>(input.graph, node.outputs.get('errors')!),
        };
      },
    }),
  };
}
