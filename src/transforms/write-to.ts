import type { PCollection, PTransform, Sink, SinkSpec } from '../model/index.ts';

/** What writing to a sink returns: nothing to chain, the step's name for reports. */
export interface SinkDone {
  readonly step: string;
}

/**
 * Writes a collection to a sink that the engine awaits (model/sink.ts): elements are buffered synchronously, the
 * sink's asynchronous flush runs between bundles and its finish (commit) once the input ended.
 * @example
 *   events.apply(writeTo(mySink));
 */
export function writeTo<T>(sink: Sink<T>): PTransform<PCollection<T>, SinkDone> {
  return {
    name: 'WriteTo',
    primitive: true,
    expand(input, stepName) {
      const node = input.graph.addNode<SinkSpec>({ name: stepName, kind: 'sink', spec: { kind: 'sink', sink: sink as Sink<unknown> }, inputs: [input.id], outputs: [] });
      return { step: node.name };
    },
  };
}
