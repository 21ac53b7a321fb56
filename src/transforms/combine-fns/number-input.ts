/**
 * The error a combiner throws when an input is not of the kind it combines (a string where `sum` needs a number:
 * CSV columns read without types, a missing field). The engine adds the step and the element (StepFailedError).
 */
export class CombineInputError extends TypeError {
  constructor(combiner: string, expected: string, value: unknown) {
    super(`${combiner} expects ${expected}, got ${describeInput(value)}${hintFor(expected, value)}`);
    this.name = 'CombineInputError';
  }
}

/**
 * Throws a CombineInputError. Kept out of line (and out of the accumulators) so that the check on the hot path is a
 * bare `typeof` comparison.
 */
export function notANumber(combiner: string, value: unknown): never {
  throw new CombineInputError(combiner, 'numbers', value);
}

/** Throws unless `value` has a natural order (number, bigint, string) of the same kind as `seen` (when given). */
export function checkOrdered(combiner: string, value: unknown, seen?: unknown): void {
  const t = typeof value;
  if (seen !== undefined) {
    if (t !== typeof seen) throw new CombineInputError(combiner, `values of one kind (the first was ${describeInput(seen)})`, value);
    return;
  }
  if (t !== 'number' && t !== 'string' && t !== 'bigint' && !(value instanceof Date)) {
    throw new CombineInputError(combiner, 'numbers, strings, bigints or dates (or give a comparator)', value);
  }
}

function describeInput(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 39)}…` : value)}`;
    case 'bigint':
      return `the bigint ${value}n`;
    case 'number':
    case 'boolean':
      return `the ${typeof value} ${String(value)}`;
    case 'object':
      return Array.isArray(value) ? 'an array' : value instanceof Date ? 'a Date' : 'an object';
    default:
      return `a ${typeof value}`;
  }
}

function hintFor(expected: string, value: unknown): string {
  if (expected !== 'numbers') return '';
  if (typeof value === 'string') return ' (convert it: e.g. (r) => Number(r.x), or declare the column as a number when reading)';
  if (typeof value === 'bigint') return ' (use sumBigInt for bigints)';
  if (value === undefined) return ' (is the field name right?)';
  return '';
}
