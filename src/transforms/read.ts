import {
  GLOBAL_WINDOWING,
  PCollection,
  type ErrorRecord,
  type Pipeline,
  type PTransform,
  type ReadSpec,
  type Source,
} from '../model/index.ts';

/** Output of a read with an error output: the records, and the ones that could not be decoded. */
export interface ReadWithErrors<T> {
  main: PCollection<T>;
  errors: PCollection<ErrorRecord<string>>;
}

/**
 * Reads a Source. Records the source cannot decode go to the read's error output: with `.withErrors()` you get it as a
 * collection; otherwise they go to the job's dead-letter output (reported in the result), and the job goes on.
 */
export interface ReadTransform<T> extends PTransform<Pipeline, PCollection<T>> {
  withErrors(): PTransform<Pipeline, ReadWithErrors<T>>;
}

export function read<T>(source: Source<T>, name = 'Read'): ReadTransform<T> {
  const expand = (p: Pipeline, stepName: string) => {
    const bounded = source.kind === 'bounded';
    const node = p.graph.addNode<ReadSpec>({
      name: stepName,
      kind: 'read',
      spec: { kind: 'read', source: source as Source<unknown> },
      inputs: [],
      outputs: [
        { tag: 'main', windowing: GLOBAL_WINDOWING, bounded },
        { tag: 'errors', windowing: GLOBAL_WINDOWING, bounded },
      ],
    });
    return {
      main: new PCollection<T>(p.graph, node.outputs.get('main')!),
      errors: new PCollection<ErrorRecord<string>>(p.graph, node.outputs.get('errors')!),
    };
  };
  return {
    name,
    primitive: true,
    expand: (p, stepName) => expand(p, stepName).main,
    withErrors: () => ({ name, primitive: true, expand }),
  };
}
