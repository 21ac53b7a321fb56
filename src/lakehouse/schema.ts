/**
 * Table schemas: the Delta primitive types Riffle writes, and the schema's JSON form (`metaData.schemaString`, Spark's
 * JSON schema representation, PROTOCOL.md "Schema Serialization Format").
 */
import { DeltaTableError, UnsupportedFeatureError } from './errors.ts';

/**
 * The Delta primitive types Riffle writes and reads, and their JS values:
 *
 * | type          | JS value read                         | JS values accepted on write                                   |
 * |---------------|---------------------------------------|---------------------------------------------------------------|
 * | string        | string                                | string                                                        |
 * | long          | bigint (exact 64-bit)                 | bigint, or a safe-integer number                              |
 * | integer       | number                                | 32-bit integer number                                         |
 * | short, byte   | number                                | 16-bit / 8-bit integer number                                 |
 * | double        | number (NaN, ±Infinity, -0 kept)      | number                                                        |
 * | float         | number (a float32 value)              | number (rounded to float32: `Math.fround`)                    |
 * | decimal(p,s)  | exact decimal string with s decimals: | string ('12.3', '-1e3'), bigint (an integer), or a number     |
 * |               | '12.30' for decimal(5,2)              | whose shortest form is exact; never rounded: more than s      |
 * |               |                                       | decimals or p digits is an error                              |
 * | boolean       | boolean                               | boolean                                                       |
 * | binary        | Uint8Array                            | Uint8Array (a Buffer is one)                                  |
 * | timestamp     | bigint µs since epoch, UTC            | bigint µs, Date, ISO-8601 string with a zone                  |
 * | timestamp_ntz | bigint µs since 1970-01-01 00:00 wall | bigint µs, Date (its UTC fields), ISO-8601 string without zone |
 * |               | clock time, no zone                   |                                                               |
 * | date          | 'YYYY-MM-DD' string (0001–9999)       | 'YYYY-MM-DD' string, Date (its UTC day)                       |
 *
 * Parquet storage follows Spark and delta-rs: decimal as INT32 (p ≤ 9), INT64 (p ≤ 18) or FIXED_LEN_BYTE_ARRAY
 * (the fewest bytes for p), annotated DECIMAL(p,s); timestamp_ntz as INT64 TIMESTAMP(isAdjustedToUTC=false, MICROS).
 * A table with a timestamp_ntz column needs the `timestampNtz` table feature (reader 3, writer 7), which Riffle
 * writes. Nested types (struct, array, map) are refused with an error naming the column.
 *
 * @example
 * const t: DeltaType = 'decimal(10,2)';
 */
export type DeltaType =
  | 'string' | 'long' | 'integer' | 'short' | 'byte' | 'double' | 'float' | 'boolean' | 'binary'
  | 'timestamp' | 'timestamp_ntz' | 'date' | `decimal(${number},${number})`;

/**
 * Types readable in tables: every `DeltaType`, and nested types (read only), named as Spark's simple strings
 * ('array<string>', 'map<string,long>', 'struct<a:long,b:decimal(10,2)>'; the full type is `SchemaField.nested`).
 *
 * @example
 * const t: ReadableDeltaType = 'array<long>';
 */
export type ReadableDeltaType = DeltaType | NestedTypeName;

/**
 * The simple-string name of a nested type.
 *
 * @example
 * const t: NestedTypeName = 'struct<a:long>';
 */
export type NestedTypeName = `struct<${string}>` | `array<${string}>` | `map<${string}>`;

/**
 * A nested type as `schemaString` holds it (PROTOCOL.md "Struct Type", "Array Type", "Map Type"), with primitive
 * leaves in canonical spelling.
 *
 * @example
 * const t: NestedType = { type: 'array', elementType: 'long', containsNull: true };
 */
export type NestedType =
  | { readonly type: 'struct'; readonly fields: readonly { readonly name: string; readonly type: DeltaType | NestedType; readonly nullable: boolean; readonly metadata: Readonly<Record<string, unknown>> }[] }
  | { readonly type: 'array'; readonly elementType: DeltaType | NestedType; readonly containsNull: boolean }
  | { readonly type: 'map'; readonly keyType: DeltaType | NestedType; readonly valueType: DeltaType | NestedType; readonly valueContainsNull: boolean };

