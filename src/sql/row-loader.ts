/**
 * Rows from JavaScript into a DuckDB table through the appender (DuckDB's bulk insert path): one mechanism for the
 * relations Riffle builds in memory (table_history, table_files, table_changes) and for `sql.transform`'s inputs.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent } from './sql-text.ts';
import { SqlError } from './sql-error.ts';

/** The column types the loader writes. */
export type LoadType = 'VARCHAR' | 'BIGINT' | 'INTEGER' | 'SMALLINT' | 'TINYINT' | 'DOUBLE' | 'FLOAT' | 'BOOLEAN' | 'DATE' | 'TIMESTAMPTZ' | 'BLOB' | 'JSON';

/** One column of a loaded table. */
export interface LoadColumn {
  readonly name: string;
  readonly type: LoadType;
}

type DuckModule = typeof import('@duckdb/node-api');

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Creates the temporary table `name` with `columns` and appends `rows` (arrays in column order, or objects by name).
 * A value that does not fit its column is an error naming the row, the column and the value.
 *
 * @example
 * await loadRows(duck, conn, 'events', [{ name: 'id', type: 'BIGINT' }], [[1n], [2n]]);
 */
export async function loadRows(duck: DuckModule, conn: DuckDBConnection, name: string, columns: readonly LoadColumn[], rows: Iterable<readonly unknown[] | Readonly<Record<string, unknown>>>, what = name): Promise<number> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(name)} (${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`);
  const appender = await conn.createAppender(name, 'main', 'temp');
  let n = 0;
  try {
    for (const row of rows) {
      const values = Array.isArray(row) ? row : columns.map((c) => (row as Record<string, unknown>)[c.name]);
      for (let i = 0; i < columns.length; i++) {
        try {
          append(duck, appender, columns[i].type, values[i]);
        } catch (cause) {
          throw new SqlError('SQL_TYPE', `${what}: row ${n + 1}, column '${columns[i].name}' (${columns[i].type}): cannot take ${describe(values[i])}${cause instanceof Error && !(cause instanceof TypeError) ? ` (${cause.message})` : ''}`, {
            cause, hint: 'give the input collection a schema matching its values',
          });
        }
      }
      appender.endRow();
      n++;
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return n;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'bigint') return `the bigint ${v}`;
  if (v instanceof Date) return `the Date ${Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString()}`;
  return `${typeof v} ${JSON.stringify(v) ?? String(v)}`;
}

function fail(): never {
  throw new TypeError('wrong type');
}

function append(duck: DuckModule, a: DuckDBAppender, type: LoadType, v: unknown): void {
  if (v === null || v === undefined) { a.appendNull(); return; }
  switch (type) {
    case 'VARCHAR':
      if (typeof v !== 'string') fail();
      a.appendVarchar(v);
      return;
    case 'JSON':
      a.appendVarchar(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? (Number.isSafeInteger(Number(x)) ? Number(x) : x.toString()) : x)));
      return;
    case 'BIGINT':
      if (typeof v === 'bigint') a.appendBigInt(v);
      else if (typeof v === 'number' && Number.isSafeInteger(v)) a.appendBigInt(BigInt(v));
      else fail();
      return;
    case 'INTEGER': case 'SMALLINT': case 'TINYINT': {
      const x = typeof v === 'bigint' ? Number(v) : v;
      if (typeof x !== 'number' || !Number.isInteger(x)) fail();
      const limit = type === 'INTEGER' ? 2 ** 31 : type === 'SMALLINT' ? 2 ** 15 : 2 ** 7;
      if (x < -limit || x >= limit) fail();
      if (type === 'INTEGER') a.appendInteger(x);
      else if (type === 'SMALLINT') a.appendSmallInt(x);
      else a.appendTinyInt(x);
      return;
    }
    case 'DOUBLE': case 'FLOAT':
      if (typeof v !== 'number') fail();
      if (type === 'DOUBLE') a.appendDouble(v);
      else a.appendFloat(v);
      return;
    case 'BOOLEAN':
      if (typeof v !== 'boolean') fail();
      a.appendBoolean(v);
      return;
    case 'DATE': {
      let days: number;
      if (v instanceof Date) days = Math.floor(v.getTime() / 86_400_000);
      else if (typeof v === 'string' && DATE_RE.test(v)) days = Math.floor(Date.parse(`${v}T00:00:00Z`) / 86_400_000);
      else fail();
      if (!Number.isFinite(days)) fail();
      a.appendDate(duck.dateValue(days));
      return;
    }
    case 'TIMESTAMPTZ': {
      let micros: bigint;
      if (typeof v === 'bigint') micros = v;
      else if (v instanceof Date && !Number.isNaN(v.getTime())) micros = BigInt(v.getTime()) * 1000n;
      else if (typeof v === 'number' && Number.isFinite(v)) micros = BigInt(Math.round(v * 1000)); // ms since the epoch
      else if (typeof v === 'string' && !Number.isNaN(Date.parse(v)) && /(Z|[+-]\d{2}:?\d{2})$/.test(v)) micros = isoMicros(v);
      else fail();
      a.appendTimestampTZ(duck.timestampTZValue(micros));
      return;
    }
    case 'BLOB':
      if (!(v instanceof Uint8Array)) fail();
      a.appendBlob(v);
      return;
  }
}

/** An ISO-8601 timestamp with a zone as microseconds (sub-millisecond digits kept). */
function isoMicros(s: string): bigint {
  const ms = Date.parse(s);
  const frac = /\.(\d+)/.exec(s)?.[1] ?? '';
  const sub = frac.length > 3 ? BigInt(frac.slice(3, 6).padEnd(3, '0')) : 0n;
  return BigInt(ms) * 1000n + sub;
}
