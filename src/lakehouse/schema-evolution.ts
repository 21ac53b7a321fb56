/**
 * Schema evolution on write (Delta's `mergeSchema` and `overwriteSchema`).
 *
 * - `mergeSchema`: columns the rows carry that the table lacks are added, nullable, at the end of the schema, in the
 *   same commit as the data (existing files read them as null). A new column's type comes from `types` when given,
 *   else from its values: bigint → long, integer numbers → long, other numbers → double, boolean → boolean, Date →
 *   timestamp, string → string (all-null or mixed values are an error naming the column).
 * - Type changes of existing columns: without the `typeWidening` table feature (reader+writer) a column's type cannot
 *   change in place, and delta-rs 1.6.6 refuses to read tables with that feature, so Riffle does not write it: a
 *   value that needs a wider type (integer → long/double, float → double) is refused with an error that names the
 *   column and points to `overwrite(rows, { overwriteSchema: true })`, which rewrites every file with the new schema.
 * - `overwriteSchema` (whole-table overwrite only): the new schema is `types` when given, else the rows' columns —
 *   existing columns keep their type (and nullability) when every value fits it, otherwise take the inferred type;
 *   columns no row carries are dropped.
 */
import { SchemaMismatchError } from './errors.ts';
import { type DeltaType, type SchemaField, type SchemaInput, type TableSchema, toTableSchema } from './schema.ts';
import { type Row, toCanonical } from './value-mapping.ts';

/** Safe widenings a value may need: from the column's type to the types that hold it exactly. */
const WIDENINGS: Readonly<Record<string, readonly DeltaType[]>> = {
  byte: ['integer', 'long', 'double'], short: ['integer', 'long', 'double'], integer: ['long', 'double'], float: ['double'],
};

function isError(v: unknown): v is { error: string } {
  return v !== null && typeof v === 'object' && !(v instanceof Date) && 'error' in v;
}

/**
 * The Delta type of a new column from its values (see the rules above).
 *
 * @example
 * inferColumnType('score', [1, 2.5, null]); // 'double'
 */
export function inferColumnType(column: string, values: readonly unknown[]): DeltaType {
  const kinds = new Set<string>();
  let fractional = false;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'number') {
      kinds.add('number');
      if (!Number.isSafeInteger(v)) fractional = true;
    } else if (v instanceof Date) kinds.add('timestamp');
    else if (v instanceof Uint8Array) kinds.add('binary');
    else kinds.add(typeof v);
  }
  if (kinds.size === 0) {
    throw new SchemaMismatchError(column, `cannot infer the type of new column '${column}': every value is null`, {}, `give its type, e.g. { schema: { ${column}: 'string' } }`);
  }
  if (kinds.size === 1 || (kinds.size === 2 && kinds.has('bigint') && kinds.has('number') && !fractional)) {
    const [kind] = kinds.size === 1 ? [...kinds] : ['bigint'];
    switch (kind) {
      case 'bigint': return 'long';
      case 'number': return fractional ? 'double' : 'long';
      case 'boolean': return 'boolean';
      case 'timestamp': return 'timestamp';
      case 'binary': return 'binary';
      case 'string': return 'string';
      default: break;
    }
  }
  throw new SchemaMismatchError(column, `cannot infer the type of new column '${column}': its values are ${[...kinds].join(' and ')}`, {}, `give its type, e.g. { schema: { ${column}: 'double' } }`);
}

function newColumnNames(schema: TableSchema, rows: readonly Row[]): string[] {
  const known = new Set(schema.fields.map((f) => f.name.toLowerCase()));
  const added: string[] = [];
  for (const row of rows) {
    if (row === null || typeof row !== 'object') continue; // schema enforcement names the bad row
    for (const key of Object.keys(row)) {
      if (known.has(key.toLowerCase())) continue;
      known.add(key.toLowerCase());
      added.push(key);
    }
  }
  return added;
}

/** A new column: its given type (primitive or nested), or the type inferred from its values. */
function newField(name: string, rows: readonly Row[], types: SchemaInput | undefined): SchemaField {
  const given = types?.[name];
  if (given !== undefined) return { ...toTableSchema({ [name]: given }).fields[0], nullable: true };
  return { name, type: inferColumnType(name, rows.map((r) => r?.[name])), nullable: true, metadata: {} };
}

/**
 * Refuses values that would need an existing column's type to widen in place (see the module comment).
 *
 * @example
 * assertNoInPlaceWidening(schema, [{ n: 2 ** 40 }]); // throws for an integer column n, pointing to overwriteSchema
 */
export function assertNoInPlaceWidening(schema: TableSchema, rows: readonly Row[]): void {
  for (const field of schema.fields) {
    const wider = WIDENINGS[field.type];
    if (!wider) continue;
    for (let r = 0; r < rows.length; r++) {
      const value = rows[r]?.[field.name];
      if (!isError(toCanonical(field.type, value))) continue;
      const fits = wider.find((t) => !isError(toCanonical(t, value)));
      if (fits === undefined) return; // not a widening: schema enforcement reports the plain mismatch
      throw new SchemaMismatchError(field.name,
        `row ${r}: column '${field.name}' is ${field.type} and the value ${String(value)} needs ${fits}; Delta changes a column's type in place only with the typeWidening table feature, which Riffle does not write (delta-rs 1.6.6 cannot read it)`,
        { row: r, expected: field.type, actual: fits }, `rewrite the table with the wider type: overwrite(rows, { overwriteSchema: true }) (or give the whole new schema with schema: { ${field.name}: '${fits}', … })`);
    }
  }
}

/**
 * `mergeSchema`: the schema with the rows' new columns added (nullable, at the end), or undefined when the rows
 * bring none. Refuses in-place widenings of existing columns.
 *
 * @example
 * mergedSchema(schema, [{ id: 1n, email: 'a@b.c' }]); // schema + email: string
 */
export function mergedSchema(schema: TableSchema, rows: readonly Row[], types?: SchemaInput): TableSchema | undefined {
  assertNoInPlaceWidening(schema, rows);
  const added = newColumnNames(schema, rows);
  if (added.length === 0) return undefined;
  const fields: SchemaField[] = [...schema.fields];
  for (const name of added) fields.push(newField(name, rows, types));
  return { fields };
}

/**
 * `overwriteSchema`: the table's new schema for a whole-table overwrite with `rows` (see the module comment).
 *
 * @example
 * overwrittenSchema(schema, [{ id: 2 ** 40, name: 'a' }]); // id widened to long when it was integer
 */
export function overwrittenSchema(schema: TableSchema, rows: readonly Row[], types?: SchemaInput): TableSchema {
  if (types !== undefined) return toTableSchema(types);
  const existing = new Map(schema.fields.map((f) => [f.name.toLowerCase(), f]));
  const present = new Set<string>();
  for (const row of rows) if (row !== null && typeof row === 'object') for (const k of Object.keys(row)) present.add(k);
  const names = [...schema.fields.map((f) => f.name).filter((n) => present.has(n)), ...newColumnNames(schema, rows)];
  const fields: SchemaField[] = names.map((name) => {
    const old = existing.get(name.toLowerCase());
    const values = rows.map((r) => r?.[name]);
    if (old && values.every((v) => !isError(toCanonical(old.type, v)) && (old.nullable || (v !== null && v !== undefined)))) return old;
    return { name, type: inferColumnType(name, values), nullable: true, metadata: {} };
  });
  if (fields.length === 0) throw new SchemaMismatchError('(schema)', 'overwriteSchema: the rows have no columns', {}, 'give at least one row, or the new schema with { schema }');
  return { fields };
}