/** A `schemaString` type as a `NestedType` (leaves canonical), undefined unless a well-formed nested type of readable leaves. */
function nestedTypeOf(type: unknown): NestedType | undefined {
  if (type === null || typeof type !== 'object') return undefined;
  const t = type as Record<string, unknown>;
  const part = (x: unknown): DeltaType | NestedType | undefined => canonicalType(x) ?? nestedTypeOf(x);
  if (t.type === 'array') {
    const elementType = part(t.elementType);
    return elementType === undefined ? undefined : { type: 'array', elementType, containsNull: t.containsNull !== false };
  }
  if (t.type === 'map') {
    const keyType = part(t.keyType);
    const valueType = part(t.valueType);
    return keyType === undefined || valueType === undefined ? undefined : { type: 'map', keyType, valueType, valueContainsNull: t.valueContainsNull !== false };
  }
  if (t.type === 'struct' && Array.isArray(t.fields)) {
    const fields = [];
    for (const f of t.fields as RawField[]) {
      const ft = part(f?.type);
      if (ft === undefined || typeof f.name !== 'string') return undefined;
      fields.push({ name: f.name, type: ft, nullable: f.nullable ?? true, metadata: f.metadata ?? {} });
    }
    return { type: 'struct', fields };
  }
  return undefined;
}

const PRIMITIVE: ReadonlySet<string> = new Set<DeltaType>([
  'string', 'long', 'integer', 'short', 'byte', 'double', 'float', 'boolean', 'binary', 'timestamp', 'timestamp_ntz', 'date',
]);
const DECIMAL_RE = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

/**
 * Precision and scale of a `decimal(p,s)` type (1 ≤ p ≤ 38, 0 ≤ s ≤ p, as Delta allows), undefined for any other
 * type or an invalid decimal.
 *
 * @example
 * decimalOf('decimal(10,2)'); // { precision: 10, scale: 2 }
 */
export function decimalOf(type: string): { precision: number; scale: number } | undefined {
  const m = DECIMAL_RE.exec(type);
  if (!m) return undefined;
  const precision = Number(m[1]);
  const scale = Number(m[2]);
  return precision >= 1 && precision <= 38 && scale <= precision ? { precision, scale } : undefined;
}

/** The canonical spelling of a type ('decimal( 10, 2)' → 'decimal(10,2)'), undefined when not a supported type. */
function canonicalType(type: unknown): DeltaType | undefined {
  if (typeof type !== 'string') return undefined;
  if (PRIMITIVE.has(type)) return type as DeltaType;
  const d = decimalOf(type);
  return d ? `decimal(${d.precision},${d.scale})` : undefined;
}

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
  /** For a nested column, its full type (`type` is then its simple-string name). */
  readonly nested?: NestedType;
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
export type SchemaInput = Readonly<Record<string, ReadableDeltaType | { readonly type: ReadableDeltaType; readonly nullable?: boolean }>>;

/**
 * Parses a type name: a primitive ('long', 'decimal(10,2)') or a nested type in Spark's simple-string form
 * ('array<string>', 'map<string,long>', 'struct<a:long,b:array<date>>'; nested elements, values and fields nullable).
 * Undefined when it is neither.
 *
 * @example
 * parseTypeName('map<string,array<long>>');
 * // { type: 'map', keyType: 'string', valueType: { type: 'array', elementType: 'long', containsNull: true }, valueContainsNull: true }
 */
