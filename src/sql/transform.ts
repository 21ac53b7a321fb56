/**
 * `sql.transform(query, { inputs })`: a SQL query over bounded collections, run on DuckDB, as a pipeline step.
 *
 * How it runs: 1. each input's elements are tagged with the input's name and grouped under one key, so that per
 * window all the rows of every input meet in one place (one worker) — a bounded input in the global window is one
 * group; 2. a sink with results (writeToWithResults) receives the group, loads each input into a DuckDB table of
 * the input's name through the appender (row-loader.ts), runs the query and emits its rows in the group's window
 * at the group's timestamp. The session (DuckDB in memory) opens with the sink and closes when the input ends. The
 * query may also read files and Delta tables (`read_parquet(…)`, `delta('path')`).
 *
 * Column types: declared per input (`{ collection, schema: { id: 'long', … } }`), or inferred from the values
 * (strings, booleans, bigints, integers → BIGINT, other numbers → DOUBLE, Dates → TIMESTAMPTZ, Uint8Array → BLOB,
 * objects and arrays → JSON); a column whose values disagree, or a field a declared schema lacks, fails the step
 * naming the input, row and field. Output values: integers as numbers (bigint beyond 2^53), DOUBLE as numbers,
 * DECIMAL as exact strings, DATE as 'YYYY-MM-DD', TIMESTAMP as Date (millisecond precision: select
 * `epoch_us(ts)` for microseconds), lists and structs as arrays and objects.
 *
 * A window in which no input has a row runs no query (a global aggregate over an empty input emits nothing); an
 * input without rows in a window where others have some needs a declared schema.
 *
 * Over unbounded inputs (or with `engine: 'transforms'`) the query is compiled to Riffle transforms instead: the
 * streaming SQL subset of streaming/ (TUMBLE/HOP/SESSION windows, aggregates, joins with tables, EMIT), no DuckDB.
 */
import type { RecordBatch } from 'apache-arrow';
import {
  declareFieldLineage, fieldLineageOf, kv, PCollection, PipelineValidationError, type BoundedWindow, type Instant, type KV, type PTransform, type Sink, type SinkOutput,
} from '../model/index.ts';
import { groupByKey, flattenWith, writeToWithResults } from '../transforms/index.ts';
import type { LoadColumn, LoadType } from './row-loader.ts';
import type { SqlSession } from './sql-session.ts';
import { SqlError } from './sql-error.ts';
import { sqlFieldLineage } from './sql-lineage.ts';
import { parseStreamingSql, planStreamingSql, usesStreamingSyntax, type PlanInput } from './streaming/index.ts';

/** Column types of a declared input schema. */
export type SqlColumnType = 'string' | 'long' | 'integer' | 'short' | 'byte' | 'double' | 'float' | 'boolean' | 'date' | 'timestamp' | 'binary' | 'json';

/** An input: a collection of row objects, with or without a declared schema (column → type, in column order). */
export type SqlInput = PCollection<any> | { readonly collection: PCollection<any>; readonly schema?: Readonly<Record<string, SqlColumnType>> };

/** Options of `sql.transform`. */
export interface SqlTransformOptions {
  /** The query's tables: name → collection. */
  readonly inputs: Readonly<Record<string, SqlInput>>;
  /** The step name (default 'SqlTransform'). */
  readonly name?: string;
  /**
   * Where the query runs: 'duckdb' (bounded inputs only, per window), 'transforms' (the streaming SQL subset compiled
   * to Riffle transforms, any inputs), or 'auto' (default): 'transforms' when an input is unbounded or the query uses
   * streaming SQL's windows (TABLE(TUMBLE(…)), GROUP BY TUMBLE(…)) or EMIT, else 'duckdb'.
   */
  readonly engine?: 'auto' | 'duckdb' | 'transforms';
}

