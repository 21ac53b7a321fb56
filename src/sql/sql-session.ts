/**
 * A SQL session: DuckDB in this process (in memory) plus Riffle's table functions over Delta tables.
 *
 * How a query runs: 1. find the calls of `delta()`, `table_history()`, `table_files()` and `table_changes()` in its
 * text and replace each by a relation of its own (`__riffle_delta_0`, …), remembering the replacements to map
 * DuckDB's error positions back to the query as written; 2. have DuckDB parse the rewritten query
 * (`json_serialize_sql`): a syntax error stops here, before any table is opened; 3. resolve each Delta snapshot
 * (version, timestamp), keep the files that may match the query's simple predicates on that scan (partition
 * pruning, min/max skipping: scan-predicates.ts) and define the relation as a view over only those files
 * (delta-relation.ts); the metadata functions become temporary tables (row-loader.ts); 4. run the query.
 *
 * Sessions run with TimeZone=UTC (timestamps print and parse in UTC whatever the machine's zone) and DuckDB's
 * errors as JSON (positions and candidates for the messages).
 */
import { resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Predicate, Snapshot } from '../lakehouse/index.ts';
import { duckType, quoteString } from './sql-text.ts';
import { loadRows, type LoadColumn, type LoadType } from './row-loader.ts';
import { extractScanPredicates, type ScanColumn, type SessionSettings } from './scan-predicates.ts';
import { fromDuckDbError, SqlError } from './sql-error.ts';
import { findTableFunctionCalls, type TableFunctionCall } from './table-function-calls.ts';

type DuckModule = typeof import('@duckdb/node-api');
type Lakehouse = typeof import('../lakehouse/index.ts');

/** A column of a result: its name and DuckDB type (`BIGINT`, `VARCHAR`, `STRUCT(...)`, …). */
export interface ResultColumn {
  readonly name: string;
  readonly type: string;
}

/** What one Delta scan of a query read: the snapshot's files and those handed to DuckDB. */
export interface ScanReport {
  readonly table: string;
  readonly version: number;
  readonly filesTotal: number;
  readonly filesRead: number;
  /** The predicate used for pruning and skipping (absent when none applied). */
  readonly predicate?: Predicate;
}

/**
 * A query's result: columns, rows (arrays of JSON values in column order: integers beyond 2^53 and decimals as
 * strings, timestamps and dates as DuckDB prints them, lists and structs as arrays and objects) and the Delta scans.
 */
export interface QueryResult {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly unknown[])[];
  readonly scans: readonly ScanReport[];
}

/** Options of a session. */
export interface SqlSessionOptions {
  /** Relative paths (Delta tables and files) resolve against it (default: the process's working directory). */
  readonly cwd?: string;
  /** Allow data files a Delta log names by absolute URI (see the lakehouse's `allowExternalFiles`). */
  readonly allowExternalFiles?: boolean;
  /** DuckDB threads (default: DuckDB's, the number of cores). */
  readonly threads?: number;
  /** A DuckDB database file to open (created if missing; default: a database in memory). */
  readonly database?: string;
}

type DeltaRelation = typeof import('./delta-relation.ts');

let modules: Promise<[DuckModule, Lakehouse, DeltaRelation]> | undefined;
/** DuckDB and the lakehouse, imported on first use (never by `import 'riffle'` or `riffle --help`). */
export function loadModules(): Promise<[DuckModule, Lakehouse, DeltaRelation]> {
  modules ??= Promise.all([import('@duckdb/node-api'), import('../lakehouse/index.ts'), import('./delta-relation.ts')]);
  return modules;
}

/**
 * One DuckDB database in memory, with Riffle's table functions.
 *
 * @example
 * const session = await SqlSession.open();
 * const { rows, scans } = await session.query("SELECT country, count(*) FROM delta('data/events') WHERE day = '2024-05-01' GROUP BY 1");
 * session.close();
 */