export function parseTypeName(text: string): DeltaType | NestedType | undefined {
  const s = text.replace(/\s+/g, '');
  let pos = 0;
  const fail = (): never => { throw new Error(`bad type at ${pos}`); };
  const expect = (c: string): void => { if (s[pos] !== c) fail(); pos++; };
  const parse = (): DeltaType | NestedType => {
    if (s.startsWith('array<', pos)) {
      pos += 6;
      const elementType = parse();
      expect('>');
      return { type: 'array', elementType, containsNull: true };
    }
    if (s.startsWith('map<', pos)) {
      pos += 4;
      const keyType = parse();
      expect(',');
      const valueType = parse();
      expect('>');
      return { type: 'map', keyType, valueType, valueContainsNull: true };
    }
    if (s.startsWith('struct<', pos)) {
      pos += 7;
      const fields: { name: string; type: DeltaType | NestedType; nullable: boolean; metadata: Record<string, unknown> }[] = [];
      while (s[pos] !== '>') {
        const colon = s.indexOf(':', pos);
        if (colon <= pos) fail();
        const name = s.slice(pos, colon);
        pos = colon + 1;
        fields.push({ name, type: parse(), nullable: true, metadata: {} });
        if (s[pos] === ',') pos++;
        else if (s[pos] !== '>') fail();
      }
      pos++;
      if (fields.length === 0) fail();
      return { type: 'struct', fields };
    }
    let depth = 0;
    const start = pos;
    while (pos < s.length && (depth > 0 || (s[pos] !== ',' && s[pos] !== '>' && s[pos] !== '<'))) {
      if (s[pos] === '(') depth++;
      if (s[pos] === ')') depth--;
      pos++;
    }
    return canonicalType(s.slice(start, pos)) ?? fail();
  };
  try {
    const t = parse();
    return pos === s.length ? t : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The schema with every nested column's full type (`SchemaField.nested`) filled in from its simple-string name,
 * for schemas built by hand (`{ name: 'tags', type: 'array<string>', … }`).
 *
 * @example
 * withNestedTypes({ fields: [{ name: 't', type: 'array<long>', nullable: true, metadata: {} }] }).fields[0].nested;
 * // { type: 'array', elementType: 'long', containsNull: true }
 */
export function withNestedTypes(schema: TableSchema): TableSchema {
  if (schema.fields.every((f) => f.nested !== undefined || canonicalType(f.type) !== undefined)) return schema;
  return {
    fields: schema.fields.map((f) => {
      if (f.nested !== undefined) return f;
      const t = parseTypeName(f.type);
      return t !== undefined && typeof t === 'object' ? { ...f, nested: t } : f;
    }),
  };
}

/**
 * Whether a type is, or holds, timestamp_ntz (which needs the `timestampNtz` table feature).
 *
 * @example
 * holdsTimestampNtz(parseTypeName('array<timestamp_ntz>')!); // true
 */
export function holdsTimestampNtz(type: DeltaType | NestedType): boolean {
  if (typeof type === 'string') return type === 'timestamp_ntz';
  if (type.type === 'array') return holdsTimestampNtz(type.elementType);
  if (type.type === 'map') return holdsTimestampNtz(type.keyType) || holdsTimestampNtz(type.valueType);
  return type.fields.some((f) => holdsTimestampNtz(f.type));
}

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
    const given = typeof spec === 'string' ? spec : spec.type;
    const nullable = typeof spec === 'string' ? true : spec.nullable ?? true;
    const type = typeof given === 'string' ? parseTypeName(given) : undefined;
    if (type === undefined) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `column '${name}' has unsupported type '${typeof given === 'string' ? given : JSON.stringify(given)}'`, {
        hint: `use one of ${[...PRIMITIVE].join(', ')}, decimal(p,s) with 1 ≤ p ≤ 38 and s ≤ p, or a nested type such as array<string>, map<string,long>, struct<a:long,b:date>`,
      });
    }
    if (name === '' || seen.has(name.toLowerCase())) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `column name '${name}' is empty or duplicated (Delta column names are case-insensitive)`);
    }
    seen.add(name.toLowerCase());
    fields.push(typeof type === 'string' ? { name, type, nullable, metadata: {} } : { name, type: typeName(type) as NestedTypeName, nullable, metadata: {}, nested: type });
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
    // A nested column is written in its JSON form, also when a field was built from its simple-string name alone.
    fields: schema.fields.map((f) => ({ name: f.name, type: f.nested ?? parseTypeName(f.type) ?? f.type, nullable: f.nullable, metadata: f.metadata })),
  });
}

/**
 * Parses a `schemaString`. Nested columns (struct, array, map) are read-only (`SchemaField.nested`); a column whose
 * type Riffle does not know is refused with an error naming the column and its type.
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
    fields: root.fields.map((raw): SchemaField => {
      const common = { name: raw.name, nullable: raw.nullable ?? true, metadata: raw.metadata ?? {} };
      const primitive = canonicalType(raw.type);
      if (primitive !== undefined) return { ...common, type: primitive };
      const nested = nestedTypeOf(raw.type) as NestedType;
      return { ...common, type: typeName(nested) as NestedTypeName, nested };
    }),
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
  return root.fields.filter((raw) => canonicalType(raw.type) === undefined && nestedTypeOf(raw.type) === undefined).map((raw) => ({ name: raw.name, type: typeName(raw.type) }));
}

/** A type as Spark's simple string: 'decimal(10,2)', 'array<string>', 'struct<a:long,b:map<string,int>>'. */
function typeName(type: unknown): string {
  if (typeof type === 'string') return type;
  const t = (type ?? {}) as { type?: unknown; elementType?: unknown; keyType?: unknown; valueType?: unknown; fields?: unknown };
  if (t.type === 'array') return `array<${typeName(t.elementType)}>`;
  if (t.type === 'map') return `map<${typeName(t.keyType)},${typeName(t.valueType)}>`;
  if (t.type === 'struct' && Array.isArray(t.fields)) return `struct<${(t.fields as RawField[]).map((f) => `${f.name}:${typeName(f.type)}`).join(',')}>`;
  return JSON.stringify(type);
}

/**
 * The columns of a `schemaString` whose types Riffle cannot read (unknown types, also inside a nested type), for the protocol
 * check to name them with the other unsupported features; empty when the schema is not a readable struct at all
 * (`schemaFromJson` then says what is wrong).
 *
 * @example
 * unreadableTypes('{"type":"struct","fields":[{"name":"v","type":{"type":"array","elementType":"interval","containsNull":true},"nullable":true,"metadata":{}}]}');
 * // [{ name: 'v', type: 'array<interval>' }]
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
 * Whether `type` is one Riffle can write (every type it reads; nested types are neither).
 *
 * @example
 * isWritableType('decimal(10,2)'); // true
 */
export function isWritableType(type: string): type is DeltaType {
  return canonicalType(type) === type;
}
