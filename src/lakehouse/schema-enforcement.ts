/**
 * Schema enforcement on write: every row must match the table schema before any file is written. A row with an
 * unknown column, a value of the wrong type, or a null in a non-nullable column is rejected with an error naming
 * the column, the expected type and the actual value.
 */
import { excerpt } from '../model/index.ts';
import { SchemaMismatchError } from './errors.ts';
import type { TableSchema } from './schema.ts';
import { type DeltaValue, type Row, toCanonical } from './value-mapping.ts';

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
  const columns: DeltaValue[][] = fields.map(() => new Array(rows.length));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new SchemaMismatchError('(row)', `row ${r} is not an object: ${excerpt(row)}`, { row: r });
    }
    for (const key of Object.keys(row)) {
      if (!known.has(key)) {
        throw new SchemaMismatchError(key, `row ${r} has column '${key}', which is not in the table schema (${[...known].join(', ')})`, { row: r, element: row });
      }
    }
    for (let c = 0; c < fields.length; c++) {
      const field = fields[c];
      const canonical = toCanonical(field.type, row[field.name]);
      if (canonical !== null && typeof canonical === 'object' && !(canonical instanceof Date)) {
        throw new SchemaMismatchError(field.name, `row ${r}: column '${field.name}' expects ${field.type}, got ${canonical.error}`, {
          row: r, expected: field.type, element: row,
        });
      }
      if (canonical === null && !field.nullable) {
        throw new SchemaMismatchError(field.name, `row ${r}: column '${field.name}' is not nullable (${field.type}), got ${row[field.name] === undefined ? 'no value' : 'null'}`, {
          row: r, expected: field.type, element: row,
        });
      }
      columns[c][r] = canonical;
    }
  }
  return columns;
}