export class SqlSession {
  private counter = 0;
  private constructor(
    private readonly duck: DuckModule,
    private readonly lakehouse: Lakehouse,
    private readonly instance: DuckDBInstance,
    /** The session's connection (for `sql.transform`'s loads). */
    readonly connection: DuckDBConnection,
    private readonly options: SqlSessionOptions,
  ) {}

  /** Opens a session (loads DuckDB). */
  static async open(options: SqlSessionOptions = {}): Promise<SqlSession> {
    const [duck, lakehouse] = await loadModules();
    const config: Record<string, string> = {};
    if (options.threads !== undefined) config.threads = String(options.threads);
    const instance = await duck.DuckDBInstance.create(options.database ?? ':memory:', config);
    const connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    await connection.run('SET errors_as_json = true');
    // Relative paths of read_csv/read_parquet/… resolve against the session's directory, as delta()'s do.
    if (options.cwd !== undefined) await connection.run(`SET file_search_path = ${quoteString(resolve(options.cwd))}`);
    return new SqlSession(duck, lakehouse, instance, connection, options);
  }

  /** DuckDB's module (for loaders). */
  get duckdb(): DuckModule {
    return this.duck;
  }

  /**
   * Runs one query (or several statements separated by `;`: the result is the last one's). Values are JSON values
   * (see QueryResult), or with `values: 'js'` JavaScript ones: integers as numbers (bigint beyond 2^53), DECIMAL as
   * exact strings, DATE as 'YYYY-MM-DD', TIMESTAMP as Date, BLOB as Uint8Array, lists and structs as arrays and objects.
   *
   * @example
   * const { columns, rows } = await session.query("SELECT * FROM read_parquet('data/*.parquet') LIMIT 5");
   */
  async query(sql: string, options: { values?: 'json' | 'js' } = {}): Promise<QueryResult> {
    const calls = findTableFunctionCalls(sql);
    const names = calls.map((c) => `__riffle_${c.fn}_${this.counter++}`);
    const { text, mapPosition } = rewrite(sql, calls, names);
    const scans: ScanReport[] = [];
    let prefix = '';
    let firstCall = 0;
    if (calls.length > 0) {
      // The parse tree of the rewritten query: syntax errors before any table is opened; the predicates of scans.
      // (One round trip for the tree and the settings: each costs about a millisecond.)
      const { tree, settings } = await this.parse(text, sql, mapPosition);
      const deltaColumns = new Map<string, readonly ScanColumn[]>();
      const snapshots = new Map<string, Snapshot>();
      const loaded = await Promise.all(calls.map((call) => (call.fn === 'delta' ? this.snapshot(call, sql) : undefined)));
      loaded.forEach((snapshot, i) => {
        if (!snapshot) return;
        snapshots.set(names[i], snapshot);
        deltaColumns.set(names[i], snapshot.schema.fields.map((f) => ({ name: f.name, type: f.type })));
      });
      const predicates = tree ? extractScanPredicates(tree, deltaColumns, settings) : new Map<string, Predicate>();
      const views: string[] = [];
      for (let i = 0; i < calls.length; i++) {
        const call = calls[i];
        const name = names[i];
        try {
          if (call.fn === 'delta') {
            const snapshot = snapshots.get(name) as Snapshot;
            const predicate = predicates.get(name);
            const pruned = predicate ? snapshot.filesMatching(predicate).files : [...snapshot.files];
            const [, , { deltaRelationSql }] = await loadModules();
            // DuckDB reads files by path (httpfs is not available offline): a table in an object store is read from
            // local copies of the files that survive pruning (kept for the process, removed at exit).
            const copies = this.lakehouse.isObjectStoreUrl(snapshot.tablePath) ? await this.lakehouse.localCopies(pruned.map((f) => f.absolutePath), snapshot.tablePath) : undefined;
            const files = copies !== undefined ? pruned.map((f, k) => ({ ...f, absolutePath: copies[k] })) : pruned;
            const select = await deltaRelationSql(snapshot, files, (q) => this.rows(q));
            views.push(`CREATE OR REPLACE TEMP VIEW ${name} AS ${select}`);
            scans.push({ table: String(call.args[0].value), version: snapshot.version, filesTotal: snapshot.files.length, filesRead: files.length, ...(predicate ? { predicate } : {}) });
          } else {
            await this.metadataTable(call, name, sql);
          }
        } catch (e) {
          throw this.callError(e, call, sql);
        }
      }
      // The views run in the same round trip as the query, before it; an error among them (a data file the log names
      // is missing or unreadable) points at the first delta() call.
      if (views.length > 0) {
        prefix = `${views.join(';\n')};\n`;
        firstCall = calls.find((c) => c.fn === 'delta')?.start ?? 0;
      }
    }
    let reader;
    try {
      reader = await this.connection.runAndReadAll(prefix + text);
    } catch (e) {
      throw fromDuckDbError(e, prefix + text, sql, (p) => (p < prefix.length ? firstCall : mapPosition(p - prefix.length)));
    }
    const columns = reader.columnNames().map((name, i) => ({ name, type: reader.columnType(i).toString() }));
    const rows = options.values === 'js' ? jsRows(reader, columns) : reader.getRowsJson().map((r) => r.map((v, i) => jsonValue(v, columns[i].type)));
    return { columns, rows, scans };
  }

