/**
 * Table schemas: the Delta primitive types Riffle writes, and the schema's JSON form (`metaData.schemaString`, Spark's
 * JSON schema representation, PROTOCOL.md "Schema Serialization Format").
 */
import { DeltaTableError, UnsupportedFeatureError } from './errors.ts';

/**
 * The Delta primitive types Riffle writes and reads, and their JS values:
 *
 * | type      | JS value read              | JS values accepted on write                          |
 * |-----------|----------------------------|------------------------------------------------------|
 * | string    | string                     | string                                               |
 * | long      | bigint (exact 64-bit)      | bigint, or a safe-integer number                     |
 * | integer   | number                     | 32-bit integer number                                |
 * | double    | number                     | number                                               |
 * | boolean   | boolean                    | boolean                                              |
 * | timestamp | bigint µs since epoch, UTC | bigint µs, Date, ISO-8601 string with a zone         |
 * | date      | 'YYYY-MM-DD' string        | 'YYYY-MM-DD' string, Date (its UTC day)              |
 *
 * Reading foreign tables also accepts short/byte (number) and float (number).
 *
 * @example
 * const t: DeltaType = 'timestamp';
 */
export type DeltaType = 'string' | 'long' | 'integer' | 'double' | 'boolean' | 'timestamp' | 'date';

/**
 * Types readable in foreign tables beyond those Riffle writes.
 *
 * @example
 * const t: ReadableDeltaType = 'float';
 */
export type ReadableDeltaType = DeltaType | 'short' | 'byte' | 'float';

const WRITABLE: ReadonlySet<string> = new Set<DeltaType>(['string', 'long', 'integer', 'double', 'boolean', 'timestamp', 'date']);
const READABLE: ReadonlySet<string> = new Set<ReadableDeltaType>([...WRITABLE as Set<DeltaType>, 'short', 'byte', 'float']);

/**
 * One column of a table schema.
 *
 * @example
 * const f: SchemaField = { name: 'id', type: 'long', nullable: false, metadata: {} };
 */
export interface SchemaField {
  readonly name: string;
  readonly type: ReadableDeltaType;
  readonly nullable: boolean;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/**
 * A table schema: an ordered list of top-level primitive columns.
 *
 * @example
 * const s: TableSchema = { fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }] };
 */
export interface TableSchema {
  readonly fields: readonly SchemaField[];
}

/**
 * The schema as given to `DeltaTable.create`: column name → type, or `{ type, nullable }` (columns are nullable
 * unless said otherwise). Key order is column order.
 *
 * @example
 * const s: SchemaInput = { id: { type: 'long', nullable: false }, country: 'string', ts: 'timestamp' };
 */
export type SchemaInput = Readonly<Record<string, DeltaType | { readonly type: DeltaType; readonly nullable?: boolean }>>;

/**
 * Normalizes a `SchemaInput` to a `TableSchema`, rejecting unknown types and names that differ only by case.
 *
 * @example
 * toTableSchema({ id: 'long' }); // { fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] }
 */
export function toTableSchema(input: SchemaInput): TableSchema {
  const fields: SchemaField[] = [];
  const seen = new Set<string>();
  for (const [name, spec] of Object.entries(input)) {
    const type = typeof spec === 'string' ? spec : spec.type;
    const nullable = typeof spec === 'string' ? true : spec.nullable ?? true;
    if (!WRITABLE.has(type)) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `column '${name}' has unsupported type '${String(type)}'`, {
        hint: `use one of ${[...WRITABLE].join(', ')}`,
      });
    }
    if (name === '' || seen.has(name.toLowerCase())) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `column name '${name}' is empty or duplicated (Delta column names are case-insensitive)`);
    }
    seen.add(name.toLowerCase());
    fields.push({ name, type, nullable, metadata: {} });
  }
  if (fields.length === 0) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'a table needs at least one column');
  return { fields };
}

/**
 * Serializes a schema to Delta's `schemaString` (Spark JSON schema).
 *
 * @example
 * schemaToJson(toTableSchema({ id: 'long' }));
 * // '{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}'
 */
export function schemaToJson(schema: TableSchema): string {
  return JSON.stringify({
    type: 'struct',
    fields: schema.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable, metadata: f.metadata })),
  });
}

/**
 * Parses a `schemaString`. Nested and decimal/binary columns are refused with an error naming the column, since
 * Riffle cannot read them yet.
 *
 * @example
 * schemaFromJson('{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}');
 */
export function schemaFromJson(json: string): TableSchema {
  const root = parseSchemaJson(json);
  if (!root) throw new DeltaTableError('DELTA_LOG_INVALID', 'metaData.schemaString is not a struct schema');
  const unreadable = unreadableColumns(root);
  if (unreadable.length > 0) {
    throw new UnsupportedFeatureError(unreadable.map((u) => `type ${u.type}`), 'read', unreadable.map((u) => `column '${u.name}' has type ${u.type}, which Riffle cannot read yet`).join('; '));
  }
  return {
    fields: root.fields.map((raw) => ({ name: raw.name, type: raw.type as ReadableDeltaType, nullable: raw.nullable ?? true, metadata: raw.metadata ?? {} })),
  };
}

interface RawField { name: string; type: unknown; nullable?: boolean; metadata?: Record<string, unknown> }

/** The struct of a `schemaString`, undefined when it is JSON but not a struct; throws when it is not JSON. */
function parseSchemaJson(json: string): { fields: RawField[] } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new DeltaTableError('DELTA_LOG_INVALID', 'metaData.schemaString is not valid JSON', { cause });
  }
  const root = parsed as { type?: unknown; fields?: unknown };
  return root?.type === 'struct' && Array.isArray(root.fields) ? { fields: root.fields as RawField[] } : undefined;
}

function unreadableColumns(root: { fields: RawField[] }): { name: string; type: string }[] {
  return root.fields
    .map((raw) => ({ name: raw.name, type: typeof raw.type === 'string' ? raw.type : JSON.stringify(raw.type) }))
    .filter((c) => !READABLE.has(c.type));
}

/**
 * The columns of a `schemaString` whose types Riffle cannot read (nested, decimal, binary, …), for the protocol
 * check to name them with the other unsupported features; empty when the schema is not a readable struct at all
 * (`schemaFromJson` then says what is wrong).
 *
 * @example
 * unreadableTypes('{"type":"struct","fields":[{"name":"v","type":"decimal(10,2)","nullable":true,"metadata":{}}]}');
 * // [{ name: 'v', type: 'decimal(10,2)' }]
 */
export function unreadableTypes(json: string): { name: string; type: string }[] {
  try {
    const root = parseSchemaJson(json);
    return root ? unreadableColumns(root) : [];
  } catch {
    return [];
  }
}

/**
 * Whether `type` is one Riffle can write (foreign tables may hold readable-only types such as float).
 *
 * @example
 * isWritableType('float'); // false
 */
export function isWritableType(type: string): type is DeltaType {
  return WRITABLE.has(type);
}
