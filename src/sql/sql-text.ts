/**
 * SQL text helpers: quoting identifiers and strings, and the DuckDB type of a Delta column type.
 */

/** The DuckDB type of a Delta column type. */
export function duckType(deltaType: string): string {
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
      return 'VARCHAR';
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
