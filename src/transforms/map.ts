import { elementWise, type ElementWise } from './element-wise.ts';

/**
 * One output per element.
 * @example words.apply(map((w: string) => w.length))
 */
export function map<I, O>(fn: (value: I) => O, name = 'Map'): ElementWise<I, O> {
  return elementWise<I, O>(name, { kind: 'map', fn });
}
