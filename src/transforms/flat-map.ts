import { elementWise, type ElementWise } from './element-wise.ts';

/**
 * Zero or more outputs per element.
 * @example lines.apply(flatMap((l: string) => l.split(' ')))
 */
export function flatMap<I, O>(fn: (value: I) => Iterable<O>, name = 'FlatMap'): ElementWise<I, O> {
  return elementWise<I, O>(name, { kind: 'flatMap', fn });
}
