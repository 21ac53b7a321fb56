/**
 * SQL text helpers: quoting identifiers and strings, and the DuckDB type of a Delta column type.
 */

// Types only: riffle/sql loads no part of the lakehouse until a session opens (test/sql/light-import.test.ts).
import type { DeltaType, NestedType } from '../lakehouse/index.ts';

/**
 * The DuckDB type of a Delta column type; nested ones (named as Spark's simple strings) as LIST/MAP/STRUCT when the
 * lakehouse's `parseTypeName` is given (callers that loaded the lakehouse pass it), else VARCHAR.
 */
export function duckType(deltaType: string, parseTypeName?: (text: string) => DeltaType | NestedType | undefined): string {
  switch (deltaType) {
    case 'string': return 'VARCHAR';
    case 'long': return 'BIGINT';
    case 'integer': return 'INTEGER';
    case 'short': return 'SMALLINT';
    case 'byte': return 'TINYINT';
    case 'float': return 'FLOAT';
    case 'double': return 'DOUBLE';
    case 'boolean': return 'BOOLEAN';
    case 'binary': return 'BLOB';
    case 'date': return 'DATE';
    case 'timestamp': return 'TIMESTAMPTZ';
    case 'timestamp_ntz': return 'TIMESTAMP';
    default: {
      const dec = /^decimal\((\d+),\s*(\d+)\)$/.exec(deltaType);
      if (dec) return `DECIMAL(${dec[1]},${dec[2]})`;
      const nested = parseTypeName?.(deltaType);
      return nested !== undefined && typeof nested === 'object' ? duckNestedType(nested, parseTypeName!) : 'VARCHAR';
    }
  }
}

/** `"name"` with inner quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `'text'` with inner quotes doubled. */
export function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function duckNestedType(t: NestedType | string, parseTypeName: (text: string) => DeltaType | NestedType | undefined): string {
  if (typeof t === 'string') return duckType(t, parseTypeName);
  switch (t.type) {
    case 'array': return `${duckNestedType(t.elementType, parseTypeName)}[]`;
    case 'map': return `MAP(${duckNestedType(t.keyType, parseTypeName)}, ${duckNestedType(t.valueType, parseTypeName)})`;
    case 'struct': return `STRUCT(${t.fields.map((f) => `${quoteIdent(f.name)} ${duckNestedType(f.type, parseTypeName)}`).join(', ')})`;
  }
}
