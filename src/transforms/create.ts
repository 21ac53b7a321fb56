import type { Coder, Instant, PCollection, Pipeline, PTransform } from '../model/index.ts';
import { InMemorySource } from './in-memory-source.ts';
import { read } from './read.ts';

/**
 * A bounded collection of the given values, in the global window with the minimum timestamp.
 * @example p.apply(create(['a', 'b', 'c']))
 */
export function create<T>(values: Iterable<T>, opts: { batchSize?: number; coder?: Coder<T> } = {}): PTransform<Pipeline, PCollection<T>> {
  const list = Array.from(values);
  const r = read(new InMemorySource(list, undefined, opts.batchSize), 'Create');
  if (!opts.coder) return r;
  const coder = opts.coder;
  return { name: 'Create', primitive: true, expand: (p, name) => r.expand(p, name).withCoder(coder) };
}

/** Like `create`, with an event timestamp per value. */
export function createTimestamped<T>(elements: Iterable<{ value: T; timestamp: Instant }>, opts: { batchSize?: number } = {}): PTransform<Pipeline, PCollection<T>> {
  const list = Array.from(elements);
  return read(
    new InMemorySource(
      list.map((e) => e.value),
      list.map((e) => e.timestamp),
      opts.batchSize,
    ),
    'Create',
  );
}
