/**
 * A batch of one column: the values of up to BATCH_SIZE consecutive rows, read from the rows once and shared by
 * every profile and row check on that column. Alongside the raw values, each value's kind is tagged and numbers are
 * copied into a Float64Array, so numeric metrics and tests run typed loops without boxing or `typeof` dispatch.
 *
 * Tags follow values.ts: missing is null, undefined or NaN (pandas' isnull); numbers are `typeof 'number'` only
 * (dates, bigints and booleans are OTHER and take the generic path, exactly as before batching).
 */
import type { Row } from './values.ts';

export const BATCH_SIZE = 2048;

export const Tag = { missing: 0, number: 1, string: 2, other: 3 } as const;

type Reader = (rows: readonly Row[], start: number, end: number, values: unknown[]) => void;
const readers = new Map<string, Reader>();

/**
 * A reader of one column over a range of rows. Compiled per column name (`rows[i]["amount"]` as a literal key),
 * so each column's property load has its own inline cache and stays monomorphic — a shared loop over a variable
 * key would go megamorphic and cost several times more. Where code generation is disabled, a generic loop.
 */
function readerOf(column: string): Reader {
  let reader = readers.get(column);
  if (reader === undefined) {
    try {
      // JSON.stringify makes the name a safe string literal.
      reader = new Function('rows', 'start', 'end', 'values', `for (let i = start, j = 0; i < end; i++, j++) values[j] = rows[i][${JSON.stringify(column)}];`) as Reader;
    } catch {
      reader = (rows, start, end, values) => {
        for (let i = start, j = 0; i < end; i++, j++) values[j] = rows[i]![column];
      };
    }
    readers.set(column, reader);
  }
  return reader;
}

export class ColumnBatch {
  /** Rows in this batch. */
  length = 0;
  /** The raw values, except where `tags[j]` is `Tag.number`: that value is `nums[j]` (`values[j]` may be stale). */
  readonly values: unknown[] = new Array<unknown>(BATCH_SIZE).fill(undefined);
  readonly nums = new Float64Array(BATCH_SIZE);
  readonly tags = new Uint8Array(BATCH_SIZE);
  /** How many values of each tag the batch holds. */
  missing = 0;
  numbers = 0;
  strings = 0;
  others = 0;

  /** Reads `column` of rows[start, end). */
  fillColumn(rows: readonly Row[], start: number, end: number, column: string): this {
    readerOf(column)(rows, start, end, this.values);
    return this.classify(end - start);
  }

  /** Reads values[start, end) of a column array (undefined: a column the data lacks, all missing). */
  fillArray(source: ArrayLike<unknown> | undefined, start: number, end: number): this {
    const values = this.values;
    if (source instanceof Float64Array) return this.fillNumbers(source, start, end);
    if (source === undefined) {
      values.fill(undefined, 0, end - start);
      return this.classify(end - start);
    }
    return this.fillValues(source, start, end);
  }

  /** Copies and classifies values[start, end) of a column array in one loop (no second pass over the values). */
  private fillValues(source: ArrayLike<unknown>, start: number, end: number): this {
    const { values, nums, tags } = this;
    let missing = 0;
    let numbers = 0;
    let strings = 0;
    for (let i = start, j = 0; i < end; i++, j++) {
      const v = source[i];
      values[j] = v;
      if (typeof v === 'string') {
        tags[j] = Tag.string;
        strings++;
      } else if (typeof v === 'number') {
        if (v === v) {
          nums[j] = v;
          tags[j] = Tag.number;
          numbers++;
        } else {
          tags[j] = Tag.missing;
          missing++;
        }
      } else if (v === null || v === undefined) {
        tags[j] = Tag.missing;
        missing++;
      } else tags[j] = Tag.other;
    }
    const n = end - start;
    this.length = n;
    this.missing = missing;
    this.numbers = numbers;
    this.strings = strings;
    this.others = n - missing - numbers - strings;
    return this;
  }

  /**
   * Reads values[start, end) of a column of numbers (NaN: missing, as pandas) straight into the typed slots: no
   * `typeof` per value, and no boxed double per value in `values` (a number's value is `nums[j]`; only missing
   * slots are written to `values`).
   */
  private fillNumbers(source: Float64Array, start: number, end: number): this {
    const { values, nums, tags } = this;
    const n = end - start;
    let missing = 0;
    for (let i = start, j = 0; i < end; i++, j++) {
      const v = source[i]!;
      if (v === v) {
        nums[j] = v;
        tags[j] = Tag.number;
      } else {
        values[j] = v;
        tags[j] = Tag.missing;
        missing++;
      }
    }
    this.length = n;
    this.missing = missing;
    this.numbers = n - missing;
    this.strings = 0;
    this.others = 0;
    return this;
  }

  /** Reads `extract(row)` of rows[start, end) (tuples of columns, computed domains). */
  fillExtract(rows: readonly Row[], start: number, end: number, extract: (row: Row) => unknown): this {
    const values = this.values;
    for (let i = start, j = 0; i < end; i++, j++) values[j] = extract(rows[i]!);
    return this.classify(end - start);
  }

  private classify(n: number): this {
    const { values, nums, tags } = this;
    let missing = 0;
    let numbers = 0;
    let strings = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v === 'number') {
        if (v === v) {
          nums[i] = v;
          tags[i] = Tag.number;
          numbers++;
        } else {
          tags[i] = Tag.missing;
          missing++;
        }
      } else if (typeof v === 'string') {
        tags[i] = Tag.string;
        strings++;
      } else if (v === null || v === undefined) {
        tags[i] = Tag.missing;
        missing++;
      } else tags[i] = Tag.other;
    }
    this.length = n;
    this.missing = missing;
    this.numbers = numbers;
    this.strings = strings;
    this.others = n - missing - numbers - strings;
    return this;
  }

  /** Drops references to the batch's values (so the rows can be collected). */
  clear(): void {
    this.values.fill(undefined, 0, this.length);
    this.length = 0;
  }
}