  /** The user's tables and views (Riffle's internal relations left out). */
  async tables(): Promise<string[]> {
    const rows = await this.rows("SELECT table_name FROM information_schema.tables WHERE table_name NOT LIKE '\\_\\_riffle\\_%' ESCAPE '\\' ORDER BY 1");
    return rows.map((r) => String(r[0]));
  }

  /** Closes the connection and the database. */
  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  /** Creates the temporary table `name` from rows (see row-loader.ts). */
  load(name: string, columns: readonly LoadColumn[], rows: Iterable<readonly unknown[] | Readonly<Record<string, unknown>>>, what?: string): Promise<number> {
    return loadRows(this.duck, this.connection, name, columns, rows, what);
  }

  private async rows(q: string): Promise<unknown[][]> {
    const r = await this.connection.runAndReadAll(q);
    return r.getRowsJson() as unknown[][];
  }

  /** The parse tree (undefined for statements other than SELECT) and the settings that matter to skipping. */
  private async parse(text: string, sql: string, mapPosition: (p: number) => number): Promise<{ tree: unknown; settings: SessionSettings }> {
    const [[serialized, collation, timeZone]] = await this.rows(`SELECT json_serialize_sql(${quoteString(text)}), current_setting('default_collation'), current_setting('TimeZone')`);
    const settings = { defaultCollation: String(collation ?? ''), timeZone: String(timeZone) };
    const tree = JSON.parse(String(serialized)) as { error?: boolean; error_type?: string; error_message?: string; position?: string };
    if (tree.error !== true) return { tree, settings };
    if (tree.error_type === 'parser') {
      const pos = tree.position !== undefined ? Number(tree.position) : undefined;
      const position = pos !== undefined && Number.isFinite(pos) ? mapPosition(Buffer.from(text).subarray(0, pos).toString().length) : undefined;
      throw new SqlError('SQL_SYNTAX', `syntax error: ${String(tree.error_message).replace(/^syntax error /, '')}`, { sql, position });
    }
    return { tree: undefined, settings }; // not a SELECT (COPY, CREATE … AS, EXPLAIN): no skipping, every file is read
  }

  private resolvePath(call: TableFunctionCall): string {
    const path = String(call.args[0].value);
    return this.lakehouse.isObjectStoreUrl(path) ? path : resolve(this.options.cwd ?? process.cwd(), path);
  }

  private named(call: TableFunctionCall, name: string): string | number | undefined {
    return call.args.find((a) => a.name === name)?.value;
  }

