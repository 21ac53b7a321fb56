import { PCollection, type PTransform, type Sink, type SinkSpec } from '../model/index.ts';

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
export function writeTo<T>(sink: Sink<T, unknown>): PTransform<PCollection<T>, SinkDone> {
  return {
    name: 'WriteTo',
    primitive: true,
    expand(input, stepName) {
      const node = input.graph.addNode<SinkSpec>({ name: stepName, kind: 'sink', spec: { kind: 'sink', sink: sink as Sink<unknown, unknown> }, inputs: [input.id], outputs: [] });
      return { step: node.name };
    },
  };
}

/**
 * Like `writeTo`, with what the sink's flushes report (e.g. the files each bundle became) as an output collection.
 * @example
 *   const files = rows.apply(writeToWithResults(bundleFileSink));
 */
export function writeToWithResults<T, R>(sink: Sink<T, R>): PTransform<PCollection<T>, PCollection<R>> {
  return {
    name: 'WriteTo',
    primitive: true,
    expand(input, stepName) {
      const node = input.graph.addNode<SinkSpec>({
        name: stepName,
        kind: 'sink',
        spec: { kind: 'sink', sink: sink as Sink<unknown, unknown> },
        inputs: [input.id],
        outputs: [{ tag: 'main', windowing: input.windowing, bounded: input.bounded }],
      });
      return new PCollection<R>(input.graph, node.outputs.get('main')!);
    },
  };
}
