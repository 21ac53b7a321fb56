/**
 * Checks rows against a table's columns before they are written, one row at a time, so that a malformed row goes to
 * the sink's error output with the reason while the others are written. (The lakehouse's value checks are loaded by
 * the sink's setup, before a checker is made: see lakehouse-module.ts.) When new columns are allowed (a table the
 * sink creates from inferred types, or `mergeSchema`), columns not in the table get a type from the first non-null
 * value seen (see `typeOfValue`), and later values must fit it.
 */
import { ConfigError } from '../../model/index.ts';
import type { DeltaType, ReadableDeltaType } from '../../lakehouse/index.ts';
import { lakehouse } from './lakehouse-module.ts';

/**
 * A column as the checker knows it.
 *
 * @example
 * const c: CheckedColumn = { name: 'id', type: 'long', nullable: false };
 */
export interface CheckedColumn {
  readonly name: string;
  readonly type: ReadableDeltaType;
  readonly nullable: boolean;
}

/**
 * Checks rows one by one; collects the columns it added (in first-seen order).
 *
 * @example
 * const checker = new RowChecker([{ name: 'id', type: 'long', nullable: false }], { allowNewColumns: true });
 * checker.check({ id: 1n, note: 'x' }); // undefined (ok); checker.addedColumns() → [{ name: 'note', type: 'string', … }]
 * checker.check({ id: 'x' });            // "column 'id' expects long, got string 'x'"
 */
export class RowChecker {
  private readonly columns = new Map<string, CheckedColumn>();
  private readonly added: CheckedColumn[] = [];
  /** New columns seen only with null values so far: no type yet. */
  private readonly untyped = new Set<string>();
  private readonly allowNewColumns: boolean;

  private readonly values = lakehouse.get();

  constructor(columns: readonly CheckedColumn[], options: { readonly allowNewColumns: boolean }) {
    for (const c of columns) this.columns.set(c.name, c);
    this.allowNewColumns = options.allowNewColumns;
  }

  /** The reason the row cannot be written, or undefined when it can. */
  check(row: unknown): string | undefined {
    if (row === null || typeof row !== 'object' || Array.isArray(row) || row instanceof Date) {
      return `a row must be an object of column values, got ${this.values.describeValue(row)}`;
    }
    const values = row as Record<string, unknown>;
    let fresh: CheckedColumn[] | undefined;
    let untyped: string[] | undefined;
    for (const key of Object.keys(values)) {
      const value = values[key];
      const column = this.columns.get(key) ?? fresh?.find((c) => c.name === key);
      if (column === undefined) {
        const type = this.newColumnType(key, value);
        if (typeof type === 'string') return type;
        if (type === undefined) (untyped ??= []).push(key);
        else (fresh ??= []).push(type);
        continue;
      }
      const canonical = this.values.toCanonical(column.type, value);
      if (this.values.isValueError(canonical)) return `column '${key}' expects ${column.type}, got ${canonical.error}`;
      if (canonical === null && !column.nullable) return `column '${key}' is not nullable (${column.type}), got null`;
    }
    for (const column of this.columns.values()) {
      if (!column.nullable && values[column.name] === undefined) return `column '${column.name}' is not nullable (${column.type}), and the row has no value for it`;
    }
    // Only a row that is written adds columns.
    for (const column of fresh ?? []) {
      this.columns.set(column.name, column);
      this.added.push(column);
      this.untyped.delete(column.name);
    }
    for (const key of untyped ?? []) if (!this.columns.has(key)) this.untyped.add(key);
    return undefined;
  }

  /** A new column's inferred type (undefined: no evidence yet), or why it cannot be added. */
  private newColumnType(key: string, value: unknown): CheckedColumn | undefined | string {
    if (!this.allowNewColumns) {
      return `column '${key}' is not in the table schema (${[...this.columns.keys()].join(', ')})`;
    }
    if (key === '') return 'a column name must not be empty';
    for (const name of this.columns.keys()) {
      if (name.toLowerCase() === key.toLowerCase()) return `column '${key}' differs from the table's column '${name}' only by case (Delta column names are case-insensitive)`;
    }
    const type = typeOfValue(value);
    if (type === undefined) return undefined;
    if (typeof type === 'object') return `column '${key}': ${type.error}`;
    return { name: key, type, nullable: true };
  }

  /** The columns added so far, in the order they were first seen with a value. */
  addedColumns(): readonly CheckedColumn[] {
    return this.added;
  }

  /** All columns: the table's, then the added ones. */
  allColumns(): readonly CheckedColumn[] {
    return [...this.columns.values()];
  }

  /** New columns seen so far only with null values (no type yet). */
  untypedColumns(): readonly string[] {
    return [...this.untyped].filter((c) => !this.columns.has(c));
  }

  /**
   * Fails when a new column only ever held nulls: its type cannot be inferred.
   *
   * @example
   * checker.assertTyped('io.delta.write(/data/t)');
   */
  assertTyped(what: string): void {
    const left = [...this.untyped].filter((c) => !this.columns.has(c));
    if (left.length === 0) return;
    throw new ConfigError(`${what}: column${left.length > 1 ? 's' : ''} ${left.map((c) => `'${c}'`).join(', ')} held only nulls, so ${left.length > 1 ? 'their types' : 'its type'} cannot be inferred`, {
      hint: `declare the types: io.delta.write(path, { schema: { ${left.map((c) => `${c}: 'string'`).join(', ')}, ... } })`,
    });
  }
}

/**
 * The Delta type names a schema option may use (what Riffle writes), besides `decimal(p,s)` (see `isWritableTypeName`).
 *
 * @example
 * WRITABLE_TYPES.includes('long'); // true
 */
export const WRITABLE_TYPES: readonly DeltaType[] = [
  'string', 'long', 'integer', 'short', 'byte', 'double', 'float', 'boolean', 'binary', 'timestamp', 'timestamp_ntz', 'date',
];

/**
 * Whether a schema option's type name is one Riffle writes: a `WRITABLE_TYPES` name, `decimal(p,s)` with
 * 1 ≤ p ≤ 38 and s ≤ p, or a nested type's simple string (`array<…>`, `map<…,…>`, `struct<…>`: its parts are
 * checked when the table is created).
 *
 * @example
 * isWritableTypeName('decimal(10,2)'); // true
 */
export function isWritableTypeName(type: unknown): type is DeltaType {
  if (typeof type !== 'string') return false;
  if ((WRITABLE_TYPES as readonly string[]).includes(type)) return true;
  if (/^(array|map|struct)<.+>$/.test(type)) return true;
  const m = /^decimal\((\d+),(\d+)\)$/.exec(type);
  return m !== null && Number(m[1]) >= 1 && Number(m[1]) <= 38 && Number(m[2]) <= Number(m[1]);
}

/**
 * The Delta type a JS value suggests for a new column, or undefined for null/undefined (no evidence). Numbers are
 * doubles (a JS number is one; pass bigints, or a schema, for long columns); Dates are timestamps; strings stay
 * strings. (A sink sees rows one at a time, so unlike the lakehouse's `mergeSchema` it cannot look at every value
 * of a column before choosing between long and double.)
 *
 * @example
 * typeOfValue(5n);          // 'long'
 * typeOfValue(new Date());  // 'timestamp'
 */
export function typeOfValue(value: unknown): DeltaType | undefined | { error: string } {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case 'string': return 'string';
    case 'bigint': return 'long';
    case 'number': return 'double';
    case 'boolean': return 'boolean';
    default: return value instanceof Date ? 'timestamp' : { error: `${lakehouse.get().describeValue(value)} has no Delta column type` };
  }
}
