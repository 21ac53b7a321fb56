import { PipelineValidationError, type PCollection, type PTransform } from '../model/index.ts';
import { parDo, tag, type OutputTag } from './par-do.ts';

/**
 * Splits a collection into `n` by a function returning the partition index in [0, n).
 * @example const [small, large] = orders.apply(partition(2, (o: Order) => (o.total > 100 ? 1 : 0)))
 */
export function partition<T>(n: number, fn: (value: T, n: number) => number, name = 'Partition'): PTransform<PCollection<T>, PCollection<T>[]> {
  if (!Number.isInteger(n) || n < 1) throw new PipelineValidationError(`partition: n must be a positive integer, got ${n}`);
  return {
    name,
    expand(input) {
      const outputs: Record<string, OutputTag<T>> = {};
      for (let i = 1; i < n; i++) outputs[`p${i}`] = tag<T>();
      const tags = Object.keys(outputs);
      const result = input.apply(
        parDo(
          {
            outputs,
            process(value: T, ctx) {
              const i = fn(value, n);
              if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`partition function returned ${i}; expected an integer in [0, ${n})`);
              if (i === 0) ctx.output(value);
              else ctx.outputTo(tags[i - 1]!, value);
            },
          },
          'Split',
        ),
      ) as unknown as Record<string, PCollection<T>>;
      if (n === 1) return [result as unknown as PCollection<T>];
      return [result.main!, ...tags.map((t) => result[t]!)];
    },
  };
}
