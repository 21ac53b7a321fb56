/** A three-way comparator: negative if a < b, zero if equal, positive if a > b. */
export type Compare<T> = (a: T, b: T) => number;

/**
 * The natural order of numbers, bigints and strings (`<` / `>`), used when no comparator is given.
 * NaN compares equal to everything, so give a comparator if your data can hold NaN.
 * @example [3, 1, 2].sort(naturalOrder) // [1, 2, 3]
 */
export function naturalOrder<T>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
