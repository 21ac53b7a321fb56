import { elementWise, type ElementWise } from './element-wise.ts';

/**
 * Keeps the elements for which `fn` returns true.
 * @example events.apply(filter((e: Event) => e.revenue > 0))
 */
export function filter<T>(fn: (value: T) => boolean, name = 'Filter'): ElementWise<T, T> {
  return elementWise<T, T>(name, { kind: 'filter', fn });
}