  private async snapshot(call: TableFunctionCall, sql: string): Promise<Snapshot> {
    try {
      const table = await this.lakehouse.DeltaTable.open(this.resolvePath(call), { allowExternalFiles: this.options.allowExternalFiles === true });
      const version = this.named(call, 'version');
      const timestamp = this.named(call, 'timestamp');
      if (version !== undefined && typeof version !== 'number') throw new SqlError('SQL_INVALID_ARGUMENT', `${call.fn}(): version must be a number`, { sql, position: call.start });
      return await table.snapshot(version !== undefined ? { version } : timestamp !== undefined ? { timestamp: String(timestamp) } : {});
    } catch (e) {
      throw this.callError(e, call, sql);
    }
  }

  /** A failure of a table function (missing table, bad version) as a SqlError pointing at the call. */
  private callError(e: unknown, call: TableFunctionCall, sql: string): Error {
    if (e instanceof SqlError) return e;
    const isRiffle = e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && (e as { domain?: unknown }).domain !== undefined;
    if (!isRiffle) {
      if (e instanceof Error && e.message.includes('"exception_type"')) return fromDuckDbError(e, '', sql, () => call.start);
      return e instanceof Error ? e : new Error(String(e));
    }
    const err = e as Error & { code: string; hint?: string };
    const message = err.message.split('\n  hint: ')[0];
    const code = /NOT_FOUND|NOT_A_TABLE|MISSING/.test(err.code) ? 'SQL_TABLE_NOT_FOUND' : err.code === 'DELTA_UNSUPPORTED_FEATURE' ? 'SQL_UNSUPPORTED' : 'SQL_INVALID_ARGUMENT';
    return new SqlError(code, `${call.fn}('${String(call.args[0].value)}'): ${message}`, { sql, position: call.start, hint: err.hint, cause: e });
  }

  private async metadataTable(call: TableFunctionCall, name: string, sql: string): Promise<void> {
    const table = await this.lakehouse.DeltaTable.open(this.resolvePath(call), { allowExternalFiles: this.options.allowExternalFiles === true });
    if (call.fn === 'table_history') {
      const limit = this.named(call, 'limit');
      if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1)) throw new SqlError('SQL_INVALID_ARGUMENT', 'table_history(): limit must be a positive integer', { sql, position: call.start });
      const history = await table.history(limit as number | undefined);
      await this.load(name, [
        { name: 'version', type: 'BIGINT' }, { name: 'timestamp', type: 'TIMESTAMPTZ' }, { name: 'operation', type: 'VARCHAR' },
        { name: 'operation_parameters', type: 'JSON' }, { name: 'operation_metrics', type: 'JSON' }, { name: 'engine_info', type: 'VARCHAR' },
      ], history.map((h) => [h.version, new Date(h.timestamp), h.operation ?? null, h.operationParameters, h.commitInfo.operationMetrics ?? null, h.commitInfo.engineInfo ?? null]));
      return;
    }
    if (call.fn === 'table_files') {
      const version = this.named(call, 'version');
      const timestamp = this.named(call, 'timestamp');
      const snapshot = await table.snapshot(typeof version === 'number' ? { version } : timestamp !== undefined ? { timestamp: String(timestamp) } : {});
      const types = new Map(snapshot.schema.fields.map((f) => [f.name, f.type]));
      const { formatTimestamp } = this.lakehouse;
      const plain = (m: ReadonlyMap<string, unknown>) => Object.fromEntries([...m].map(([k, v]) => [k, types.get(k) === 'timestamp' && typeof v === 'bigint' ? formatTimestamp(v) : v]));
      await this.load(name, [
        { name: 'path', type: 'VARCHAR' }, { name: 'size_bytes', type: 'BIGINT' }, { name: 'modification_time', type: 'TIMESTAMPTZ' },
        { name: 'partition_values', type: 'JSON' }, { name: 'num_records', type: 'BIGINT' }, { name: 'min_values', type: 'JSON' },
        { name: 'max_values', type: 'JSON' }, { name: 'null_count', type: 'JSON' }, { name: 'version', type: 'BIGINT' },
      ], snapshot.files.map((f) => [
        f.path, f.size, new Date(f.modificationTime), plain(new Map(Object.entries(f.partitionValues))), f.stats.numRecords ?? null, plain(f.stats.min), plain(f.stats.max), plain(f.stats.nullCount), snapshot.version,
      ]));
      return;
    }
    // table_changes(path, from, to)
    const [, from, to] = call.args.filter((a) => a.name === undefined).map((a) => a.value);
    for (const v of [from, to]) {
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) throw new SqlError('SQL_INVALID_ARGUMENT', 'table_changes(): versions must be non-negative integers', { sql, position: call.start });
    }
    if (typeof to === 'number' && to < (from as number)) throw new SqlError('SQL_INVALID_ARGUMENT', `table_changes(): to (${to}) is before from (${String(from)})`, { sql, position: call.start });
    const changes = await table.changes({ startingVersion: from as number, ...(typeof to === 'number' ? { endingVersion: to } : {}) });
    const schema = await table.schema();
    const columns: LoadColumn[] = [
      ...schema.fields.map((f) => ({ name: f.name, type: loadType(f.type) })),
      { name: '_change_type', type: 'VARCHAR' }, { name: '_commit_version', type: 'BIGINT' }, { name: '_commit_timestamp', type: 'TIMESTAMPTZ' },
    ];
    await this.load(name, columns, changes as Iterable<Readonly<Record<string, unknown>>>);
  }
}

