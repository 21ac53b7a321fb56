/**
 * Data assets: what a checkpoint (or `validateAsset`) validates — rows in memory, files (CSV/TSV, JSON Lines,
 * Parquet; a path, a directory or a glob, gzip transparently) or a Delta table (latest, a version or a timestamp).
 * Every asset is read as a stream of row batches, so memory stays at about one batch (files) or one Parquet row
 * group (Parquet, Delta) whatever the data's size, and the suite's metrics are computed in the same single pass.
 *
 * CSV files are read by the shared CSV reader of io/files (one tokenizer, recovery rule and typing rule for every CSV
 * reader of Riffle); records it cannot read are counted in `ScanOptions.malformed`. Cells are typed as pandas reads
 * them (so suites written for GE hold here too): empty or an NA string (`NA`, `null`, `NaN`, ...) → missing; a column
 * whose cells are all numbers (`inf` included) holds numbers; true/false → booleans; anything else is text, including
 * integers with a leading zero (`007`, unlike pandas: see io/files csv-typing.ts). Because the file is streamed,
 * column kinds are inferred from the first `inferRows` data rows (default 10 000); a later cell that does not fit its
 * column's kind stays text (pandas would turn the whole column to text). `types: 'text'` keeps every cell as text
 * (contracts coerce cells themselves); a map of column → kind fixes kinds.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { files } from '../io/index.ts';
import { DataAssetError, SuiteError } from './quality-error.ts';
import type { Row } from './values.ts';
import { scanCsvColumnar } from './csv-columnar.ts';
import { scanDelta, scanParquetFile } from './parquet-scan.ts';

/** How CSV cells become values: inferred per column (default), all text, or fixed kinds per column. */
export type CsvTypes = 'infer' | 'text' | Readonly<Record<string, CellKind>>;
export type CellKind = 'number' | 'boolean' | 'string';
export type FileFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';

/** Rows held in memory (or produced by an iterator). */
export interface RowsAsset {
  readonly kind: 'rows';
  readonly name: string;
  readonly rows: Iterable<Row> | AsyncIterable<Row>;
  readonly columns?: readonly string[];
}

/** One or more files: a path, a directory (its files) or a glob. */
export interface FileAsset {
  readonly kind: 'file';
  readonly name: string;
  readonly path: string | readonly string[];
  /** Default: from the file name (.csv/.tsv/.jsonl/.ndjson/.json/.parquet, optionally .gz). */
  readonly format?: FileFormat;
  readonly types?: CsvTypes;
  /** Data rows read to infer CSV column kinds (default 10 000; Infinity: every row, in a first pass). */
  readonly inferRows?: number;
  /** 'error' (default): a line that is not UTF-8 is a malformed record; 'replace': invalid bytes read as U+FFFD. */
  readonly invalidUtf8?: files.InvalidUtf8;
  /**
   * Kinds declared for some CSV columns (`--columns`/`--schema`), whatever `types` says for the others; a column
   * declared 'string' keeps its cells exactly as written (`007`, `NA`; only the empty cell is missing).
   */
  readonly columnKinds?: Readonly<Record<string, CellKind>>;
}

/** The options of `asset.file` (see FileAsset). */
export interface FileAssetOptions {
  name?: string;
  format?: FileFormat;
  types?: CsvTypes;
  inferRows?: number;
  invalidUtf8?: files.InvalidUtf8;
  columnKinds?: Readonly<Record<string, CellKind>>;
}

/** A Delta table directory, at its latest version or time-travelled. */
export interface DeltaAsset {
  readonly kind: 'delta';
  readonly name: string;
  readonly path: string;
  readonly version?: number;
  readonly timestamp?: string | number | Date;
}

export type DataAsset = RowsAsset | FileAsset | DeltaAsset;

