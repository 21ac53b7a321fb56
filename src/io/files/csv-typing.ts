/**
 * The one typing rule of Riffle's CSV readers (the pipeline's typed columns, quality's assets and profiles, `riffle
 * contract test`, `riffle table write --from x.csv`): what a cell's text is, and what a column of such cells is.
 *
 * As pandas' `read_csv` with its defaults, except where noted:
 *  - missing: the empty cell and pandas' default NA strings (`NA_STRINGS`: `NaN`, `N/A`, `NA`, `null`, `NULL`, `nan`,
 *    `n/a`, `#N/A`, `<NA>`, `None`, ...), exactly as written (case matters, as in pandas);
 *  - numbers: decimals with an optional sign, fraction and exponent (spaces around allowed), and `inf`/`infinity` with
 *    an optional sign in any case (→ ±Infinity);
 *  - booleans: `true`/`false`, `True`/`False`, `TRUE`/`FALSE`;
 *  - **unlike pandas**, an integer written with a leading zero (`007`, `01234`, `-01`) is text: it is an identifier
 *    (a zip code, an account number), and reading it as 7 would lose the zeros with no way back. A column holding one
 *    infers as text; declare the column's type (`number`, `long`, `double`) to read such cells as numbers.
 *  - dates (`YYYY-MM-DD`) and timestamps (ISO-8601) are recognised for readers that have such types (Delta tables);
 *    quality keeps them as text, as pandas does without `parse_dates`.
 *
 * @example
 *   cellKind('007') === 'string'; cellKind('1e3') === 'float'; cellKind('-inf') === 'float'; isMissing('N/A') === true
 *   const k = new KindInference(); for (const c of ['1', 'NA', '2.5']) k.add(c); k.kind === 'float'
 */

/** pandas' default `na_values` (pandas 2.x `STR_NA_VALUES`), plus the empty cell. */
export const NA_STRINGS: ReadonlySet<string> = new Set([
  '', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null',
]);

/** What one cell's text is. */
export type CellTextKind = 'missing' | 'integer' | 'float' | 'boolean' | 'date' | 'timestamp' | 'string';

const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const INTEGER = /^\s*[+-]?\d+\s*$/;
const LEADING_ZERO = /^\s*[+-]?0\d/;
const INFINITY = /^\s*[+-]?(?:inf|infinity)\s*$/i;
const BOOLEAN = /^(?:true|false|True|False|TRUE|FALSE)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?$/;

/** Whether a cell reads as missing (empty or one of `NA_STRINGS`). */
export function isMissing(text: string): boolean {
  const n = text.length;
  if (n === 0) return true;
  if (n > 8) return false;
  // Every NA string starts with one of # - 1 < N n: most cells are ruled out without hashing.
  const c = text.charCodeAt(0);
  return (c === 78 || c === 110 || c === 35 || c === 45 || c === 49 || c === 60) && NA_STRINGS.has(text);
}

/** The kind of one cell's text (see the rule above). */
export function cellKind(text: string): CellTextKind {
  if (isMissing(text)) return 'missing';
  if (DECIMAL.test(text)) {
    if (LEADING_ZERO.test(text)) return 'string';
    return INTEGER.test(text) ? 'integer' : 'float';
  }
  if (INFINITY.test(text)) return 'float';
  if (BOOLEAN.test(text)) return 'boolean';
  if (DATE.test(text)) return 'date';
  if (TIMESTAMP.test(text)) return 'timestamp';
  return 'string';
}

/**
 * A number from a cell written as one (any decimal, leading zeros included, or an infinity), else undefined. Used for
 * columns whose kind is number (inferred or declared); missing cells are the caller's to test first.
 */
export function numberOf(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  if (INFINITY.test(text)) return text.trim().charCodeAt(0) === 45 ? -Infinity : Infinity;
  return undefined;
}

/** A boolean from `true`/`false` in any case, else undefined. */
export function booleanOf(text: string): boolean | undefined {
  const l = text.trim().toLowerCase();
  return l === 'true' ? true : l === 'false' ? false : undefined;
}

/** A column's kind folded over its cells: the narrowest kind every present cell has. */
export type ColumnKind = 'integer' | 'float' | 'boolean' | 'date' | 'timestamp' | 'string';

/**
 * Infers a column's kind from its cells, one at a time (no cells kept): integers and floats make `float`, any other
 * mix (dates with timestamps included) is `string`; a column of missing cells only is `string`.
 */
export class KindInference {
  #kind: ColumnKind | undefined;
  /** Whether every integer seen fits a signed 64-bit integer. */
  #fitsLong = true;

  add(text: string): void {
    if (this.#kind === 'string') return;
    const k = cellKind(text);
    if (k === 'missing') return;
    if (k === 'integer' && this.#fitsLong && !fitsLong(text.trim())) this.#fitsLong = false;
    this.#kind = this.#kind === undefined ? k : join(this.#kind, k);
  }

  /** The kind so far (`string` when no cell was present). */
  get kind(): ColumnKind {
    return this.#kind ?? 'string';
  }

  /** The kind as quality's cell kinds: numbers, booleans or text (dates stay text, as pandas without parse_dates). */
  get cellKind(): 'number' | 'boolean' | 'string' {
    const k = this.kind;
    return k === 'integer' || k === 'float' ? 'number' : k === 'boolean' ? 'boolean' : 'string';
  }

  /** Whether the integers seen all fit 64 bits (an integer column beyond that is stored as double). */
  get fitsLong(): boolean {
    return this.#fitsLong;
  }
}

function join(a: ColumnKind, b: ColumnKind): ColumnKind {
  if (a === b) return a;
  if ((a === 'integer' || a === 'float') && (b === 'integer' || b === 'float')) return 'float';
  return 'string';
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Whether an integer's text fits a signed 64-bit integer. */
export function fitsLong(text: string): boolean {
  if (text.length < 18) return true;
  const n = BigInt(text);
  return n >= INT64_MIN && n <= INT64_MAX;
}

/** The kind of a column from some of its cells (see `KindInference`). */
export function inferColumnKind(cells: Iterable<string | undefined>): ColumnKind {
  const k = new KindInference();
  for (const c of cells) if (c !== undefined) k.add(c);
  return k.kind;
}