function loadType(deltaType: string): LoadType {
  const t = duckType(deltaType);
  return (['VARCHAR', 'BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'DOUBLE', 'FLOAT', 'BOOLEAN', 'DATE', 'TIMESTAMPTZ', 'BLOB'] as string[]).includes(t) ? (t as LoadType) : 'VARCHAR';
}

/** Replaces each call by its relation name; maps positions in the result back to the original text. */
function rewrite(sql: string, calls: readonly TableFunctionCall[], names: readonly string[]): { text: string; mapPosition: (p: number) => number } {
  let text = '';
  let last = 0;
  const spans: { at: number; length: number; from: number; fromLength: number }[] = [];
  calls.forEach((c, i) => {
    text += sql.slice(last, c.start);
    spans.push({ at: text.length, length: names[i].length, from: c.start, fromLength: c.end - c.start });
    text += names[i];
    last = c.end;
  });
  text += sql.slice(last);
  const mapPosition = (p: number): number => {
    let shift = 0;
    for (const s of spans) {
      if (p < s.at) break;
      if (p < s.at + s.length) return s.from;
      shift = s.from + s.fromLength - (s.at + s.length);
    }
    return p + shift;
  };
  return { text, mapPosition };
}

const BIG_INTEGERS = new Set(['BIGINT', 'HUGEINT', 'UBIGINT', 'UHUGEINT']);

/** DuckDB's JSON form of a value, with 64-bit integers as numbers when they are safe ones. */
function jsonValue(v: unknown, type: string): unknown {
  if (typeof v === 'string' && BIG_INTEGERS.has(type)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  return v;
}

/** Rows as JavaScript values (see `query`'s `values: 'js'`). */
function jsRows(reader: { getRowsJS(): unknown[][]; getRowsJson(): unknown[][] }, columns: readonly ResultColumn[]): unknown[][] {
  const rows = reader.getRowsJS();
  const decimals = columns.some((c) => c.type.startsWith('DECIMAL')) ? reader.getRowsJson() : undefined;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let i = 0; i < columns.length; i++) {
      const v = row[i];
      const type = columns[i].type;
      if (v === null) continue;
      if (typeof v === 'bigint') row[i] = Number.isSafeInteger(Number(v)) ? Number(v) : v;
      else if (type === 'DATE' && v instanceof Date) row[i] = v.toISOString().slice(0, 10);
      else if (decimals && type.startsWith('DECIMAL')) row[i] = decimals[r][i];
    }
  }
  return rows;
}
