/**
 * SQL identifiers for io.postgres: every table and column name reaches SQL quoted (`"a""b"`), never interpolated
 * raw; values always travel as parameters.
 */
import { ConfigError } from '../../model/index.ts';

/** Quotes one identifier (doubling embedded quotes). A NUL byte cannot be part of a PostgreSQL name. */
export function quoteIdent(name: string): string {
  if (typeof name !== 'string' || name === '' || name.includes('\0')) {
    throw new ConfigError(`io.postgres: invalid identifier ${JSON.stringify(name)}`, { hint: 'names are non-empty strings without NUL bytes' });
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** A table named `name` or `schema.name` (the first dot separates; quote-free names only use the parts as given). */
export interface TableName {
  readonly schema?: string;
  readonly name: string;
}

/**
 * Parses `table` or `schema.table` into parts. Names are taken literally (case kept: `Events` is `"Events"`), as
 * written in the catalog.
 *
 * @example parseTableName('public.events') // { schema: 'public', name: 'events' }
 */
export function parseTableName(table: string, what: string): TableName {
  if (typeof table !== 'string' || table === '') throw new ConfigError(`${what}: the table must be a non-empty string`);
  const dot = table.indexOf('.');
  if (dot < 0) return { name: table };
  const schema = table.slice(0, dot);
  const name = table.slice(dot + 1);
  if (schema === '' || name === '') throw new ConfigError(`${what}: invalid table name '${table}'`, { hint: "write 'table' or 'schema.table'" });
  return { schema, name };
}

/** The quoted, possibly schema-qualified name. */
export function quoteTable(table: TableName): string {
  return table.schema === undefined ? quoteIdent(table.name) : `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
}
