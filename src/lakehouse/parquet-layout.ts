/**
 * How Delta columns are laid out in Parquet for writing (PROTOCOL.md "Delta Data Type to Parquet Type Mappings", as
 * Spark and delta-rs write them): each column's schema elements, and its canonical values as hyparquet-writer takes
 * them (dates as days, decimals as unscaled bigints, maps as `Map`s).
 */
import { decimalByteLength, unscaledOfCanonical } from './decimal-value.ts';
import { decimalOf, type DeltaType, type NestedType, type SchemaField } from './schema.ts';
import { dateToDays, type DeltaValue } from './value-mapping.ts';

type SchemaElement = import('hyparquet').SchemaElement;

/**
 * The schema element of a primitive column.
 *
 * @example
 * schemaElement({ name: 'd', type: 'decimal(20,3)' }, false); // FIXED_LEN_BYTE_ARRAY(9) DECIMAL(20,3), OPTIONAL
 */
export function schemaElement(field: Pick<SchemaField, 'name' | 'type'> & Partial<SchemaField>, required: boolean): SchemaElement {
  const repetition_type = required ? 'REQUIRED' : 'OPTIONAL';
  const name = field.name;
  switch (field.type) {
    case 'string': return { name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    case 'long': return { name, repetition_type, type: 'INT64' };
    case 'integer': return { name, repetition_type, type: 'INT32' };
    // Converted types only: hyparquet-writer 0.17 writes the INTEGER logical type's bitWidth as an i32 where Thrift
    // wants a byte, and Arrow then refuses the whole footer (found by test/integration/delta/types.test.ts).
    case 'short': return { name, repetition_type, type: 'INT32', converted_type: 'INT_16' };
    case 'byte': return { name, repetition_type, type: 'INT32', converted_type: 'INT_8' };
    case 'binary': return { name, repetition_type, type: 'BYTE_ARRAY' };
    case 'double': return { name, repetition_type, type: 'DOUBLE' };
    case 'float': return { name, repetition_type, type: 'FLOAT' };
    case 'boolean': return { name, repetition_type, type: 'BOOLEAN' };
    case 'date': return { name, repetition_type, type: 'INT32', converted_type: 'DATE' };
    case 'timestamp': return {
      name, repetition_type, type: 'INT64', converted_type: 'TIMESTAMP_MICROS',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
    };
    // TIMESTAMP_MICROS (the converted type) means adjusted to UTC: a wall-clock timestamp has only the logical type.
    case 'timestamp_ntz': return { name, repetition_type, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } };
    default: {
      const { precision, scale } = decimalOf(field.type) as { precision: number; scale: number };
      const physical = precision <= 9 ? { type: 'INT32' as const } : precision <= 18 ? { type: 'INT64' as const } : { type: 'FIXED_LEN_BYTE_ARRAY' as const, type_length: decimalByteLength(precision) };
      return { name, repetition_type, ...physical, converted_type: 'DECIMAL', precision, scale, logical_type: { type: 'DECIMAL', precision, scale } };
    }
  }
}

/**
 * The schema elements of a column of any type, depth-first: nested types as Spark and delta-rs lay them out (a
 * struct a group of its fields, an array the 3-level LIST `name/list/element`, a map the MAP `name/key_value/{key,
 * value}` with required keys).
 *
 * @example
 * columnElements('tags', { type: 'array', elementType: 'string', containsNull: true }, false); // tags (LIST) / list / element
 */
export function columnElements(name: string, type: DeltaType | NestedType, required: boolean): SchemaElement[] {
  const repetition_type = required ? 'REQUIRED' : 'OPTIONAL';
  if (typeof type === 'string') return [schemaElement({ name, type, nullable: !required, metadata: {} }, required)];
  switch (type.type) {
    case 'struct':
      return [{ name, repetition_type, num_children: type.fields.length }, ...type.fields.flatMap((f) => columnElements(f.name, f.type, !f.nullable))];
    case 'array':
      return [
        { name, repetition_type, converted_type: 'LIST', logical_type: { type: 'LIST' }, num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        ...columnElements('element', type.elementType, !type.containsNull),
      ];
    case 'map':
      return [
        { name, repetition_type, converted_type: 'MAP', logical_type: { type: 'MAP' }, num_children: 1 },
        { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
        ...columnElements('key', type.keyType, true),
        ...columnElements('value', type.valueType, !type.valueContainsNull),
      ];
  }
}

/** A nested value as hyparquet-writer takes it: leaves as `physicalValues` makes them, maps as `Map`s. */
function physicalNested(type: DeltaType | NestedType, v: DeltaValue): unknown {
  if (v === null) return null;
  if (typeof type === 'string') {
    if (type === 'date') return dateToDays(v as string);
    return decimalOf(type) !== undefined ? unscaledOfCanonical(v as string) : v;
  }
  switch (type.type) {
    case 'struct': {
      const o = v as Readonly<Record<string, DeltaValue>>;
      return Object.fromEntries(type.fields.map((f) => [f.name, physicalNested(f.type, o[f.name] ?? null)]));
    }
    case 'array':
      return (v as readonly DeltaValue[]).map((e) => physicalNested(type.elementType, e));
    case 'map':
      return new Map([...(v as ReadonlyMap<DeltaValue, DeltaValue>)].map(([k, x]) => [physicalNested(type.keyType, k), physicalNested(type.valueType, x)]));
  }
}

/**
 * A column's canonical values as hyparquet-writer takes them: dates as days, decimals as unscaled bigints.
 *
 * @example
 * physicalValues({ name: 'd', type: 'decimal(5,2)', nullable: true, metadata: {} }, ['1.50', null]); // [150n, null]
 */
export function physicalValues(field: SchemaField, values: readonly DeltaValue[]): unknown[] {
  if (field.nested !== undefined) return values.map((v) => physicalNested(field.nested!, v));
  if (field.type === 'date') return values.map((v) => (v === null ? null : dateToDays(v as string)));
  if (decimalOf(field.type) !== undefined) return values.map((v) => (v === null ? null : unscaledOfCanonical(v as string)));
  return values as unknown[];
}
