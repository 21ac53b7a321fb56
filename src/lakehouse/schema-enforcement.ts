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
  const raw = extractColumns(fields, rows);
  return fields.map((field, i) => enforceColumn(field, rows, raw[i]));
}

/**
 * `enforceSchema` for writers that take typed columns (`writeDataFiles`): a long or timestamp column without nulls
 * comes back as a BigInt64Array (a safe-integer number stored as its two 32-bit words: no bigint made per value), a
 * double column without nulls as a Float64Array, an integer column as an Int32Array; every other column (and any
 * column holding a null or a value to convert) as `enforceSchema` gives it. Reading a typed column gives the same
 * canonical values (`bigint`s for longs).
 *
 * @example
 * enforceSchemaTyped(schema, [{ id: 1 }, { id: 2 }]); // [BigInt64Array [1n, 2n]]
 */
export function enforceSchemaTyped(schema: TableSchema, rows: readonly Row[]): ArrayLike<DeltaValue>[] {
  const fields = schema.fields;
  const raw = extractColumns(fields, rows);
  return fields.map((field, i) => typedColumn(field, raw[i]) ?? enforceColumn(field, rows, raw[i]));
}

/** The rows' values, one array per field (rows checked to be objects of schema columns only). */
function extractColumns(fields: readonly SchemaField[], rows: readonly Row[]): unknown[][] {
  const raw = fields.map(() => new Array<unknown>(rows.length));
  extractorFor(fields)(rows, raw, (r: number, key: string | undefined) => {
    if (key === undefined) throw new SchemaMismatchError('(row)', `row ${r} is not an object: ${excerpt(rows[r])}`, { row: r });
    throw new SchemaMismatchError(key, `row ${r} has column '${key}', which is not in the table schema (${fields.map((f) => f.name).join(', ')})`, { row: r, element: rows[r] });
  });
  return raw;
}

const TWO_32 = 4294967296;

/** A column's values as a typed array when each is already of the column's type and none is null; else undefined. */
function typedColumn(field: SchemaField, raw: readonly unknown[]): ArrayLike<DeltaValue> | undefined {
  const n = raw.length;
  switch (field.type) {
    case 'long': case 'timestamp': case 'timestamp_ntz': {
      const out = new BigInt64Array(n);
      const lo = new Uint32Array(out.buffer);
      const hi = new Int32Array(out.buffer);
      const numbers = field.type === 'long'; // timestamps as numbers are milliseconds: toCanonical converts them
      for (let r = 0; r < n; r++) {
        const v = raw[r];
        if (typeof v === 'number' && numbers && Number.isSafeInteger(v)) {
          const h = Math.floor(v / TWO_32);
          lo[2 * r] = v - h * TWO_32;
          hi[2 * r + 1] = h;
        } else if (typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX) {
          out[r] = v;
        } else {
          return undefined;
        }
      }
      return out as ArrayLike<DeltaValue>;
    }
    case 'double': {
      const out = new Float64Array(n);
      for (let r = 0; r < n; r++) { const v = raw[r]; if (typeof v !== 'number') return undefined; out[r] = v; }
      return out as ArrayLike<DeltaValue>;
    }
    case 'integer': {
      const out = new Int32Array(n);
      for (let r = 0; r < n; r++) { const v = raw[r]; if (typeof v !== 'number' || (v | 0) !== v) return undefined; out[r] = v; }
      return out as ArrayLike<DeltaValue>;
    }
    default:
      return undefined;
  }
}

type Extractor = (rows: readonly Row[], out: unknown[][], bad: (row: number, key: string | undefined) => never) => void;
const extractors = new Map<string, Extractor>();

/**
 * A function, generated once per list of column names, that checks each row is an object with only those columns
 * and copies its values into one array per column in a single pass: property names are literals in the generated
 * code (monomorphic loads, a `switch` of interned strings for the key check) rather than a variable key per column.
 */
function extractorFor(fields: readonly SchemaField[]): Extractor {
  const names = fields.map((f) => f.name);
  const key = JSON.stringify(names);
  let fn = extractors.get(key);
  if (fn) return fn;
  const lit = (n: string): string => JSON.stringify(n);
  const body = `
    ${names.map((_, i) => `const o${i} = out[${i}];`).join(' ')}
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (row === null || typeof row !== 'object' || Array.isArray(row)) bad(r, undefined);
      for (const k in row) {
        switch (k) {
          ${names.map((n) => `case ${lit(n)}:`).join(' ')} break;
          default: if (Object.hasOwn(row, k)) bad(r, k);
        }
      }
      ${names.map((n, i) => `o${i}[r] = row[${lit(n)}];`).join(' ')}
    }`;
  fn = new Function('rows', 'out', 'bad', body) as Extractor;
  if (extractors.size > 256) extractors.clear();
  extractors.set(key, fn);
  return fn;
}

/** One column's canonical values from its raw values; fast loops for values already canonical, `toCanonical` for the rest. */
function enforceColumn(field: SchemaField, rows: readonly Row[], raw: readonly unknown[]): DeltaValue[] {
  const name = field.name;
  const n = rows.length;
  const out: DeltaValue[] = new Array(n);
  const slow = (r: number): DeltaValue => {
    const value = raw[r];
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
      for (let r = 0; r < n; r++) { const v = raw[r]; out[r] = typeof v === 'string' ? v : slow(r); }
      return out;
    case 'double':
      for (let r = 0; r < n; r++) { const v = raw[r]; out[r] = typeof v === 'number' ? v : slow(r); }
      return out;
    case 'float':
      for (let r = 0; r < n; r++) { const v = raw[r]; out[r] = typeof v === 'number' ? Math.fround(v) : slow(r); }
      return out;
    case 'boolean':
      for (let r = 0; r < n; r++) { const v = raw[r]; out[r] = typeof v === 'boolean' ? v : slow(r); }
      return out;
    case 'long':
      for (let r = 0; r < n; r++) {
        const v = raw[r];
        out[r] = typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : slow(r);
      }
      return out;
    case 'timestamp':
      for (let r = 0; r < n; r++) { const v = raw[r]; out[r] = typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX ? v : slow(r); }
      return out;
    case 'integer':
      for (let r = 0; r < n; r++) { const v = raw[r]; out[r] = typeof v === 'number' && (v | 0) === v ? v : slow(r); }
      return out;
    default:
      for (let r = 0; r < n; r++) out[r] = slow(r);
      return out;
  }
}
