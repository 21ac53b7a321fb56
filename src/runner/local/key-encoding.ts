import { excerpt, RiffleError } from '../../model/index.ts';

/**
 * Keys of grouping and state must compare by value. Primitives are used as Map keys directly (a JS Map compares them
 * by value, and 1 and '1' stay distinct); plain objects and arrays are encoded to a canonical string (sorted object
 * keys) behind a NUL prefix no primitive string key is likely to start with. Anything else (functions, Maps, class
 * instances, symbols) has no deterministic encoding and is rejected, naming the step.
 */
export type EncodedKey = string | number | boolean | bigint | null | undefined;

export function encodeKey(key: unknown, step: string): EncodedKey {
  switch (typeof key) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return key;
    case 'object':
      if (key === null) return null;
      return '\u0000' + canonical(key, step);
    default:
      throw nonDeterministic(key, step);
  }
}

function canonical(value: unknown, step: string): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function' || typeof value === 'symbol') throw nonDeterministic(value, step);
    if (typeof value === 'bigint') return `${value}n`;
    if (value === undefined) return 'u';
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v, step)).join(',')}]`;
  if (value instanceof Date) return `D${value.getTime()}`;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw nonDeterministic(value, step);
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k], step)}`).join(',')}}`;
}

function nonDeterministic(key: unknown, step: string): RiffleError {
  const what = typeof key === 'object' && key !== null ? (key.constructor?.name ?? 'object') : typeof key;
  return new RiffleError('KEY_NOT_DETERMINISTIC', `step '${step}' got a key of type ${what} (${excerpt(key, 80)}), which has no deterministic encoding`, {
    context: { step, element: key },
    hint: 'key by a string, number, boolean, or a plain object/array of those',
  });
}
