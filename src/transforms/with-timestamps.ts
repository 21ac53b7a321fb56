import { PCollection, parseDuration, type AssignTimestampsSpec, type DurationLike, type ErrorRecord, type Instant, type PTransform } from '../model/index.ts';

/**
 * Sets each element's event timestamp from the element. Moving a timestamp earlier than the current one by more than
 * `allowedSkew` is an error (as in Beam: it could make on-time data late). Elements from bounded sources have the
 * minimum timestamp, so any timestamp is allowed for them.
 * @example events.apply(withTimestamps((e: Event) => Date.parse(e.time)))
 */
export function withTimestamps<T>(fn: (value: T) => Instant, opts: { allowedSkew?: DurationLike; name?: string } = {}): WithTimestamps<T> {
  const name = opts.name ?? 'WithTimestamps';
  const allowedSkew = parseDuration(opts.allowedSkew ?? 0, 'withTimestamps allowedSkew');
  const expand = (input: PCollection<T>, stepName: string, withErrors: boolean) => {
    const outputs = [{ tag: 'main', windowing: input.windowing, bounded: input.bounded }];
    if (withErrors) outputs.push({ tag: 'errors', windowing: input.windowing, bounded: input.bounded });
    return input.graph.addNode<AssignTimestampsSpec>({
      name: stepName,
      kind: 'assignTimestamps',
      spec: { kind: 'assignTimestamps', fn: (v: T) => fn(v), allowedSkew, ...(withErrors ? { errorTag: 'errors' } : {}) },
      inputs: [input.id],
      outputs,
    });
  };
  return {
    name,
    primitive: true,
    expand: (input, stepName) => new PCollection<T>(input.graph, expand(input, stepName, false).outputs.get('main')!),
    withErrors: () => ({
      name,
      primitive: true,
      expand: (input, stepName) => {
        const node = expand(input, stepName, true);
        return { main: new PCollection<T>(input.graph, node.outputs.get('main')!), errors: new PCollection<ErrorRecord<T>>(input.graph, node.outputs.get('errors')!) };
      },
    }),
  };
}

export interface WithTimestamps<T> extends PTransform<PCollection<T>, PCollection<T>> {
  /** Elements whose timestamp function throws (or returns a non-finite or too-early timestamp) go to `errors`. */
  withErrors(): PTransform<PCollection<T>, { main: PCollection<T>; errors: PCollection<ErrorRecord<T>> }>;
}