const LOAD_TYPES: Readonly<Record<SqlColumnType, LoadType>> = {
  string: 'VARCHAR', long: 'BIGINT', integer: 'INTEGER', short: 'SMALLINT', byte: 'TINYINT', double: 'DOUBLE', float: 'FLOAT',
  boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMPTZ', binary: 'BLOB', json: 'JSON',
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Tagged {
  readonly i: number;
  readonly row: Record<string, unknown>;
}

/**
 * A SQL query over bounded collections of row objects; the output is its rows (objects by column name).
 *
 * @example
 * const totals = sql.transform('SELECT country, sum(amount) AS total FROM orders GROUP BY country ORDER BY country', {
 *   inputs: { orders: { collection: orders, schema: { id: 'long', country: 'string', amount: 'double' } } },
 * });
 */
export function transform(query: string, options: SqlTransformOptions): PCollection<Record<string, unknown>> {
  const names = Object.keys(options.inputs ?? {});
  const step = options.name ?? 'SqlTransform';
  if (typeof query !== 'string' || query.trim() === '') throw new PipelineValidationError(`${step}: the query is empty`, { hint: "sql.transform('SELECT … FROM input', { inputs: { input } })" });
  if (names.length === 0) throw new PipelineValidationError(`${step}: no inputs`, { hint: 'name the query\'s tables: { inputs: { orders: ordersCollection } }' });
  const inputs = names.map((name) => {
    const given = options.inputs[name];
    const collection = given instanceof PCollection ? given : given?.collection;
    if (!(collection instanceof PCollection)) throw new PipelineValidationError(`${step}: input '${name}' is not a collection`, { hint: 'give a PCollection, or { collection, schema }' });
    if (!IDENT.test(name)) throw new PipelineValidationError(`${step}: input name '${name}' is not a plain SQL identifier`, { hint: 'use letters, digits and underscores (the name is the table name in the query)' });
    const schema = given instanceof PCollection ? undefined : given.schema;
    if (schema !== undefined) {
      for (const [column, type] of Object.entries(schema)) {
        if (!(type in LOAD_TYPES)) throw new PipelineValidationError(`${step}: input '${name}', column '${column}': unknown type '${String(type)}'`, { hint: `types: ${Object.keys(LOAD_TYPES).join(', ')}` });
      }
    }
    return { name, collection, schema };
  });
  const engine = options.engine ?? 'auto';
  if (engine !== 'auto' && engine !== 'duckdb' && engine !== 'transforms') {
    throw new PipelineValidationError(`${step}: unknown engine '${String(engine)}'`, { hint: "engine: 'auto' | 'duckdb' | 'transforms'" });
  }
  const unbounded = inputs.find(({ collection }) => !collection.bounded);
  if (engine === 'duckdb' && unbounded) {
    throw new PipelineValidationError(`${step}: input '${unbounded.name}' ('${unbounded.collection.name}') is unbounded; the DuckDB engine runs over bounded collections only`, {
      hint: "use engine 'transforms' (or 'auto'): streaming SQL compiles the query to transforms (TUMBLE/HOP/SESSION windows, EMIT)",
    });
  }
  if (engine === 'transforms' || (engine === 'auto' && (unbounded || streamingSyntax(query)))) return withLineage(streamingTransform(query, step, inputs), query, inputs);
  const first = inputs[0].collection;
  const composite: PTransform<PCollection<unknown>, PCollection<Record<string, unknown>>> = {
    name: step,
    expand() {
      const tagged = inputs.map(({ name, collection }, i) => collection.map((row: Record<string, unknown>) => kv('sql', { i, row } as Tagged), `Tag.${name}`));
      const grouped = tagged[0].apply(flattenWith(tagged.slice(1))).apply(groupByKey<string, Tagged>());
      return grouped.apply(writeToWithResults(querySink(query, step, inputs.map(({ name, schema }) => ({ name, schema })))));
    },
  };
  return withLineage(first.apply(composite), query, inputs);
}

/** Declares the output's field lineage from the select list (sql-lineage.ts), when it can be told; the output. */
function withLineage(out: PCollection<Record<string, unknown>>, query: string, inputs: readonly { name: string; collection: PCollection<any>; schema: Readonly<Record<string, SqlColumnType>> | undefined }[]): PCollection<Record<string, unknown>> {
  const known = new Map(inputs.map(({ name, collection, schema }) => {
    const upstream = fieldLineageOf(collection.graph, collection.id);
    return [name, { collection: collection.id, columns: schema ? Object.keys(schema) : upstream ? Object.keys(upstream.fields) : undefined }];
  }));
  const lineage = sqlFieldLineage(query, known);
  if (lineage !== undefined) declareFieldLineage(out, lineage);
  return out;
}

/** A query that parses as streaming SQL and uses its window spellings or EMIT (DuckDB would reject those). */
function streamingSyntax(query: string): boolean {
  try {
    return usesStreamingSyntax(parseStreamingSql(query));
  } catch {
    return false; // not streaming SQL: DuckDB parses it (and reports its own errors)
  }
}

/** The streaming SQL subset compiled to transforms (parsed and planned now, so a refusal names the construct before the run). */
function streamingTransform(query: string, step: string, inputs: readonly { name: string; collection: PCollection<any>; schema: Readonly<Record<string, SqlColumnType>> | undefined }[]): PCollection<Record<string, unknown>> {
  const select = parseStreamingSql(query);
  const planInputs = new Map<string, PlanInput>(inputs.map(({ name, collection, schema }) => [name, { collection, columns: schema ? Object.keys(schema) : undefined }]));
  const composite: PTransform<PCollection<unknown>, PCollection<Record<string, unknown>>> = {
    name: step,
    expand: () => planStreamingSql(query, select, planInputs, 'Sql'),
  };
  return inputs[0].collection.apply(composite);
}

/** The sink that runs the query once per group (per window). */
function querySink(query: string, step: string, inputs: readonly { name: string; schema: Readonly<Record<string, SqlColumnType>> | undefined }[]): Sink<KV<string, Tagged[]>, Record<string, unknown>> {
  return {
    describe: () => `sql(${query.replace(/\s+/g, ' ').slice(0, 60)})`,
    async open() {
      const { SqlSession } = await import('./sql-session.ts');
      const session: SqlSession = await SqlSession.open();
      let pending: { groups: Tagged[]; timestamp: Instant; window: BoundedWindow }[] = [];
      let closed = false;
      const close = () => {
        if (!closed) session.close();
        closed = true;
      };
      const run = async (): Promise<SinkOutput<Record<string, unknown>>[]> => {
        const out: SinkOutput<Record<string, unknown>>[] = [];
        const batch = pending;
        pending = [];
        for (const { groups, timestamp, window } of batch) {
          const rowsOf = inputs.map(() => [] as Record<string, unknown>[]);
          for (const t of groups) rowsOf[t.i].push(t.row);
          for (let k = 0; k < inputs.length; k++) {
            const { name, schema } = inputs[k];
            // Arrow record batches (io.delta.read(…, { batches: true })) load by data chunks, column by column.
            if (rowsOf[k].length > 0 && rowsOf[k][0] instanceof (await import('apache-arrow')).RecordBatch) {
              await (await import('./column-loader.ts')).loadBatches(session.connection, name, rowsOf[k] as unknown as RecordBatch[]);
              continue;
            }
            const columns = schema ? declaredColumns(schema, rowsOf[k], step, name) : inferColumns(rowsOf[k], step, name);
            await session.load(name, columns, rowsOf[k], `${step}: input '${name}'`);
          }
          const result = await session.query(query, { values: 'js' });
          for (const r of result.rows) {
            const value: Record<string, unknown> = {};
            result.columns.forEach((c, i) => (value[c.name] = r[i]));
            out.push({ value, timestamp, window });
          }
        }
        return out;
      };
      return {
        write(value, timestamp, window) {
          pending.push({ groups: value.value, timestamp, window });
        },
        flush: () => (pending.length > 0 ? run() : undefined),
        endOfInput: () => (pending.length > 0 ? run() : undefined),
        finish: async () => close(),
        abort: async () => close(),
      };
    },
  };
}

function declaredColumns(schema: Readonly<Record<string, SqlColumnType>>, rows: readonly Record<string, unknown>[], step: string, input: string): LoadColumn[] {
  const known = new Set(Object.keys(schema));
  rows.forEach((row, n) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new SqlError('SQL_TYPE', `${step}: input '${input}', row ${n + 1} is not an object`, { hint: 'sql.transform reads collections of row objects' });
    for (const key of Object.keys(row)) {
      if (!known.has(key)) throw new SqlError('SQL_TYPE', `${step}: input '${input}', row ${n + 1} has the field '${key}', which its schema lacks`, { hint: `add it to the schema (columns: ${[...known].join(', ')}), or drop it before the step` });
    }
  });
  return Object.entries(schema).map(([name, type]) => ({ name, type: LOAD_TYPES[type] }));
}

