/**
 * Schema enforcement on write: every row must match the table schema before any file is written. A row with an
 * unknown column, a value of the wrong type, or a null in a non-nullable column is rejected with an error naming
 * the column, the expected type and the actual value.
 *
 * Strategy (this is the hot path of every write): 1. one pass over the rows checks they are objects with only
 * schema columns (`for…in`, no key array per row); 2. one pass per column converts its values with a loop
 * specialized to the column's type, where a value already in canonical form costs a `typeof` and a store; anything
 * else goes through `toCanonical`, which converts it or says why it does not fit.
 */
import { excerpt } from '../model/index.ts';
import { SchemaMismatchError } from './errors.ts';
import type { SchemaField, TableSchema } from './schema.ts';
import { toCanonicalNested } from './nested-value.ts';
import { type DeltaValue, isValueError, type Row, toCanonical } from './value-mapping.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Validates rows against a schema and returns them as columns of canonical values (in schema field order).
 *
 * @example
 * enforceSchema(schema, [{ id: 1, name: 'a' }]); // [[1n], ['a']]
 * enforceSchema(schema, [{ id: 'x' }]);           // throws SchemaMismatchError: column 'id' expects long, got string 'x'
 */
export function enforceSchema(schema: TableSchema, rows: readonly Row[]): DeltaValue[][] {
  const fields = schema.fields;
  const known = new Set(fields.map((f) => f.name));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new SchemaMismatchError('(row)', `row ${r} is not an object: ${excerpt(row)}`, { row: r });
    }
    for (const key in row) {
      if (!known.has(key) && Object.hasOwn(row, key)) {
        throw new SchemaMismatchError(key, `row ${r} has column '${key}', which is not in the table schema (${[...known].join(', ')})`, { row: r, element: row });
      }
    }
  }
  return fields.map((field) => enforceColumn(field, rows));
}

/** One column's canonical values; fast loops for values already canonical, `toCanonical` for the rest. */
function enforceColumn(field: SchemaField, rows: readonly Row[]): DeltaValue[] {
  const name = field.name;
  const n = rows.length;
  const out: DeltaValue[] = new Array(n);
  const slow = (r: number): DeltaValue => {
    const value = rows[r][name];
    const canonical = field.nested !== undefined ? toCanonicalNested(field.nested, value, toCanonical) : toCanonical(field.type, value);
    if (isValueError(canonical)) {
      throw new SchemaMismatchError(name, `row ${r}: column '${name}' expects ${field.type}, got ${canonical.error}`, { row: r, expected: field.type, element: rows[r] });
    }
    if (canonical === null && !field.nullable) {
      throw new SchemaMismatchError(name, `row ${r}: column '${name}' is not nullable (${field.type}), got ${value === undefined ? 'no value' : 'null'}`, {
        row: r, expected: field.type, element: rows[r],
      });
    }
    return canonical;
  };
  switch (field.type) {
    case 'string':
      for (let r = 0; r < n; r++) { const v = rows[r][name]; out[r] = typeof v === 'string' ? v : slow(r); }
      return out;
    case 'double':
      for (let r = 0; r < n; r++) { const v = rows[r][name]; out[r] = typeof v === 'number' ? v : slow(r); }
      return out;
    case 'float':
      for (let r = 0; r < n; r++) { const v = rows[r][name]; out[r] = typeof v === 'number' ? Math.fround(v) : slow(r); }
      return out;
    case 'boolean':
      for (let r = 0; r < n; r++) { const v = rows[r][name]; out[r] = typeof v === 'boolean' ? v : slow(r); }
      return out;
    case 'long':
      for (let r = 0; r < n; r++) {
        const v = rows[r][name];
        out[r] = typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : slow(r);
      }
      return out;
    case 'timestamp':
      for (let r = 0; r < n; r++) { const v = rows[r][name]; out[r] = typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX ? v : slow(r); }
      return out;
    case 'integer':
      for (let r = 0; r < n; r++) { const v = rows[r][name]; out[r] = typeof v === 'number' && (v | 0) === v ? v : slow(r); }
      return out;
    default:
      for (let r = 0; r < n; r++) out[r] = slow(r);
      return out;
  }
}