/**
 * A batch of rows from an asset, with the asset's columns in order. Columnar sources (CSV, Parquet, Delta) give the
 * values column by column (`data[c][i]`), and `rows` builds row objects only when asked — one-pass validation reads
 * the columns directly.
 */
export class RowBatch {
  readonly columns: readonly string[];
  readonly length: number;
  /** The values by column (same order as `columns`), for columnar sources. */
  readonly data: ReadonlyArray<ArrayLike<unknown>> | undefined;
  #rows: readonly Row[] | undefined;
  /** Whether NaN in a Float64Array column is a missing cell that rows show as null (the CSV reader's number columns). */
  readonly #nanAsNull: boolean;

  private constructor(columns: readonly string[], length: number, data: ReadonlyArray<ArrayLike<unknown>> | undefined, rows: readonly Row[] | undefined, nanAsNull = false) {
    this.columns = columns;
    this.length = length;
    this.data = data;
    this.#rows = rows;
    this.#nanAsNull = nanAsNull;
  }

  static ofRows(rows: readonly Row[], columns: readonly string[]): RowBatch {
    return new RowBatch(columns, rows.length, undefined, rows);
  }

  /** `nanAsNull`: NaN in a Float64Array column stands for a missing cell, null in `rows` (no NaN can be read there). */
  static ofColumns(columns: readonly string[], data: ReadonlyArray<ArrayLike<unknown>>, length: number, nanAsNull = false): RowBatch {
    return new RowBatch(columns, length, data, undefined, nanAsNull);
  }

  /** The rows (built from the columns on first use; missing values as null). */
  get rows(): readonly Row[] {
    if (this.#rows === undefined) {
      const build = columnsToRow(this.columns);
      const data = this.data!;
      const rows: Row[] = new Array(this.length);
      for (let i = 0; i < this.length; i++) rows[i] = build(data, i);
      if (this.#nanAsNull) {
        data.forEach((col, k) => {
          if (!(col instanceof Float64Array)) return;
          const name = this.columns[k]!;
          for (let i = 0; i < this.length; i++) if (col[i] !== col[i]) (rows[i] as Record<string, unknown>)[name] = null;
        });
      }
      this.#rows = rows;
    }
    return this.#rows;
  }
}

const rowBuilders = new Map<string, (data: ReadonlyArray<ArrayLike<unknown>>, i: number) => Row>();

/** A row constructor per column list: an object literal with literal keys (one hidden class, built in one step). */
function columnsToRow(columns: readonly string[]): (data: ReadonlyArray<ArrayLike<unknown>>, i: number) => Row {
  const key = JSON.stringify(columns);
  let build = rowBuilders.get(key);
  if (build === undefined) {
    try {
      build = new Function('s', 'i', `return { ${columns.map((c, k) => `${JSON.stringify(c)}: s[${k}][i] ?? null`).join(', ')} };`) as (data: ReadonlyArray<ArrayLike<unknown>>, i: number) => Row;
    } catch {
      build = (data, i) => {
        const row: Record<string, unknown> = {};
        for (let c = 0; c < columns.length; c++) row[columns[c]!] = data[c]![i] ?? null;
        return row;
      };
    }
    rowBuilders.set(key, build);
  }
  return build;
}

/** Records a file reader could not read (wrong field count, invalid JSON): counted and shown, not validated. */
export interface MalformedRecords {
  count: number;
  readonly examples: Array<{ file: string; line: number; reason: string }>;
}

export interface ScanOptions {
  readonly signal?: AbortSignal;
  /** Where malformed records are counted. */
  readonly malformed?: MalformedRecords;
  /** Bytes per read of CSV files (default: the readers' own; tests use tiny chunks). */
  readonly chunkSize?: number;
  /**
   * The columns the caller reads (a suite's `MetricsPlan.columnarColumns`): a Delta table decodes only these, the
   * others read as null (batches keep every column name, in order). Default: every column.
   */
  readonly columns?: readonly string[];
}