/** Column types from the values (first-seen column order); a column whose values disagree is an error. */
export function inferColumns(rows: readonly Record<string, unknown>[], step: string, input: string): LoadColumn[] {
  if (rows.length === 0) {
    throw new SqlError('SQL_TYPE', `${step}: input '${input}' has no rows in this window and no declared schema, so its columns are unknown`, {
      hint: `declare its schema: { inputs: { ${input}: { collection, schema: { column: 'string' | 'long' | … } } } }`,
    });
  }
  const types = new Map<string, { type: LoadType | undefined; row: number }>();
  const kind = (v: unknown): LoadType | undefined => {
    if (v === null || v === undefined) return undefined;
    if (typeof v === 'string') return 'VARCHAR';
    if (typeof v === 'boolean') return 'BOOLEAN';
    if (typeof v === 'bigint') return 'BIGINT';
    if (typeof v === 'number') return Number.isSafeInteger(v) ? 'BIGINT' : 'DOUBLE';
    if (v instanceof Date) return 'TIMESTAMPTZ';
    if (v instanceof Uint8Array) return 'BLOB';
    return 'JSON';
  };
  rows.forEach((row, n) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new SqlError('SQL_TYPE', `${step}: input '${input}', row ${n + 1} is not an object`, { hint: 'sql.transform reads collections of row objects' });
    for (const [key, v] of Object.entries(row)) {
      const t = kind(v);
      const seen = types.get(key);
      if (!seen) { types.set(key, { type: t, row: n }); continue; }
      if (t === undefined || seen.type === t) continue;
      if (seen.type === undefined) { types.set(key, { type: t, row: n }); continue; }
      // Integers and other numbers mix as DOUBLE when no integer is beyond 2^53.
      const numeric = new Set([seen.type, t]);
      if (numeric.has('BIGINT') && numeric.has('DOUBLE') && typeof v !== 'bigint' && !rows.some((r) => typeof r[key] === 'bigint')) { seen.type = 'DOUBLE'; continue; }
      throw new SqlError('SQL_TYPE', `${step}: input '${input}', field '${key}': row ${seen.row + 1} has a ${seen.type} value, row ${n + 1} a ${t} value`, {
        hint: `declare the input's schema ({ collection, schema: { ${key}: 'string' | 'long' | 'double' | … } }) or make the values agree`,
      });
    }
  });
  return [...types].map(([name, { type }]) => ({ name, type: type ?? 'VARCHAR' }));
}