const baseName = (p: string) => p.replace(/\/+$/, '').split('/').at(-1)!.replace(/\.(gz)$/i, '').replace(/\.[^.]+$/, '');

/**
 * Asset constructors.
 * @example
 *   quality.asset.file('data/orders-*.csv')
 *   quality.asset.delta('lake/orders', { version: 3 })
 *   quality.asset.rows('orders', rows)
 */
export const asset = {
  rows(name: string, rows: Iterable<Row> | AsyncIterable<Row>, columns?: readonly string[]): RowsAsset {
    return { kind: 'rows', name, rows, ...(columns ? { columns } : {}) };
  },
  file(path: string | readonly string[], options: FileAssetOptions = {}): FileAsset {
    const first = typeof path === 'string' ? path : (path[0] ?? 'data');
    return { kind: 'file', path, name: options.name ?? baseName(first.replace(/[*?[{].*$/, '') || first), ...pick(options, ['format', 'types', 'inferRows', 'invalidUtf8', 'columnKinds']) };
  },
  delta(path: string, options: { name?: string; version?: number; timestamp?: string | number | Date } = {}): DeltaAsset {
    return { kind: 'delta', path, name: options.name ?? baseName(path), ...pick(options, ['version', 'timestamp']) };
  },
};

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Whether a path is a Delta table (a directory with a `_delta_log`). */
export function isDeltaTable(path: string): boolean {
  return existsSync(join(path, '_delta_log')) && statSync(join(path, '_delta_log')).isDirectory();
}

/**
 * An asset from a path given on a command line or in a checkpoint file: a Delta table directory, or files.
 * Relative paths resolve against `baseDir`.
 */
export function assetFromPath(path: string, baseDir = process.cwd(), options: FileAssetOptions & { version?: number } = {}): DataAsset {
  const abs = absolutePath(path, baseDir);
  if (isDeltaTable(abs)) return asset.delta(abs, { ...(options.name ? { name: options.name } : {}), ...(options.version !== undefined ? { version: options.version } : {}) });
  if (options.version !== undefined) throw new SuiteError(`${path}: 'version' applies to Delta tables, and this is not one (no _delta_log)`);
  notAPlainDirectory(abs, path);
  return asset.file(abs, { name: options.name ?? baseName(path.replace(/[*?[{].*$/, '') || path), ...pick(options, ['format', 'types', 'inferRows', 'invalidUtf8', 'columnKinds']) });
}

/** A path resolved against `baseDir`; object-store URLs (`s3://…`, `az://…`) as they are. */
function absolutePath(path: string, baseDir: string): string {
  return isAbsolute(path) || files.isObjectInput(path) ? path : resolve(baseDir, path);
}

/** A directory that is not a Delta table cannot be read as data: say what is accepted instead of failing with EISDIR. */
function notAPlainDirectory(abs: string, shown: string): void {
  let dir: boolean;
  try {
    dir = statSync(abs).isDirectory();
  } catch {
    return; // missing, or a glob: the scan names it
  }
  if (dir) throw new DataAssetError(`${shown} is a directory but not a Delta table (it has no _delta_log)`, { hint: `give a data file (CSV, TSV, JSON Lines, Parquet), a glob such as ${shown.replace(/\/+$/, '')}/*.csv, or a Delta table directory` });
}

/**
 * An asset from its configuration (checkpoint YAML/JSON): `{ path, name?, format?, version?, timestamp?, types? }`
 * or a bare path string. Relative paths resolve against `baseDir`.
 */
export function parseAsset(spec: unknown, baseDir: string, where = 'data_asset'): DataAsset {
  if (typeof spec === 'string') return assetFromPath(spec, baseDir);
  if (typeof spec !== 'object' || spec === null) throw new SuiteError(`${where}: expected a path or { path, format?, version? }, got ${JSON.stringify(spec)}`);
  const s = spec as Record<string, unknown>;
  if (typeof s.path !== 'string' || s.path === '') throw new SuiteError(`${where}: 'path' must be a file, a glob or a Delta table directory`, { hint: 'data_asset: { path: data/orders.csv }' });
  const format = s.format;
  if (format !== undefined && format !== 'delta' && !['csv', 'tsv', 'jsonl', 'parquet'].includes(format as string)) throw new SuiteError(`${where}: unknown format ${JSON.stringify(format)}`, { hint: 'one of csv, tsv, jsonl, parquet, delta' });
  const types = s.types;
  if (types !== undefined && types !== 'infer' && types !== 'text' && (typeof types !== 'object' || types === null || Object.values(types).some((k) => !['number', 'boolean', 'string'].includes(k as string)))) {
    throw new SuiteError(`${where}: 'types' must be 'infer', 'text' or a map of column → number|boolean|string`);
  }
  if (s.version !== undefined && (typeof s.version !== 'number' || !Number.isInteger(s.version) || s.version < 0)) throw new SuiteError(`${where}: 'version' must be a table version (an integer ≥ 0)`);
  const abs = absolutePath(s.path, baseDir);
  const name = typeof s.name === 'string' ? s.name : undefined;
  if (format === 'delta' || (format === undefined && isDeltaTable(abs))) {
    return asset.delta(abs, { ...(name ? { name } : {}), ...(s.version !== undefined ? { version: s.version as number } : {}), ...(s.timestamp !== undefined ? { timestamp: s.timestamp as string } : {}) });
  }
  if (s.version !== undefined) throw new SuiteError(`${where}: 'version' applies to Delta tables, and ${s.path} is not one (no _delta_log)`);
  notAPlainDirectory(abs, s.path);
  return asset.file(abs, { ...(name ? { name } : { name: baseName(s.path.replace(/[*?[{].*$/, '') || s.path) }), ...(format ? { format: format as FileFormat } : {}), ...(types ? { types: types as CsvTypes } : {}) });
}

/** A short description of an asset for results and reports. */
export function describeAsset(a: DataAsset): Record<string, unknown> {
  if (a.kind === 'rows') return { name: a.name, kind: 'rows' };
  if (a.kind === 'file') return { name: a.name, kind: 'file', path: a.path, ...(a.format ? { format: a.format } : {}) };
  return { name: a.name, kind: 'delta', path: a.path, ...(a.version !== undefined ? { version: a.version } : {}), ...(a.timestamp !== undefined ? { timestamp: String(a.timestamp) } : {}) };
}

const BATCH = 4096;

/** Streams an asset as row batches. */
export async function* scanAsset(a: DataAsset, options: ScanOptions = {}): AsyncGenerator<RowBatch> {
  if (a.kind === 'rows') {
    let batch: Row[] = [];
    let columns = a.columns;
    for await (const row of a.rows as AsyncIterable<Row>) {
      columns ??= Object.keys(row);
      batch.push(row);
      if (batch.length === BATCH) {
        yield RowBatch.ofRows(batch, columns);
        batch = [];
      }
    }
    if (batch.length > 0 || columns === undefined) yield RowBatch.ofRows(batch, columns ?? []);
    return;
  }
  if (a.kind === 'delta') {
    yield* scanDelta(a.path, { ...(a.version !== undefined ? { version: a.version } : {}), ...(a.timestamp !== undefined ? { timestamp: a.timestamp } : {}) }, options.signal, options.columns);
    return;
  }
  const paths = await files.expandPaths(a.path);
  let columns: readonly string[] | undefined;
  for (const path of paths) {
    const format = a.format ?? formatOf(path);
    const source = format === 'parquet' ? scanParquetFile(path, options.signal) : format === 'jsonl' ? scanJsonl(path, options) : scanDelimited(path, format === 'tsv' ? '\t' : ',', a, options);
    for await (const batch of source) {
      if (columns === undefined) columns = batch.columns;
      else if (batch.columns.join('\u0000') !== columns.join('\u0000') && format !== 'jsonl') {
        throw new SuiteError(`${path}: columns ${JSON.stringify(batch.columns)} differ from the first file's ${JSON.stringify(columns)}`, { hint: 'validate files of different layouts as separate assets' });
      }
      yield batch;
    }
  }
}

/** The format of a file from its name. */
export function formatOf(path: string): FileFormat {
  const p = path.toLowerCase().replace(/\.gz$/, '');
  if (p.endsWith('.csv') || p.endsWith('.txt')) return 'csv';
  if (p.endsWith('.tsv')) return 'tsv';
  if (p.endsWith('.jsonl') || p.endsWith('.ndjson') || p.endsWith('.json')) return 'jsonl';
  if (p.endsWith('.parquet')) return 'parquet';
  throw new SuiteError(`${path}: cannot tell the format from the name`, { hint: "name files .csv, .tsv, .jsonl or .parquet, or give the asset a 'format'" });
}

function noteMalformed(options: ScanOptions, file: string, line: number, reason: string): void {
  const m = options.malformed;
  if (m === undefined) return;
  m.count++;
  if (m.examples.length < 10) m.examples.push({ file, line, reason });
}

async function* scanJsonl(path: string, options: ScanOptions): AsyncGenerator<RowBatch> {
  let columns: string[] | undefined;
  for await (const { lines, firstLine, error } of files.readLines(path, { ...(options.signal ? { signal: options.signal } : {}) })) {
    const rows: Row[] = [];
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.trim() === '') continue;
      if (l.length > files.DEFAULT_MAX_JSON_DEPTH && files.jsonDepthOver(l, files.DEFAULT_MAX_JSON_DEPTH)) {
        noteMalformed(options, path, firstLine + i, `nested deeper than ${files.DEFAULT_MAX_JSON_DEPTH} levels`);
        continue;
      }
      let v: unknown;
      try {
        v = JSON.parse(l);
      } catch (e) {
        noteMalformed(options, path, firstLine + i, `not JSON: ${(e as Error).message}`);
        continue;
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        noteMalformed(options, path, firstLine + i, 'not a JSON object');
        continue;
      }
      columns ??= Object.keys(v);
      rows.push(v as Row);
    }
    if (error) noteMalformed(options, path, firstLine + lines.length, error.reason);
    if (rows.length > 0) yield RowBatch.ofRows(rows, columns!);
  }
  if (columns === undefined) yield RowBatch.ofRows([], []);
}

/**
 * The kind of a column from sample cells, by the shared CSV typing rule (io/files csv-typing.ts): pandas' NA strings
 * are missing, `inf`/`Infinity` are numbers, integers with a leading zero (`007`) are text.
 */
export function inferKind(cells: Iterable<string | undefined>): CellKind {
  const k = new files.KindInference();
  for (const c of cells) if (c !== undefined) k.add(c);
  return k.cellKind;
}

type Convert = (cell: string) => unknown;
const asText: Convert = (c) => (files.isMissing(c) ? null : c);
const asNumber: Convert = (c) => (files.isMissing(c) ? null : (files.numberOf(c) ?? c));
const asBoolean: Convert = (c) => (files.isMissing(c) ? null : (files.booleanOf(c) ?? c));
const CONVERT: Record<CellKind, Convert> = { number: asNumber, boolean: asBoolean, string: asText };
/** A column whose kind is fixed as 'string' keeps its cells exactly as written (only the empty cell is missing). */
const asExactText: Convert = (c) => (c === '' ? null : c);

/** Whether each column is fixed as 'string' by the asset's `types` map. */
function exactColumns(header: readonly string[], a: FileAsset): boolean[] {
  const fixed = typeof a.types === 'object' ? a.types : {};
  const declared = a.columnKinds ?? {};
  return header.map((c) => (declared[c] ?? fixed[c]) === 'string');
}

/** A column's kind: declared (`columnKinds`), fixed (`types` map), text (`types: 'text'`) or inferred. */
function kindOf(a: FileAsset, column: string, inferred: () => CellKind): CellKind {
  const declared = a.columnKinds?.[column];
  if (declared !== undefined) return declared;
  if (a.types === 'text') return 'string';
  const fixed = typeof a.types === 'object' ? a.types[column] : undefined;
  return fixed ?? inferred();
}
const converters = (kinds: readonly CellKind[], exact: readonly boolean[]): Convert[] => kinds.map((k, i) => (exact[i] ? asExactText : CONVERT[k]));

/**
 * A record appender per header: code generated with literal indexes, so each column's convert is called
 * monomorphically and values go straight into column arrays (no row objects).
 */
function recordAppender(width: number, converts: readonly Convert[]): (fields: string[], cols: unknown[][]) => void {
  try {
    const body = `return (f, cols) => { ${Array.from({ length: width }, (_, i) => `cols[${i}].push(c${i}(f[${i}]));`).join(' ')} };`;
    return new Function(...converts.map((_, i) => `c${i}`), body)(...converts) as (fields: string[], cols: unknown[][]) => void;
  } catch {
    return (f, cols) => {
      for (let i = 0; i < width; i++) cols[i]!.push(converts[i]!(f[i]!));
    };
  }
}

/** The shared CSV reader's options for an asset's file. */
function csvReadOptions(delimiter: string, a: FileAsset, options: ScanOptions): Omit<files.CsvReadOptions, 'header'> {
  return { delimiter, ...(a.invalidUtf8 ? { invalidUtf8: a.invalidUtf8 } : {}), ...(options.signal ? { signal: options.signal } : {}), ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}) };
}

/** A CSV file without a header line: empty, or its first lines unreadable. */
function noHeader(path: string, problem: string | undefined): SuiteError {
  return new SuiteError(problem === undefined ? `${path}: empty file (no header line)` : `${path}: no readable header line (${problem})`, { hint: 'CSV assets need a header line naming the columns' });
}

/**
 * A CSV/TSV file: read through the shared CSV reader (io/files readCsvRecords: one tokenizer, one recovery rule, one
 * typing rule). Uncompressed files with LF/CRLF line ends take quality's columnar fast path (csv-columnar.ts) once
 * the header and the column kinds are known from the first rows; it hands the file back to the shared reader at the
 * first record that is not plain. Gzip and bare-CR files go through the shared reader directly.
 */
async function* scanDelimited(path: string, delimiter: string, a: FileAsset, options: ScanOptions): AsyncGenerator<RowBatch> {
  if ((await files.isGzipFile(path)) || (await files.detectLineTerminator(path)) === '\r') {
    yield* scanCsv(path, delimiter, a, options);
    return;
  }
  const sample = await sampleCsv(path, delimiter, a, options);
  if (sample.header === undefined) throw noHeader(path, sample.problem);
  let any = false;
  for await (const batch of scanCsvColumnar(path, {
    delimiter: delimiter.charCodeAt(0), columns: sample.header, kinds: sample.kinds, exact: exactColumns(sample.header, a),
    malformed: (line, reason) => noteMalformed(options, path, line, reason),
    fallback: (offset, linesBefore) => scanCsv(path, delimiter, a, options, { offset, linesBefore, header: sample.header, kinds: sample.kinds }),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
  })) {
    any = true;
    yield batch;
  }
  if (!any) yield RowBatch.ofColumns(sample.header, sample.header.map(() => []), 0);
}

/**
 * The header and the column kinds of a CSV file, from its first `inferRows` data rows (all of them with Infinity),
 * folded column by column (no rows kept). Records it cannot read are not counted here (the scan that follows does).
 */
async function sampleCsv(path: string, delimiter: string, a: FileAsset, options: ScanOptions): Promise<{ header: string[]; kinds: CellKind[] } | { header: undefined; problem: string | undefined }> {
  const inferRows = a.types === 'text' ? 0 : Math.max(1, a.inferRows ?? 10_000);
  let header: string[] | undefined;
  let inference: files.KindInference[] = [];
  let rows = 0;
  let problem: string | undefined;
  const records = files.readCsvRecords(path, { ...csvReadOptions(delimiter, a, options), header: true }, {
    header(names) {
      header = names;
      inference = names.map(() => new files.KindInference());
      return undefined;
    },
    record(fields) {
      if (rows >= inferRows) return;
      rows++;
      for (let i = 0; i < fields.length; i++) inference[i]!.add(fields[i]!);
    },
    malformed(reason) {
      if (header === undefined) problem ??= reason;
    },
  });
  for await (const _ of records) if (rows >= inferRows && header !== undefined) break;
  if (header === undefined) return { header: undefined, problem };
  const h = header;
  const kinds = h.map((c, i): CellKind => kindOf(a, c, () => inference[i]!.cellKind));
  return { header: h, kinds };
}

/** Where the columnar reader handed a file over: its offset and lines before, and what it knew. */
interface Resume {
  readonly offset: number;
  readonly linesBefore: number;
  readonly header: string[];
  readonly kinds: CellKind[];
}

/** The shared reader's path for a CSV file: the whole file, or its rest from where the columnar reader stopped. */
async function* scanCsv(path: string, delimiter: string, a: FileAsset, options: ScanOptions, resume?: Resume): AsyncGenerator<RowBatch> {
  let header: string[] | undefined = resume?.header;
  let append: ((fields: string[], cols: unknown[][]) => void) | undefined = resume ? recordAppender(resume.header.length, converters(resume.kinds, exactColumns(resume.header, a))) : undefined;
  const inferRows = a.types === 'text' ? 0 : Math.max(1, a.inferRows ?? 10_000);
  let sample: string[][] | undefined = inferRows > 0 && !resume ? [] : undefined;
  let cols: unknown[][] = header ? header.map(() => []) : [];
  let count = 0;
  const fresh = () => header!.map(() => [] as unknown[]);
  const flushSample = () => {
    const h = header!;
    const kinds = h.map((c, i) => kindOf(a, c, () => inferKind(sample!.map((r) => r[i]))));
    append = recordAppender(h.length, converters(kinds, exactColumns(h, a)));
    for (const f of sample!) append(f, cols);
    count += sample!.length;
    sample = undefined;
  };
  const fromStart = resume === undefined || resume.offset === 0;
  let firstProblem: string | undefined;
  const records = files.readCsvRecords(
    path,
    {
      ...csvReadOptions(delimiter, a, options),
      header: fromStart ? true : resume.header.length,
      ...(fromStart ? {} : { start: resume.offset, lineOffset: resume.linesBefore }),
    },
    {
      header(names) {
        if (resume) return undefined; // the columnar reader's sample read it already
        header = names;
        cols = fresh();
        if (sample === undefined) append = recordAppender(header.length, converters(header.map((c) => kindOf(a, c, () => 'string')), exactColumns(header, a)));
        return undefined;
      },
      record(fields) {
        if (sample !== undefined) {
          sample.push(fields);
          if (sample.length >= inferRows) flushSample();
          return;
        }
        append!(fields, cols);
        count++;
      },
      malformed(reason, line) {
        if (header === undefined) firstProblem ??= reason;
        noteMalformed(options, path, line, reason);
      },
    },
  );
  for await (const _ of records) {
    if (count >= BATCH) {
      yield RowBatch.ofColumns(header!, cols, count);
      cols = fresh();
      count = 0;
    }
  }
  if (header === undefined) throw noHeader(path, firstProblem);
  if (sample !== undefined) flushSample();
  yield RowBatch.ofColumns(header, cols, count);
}
