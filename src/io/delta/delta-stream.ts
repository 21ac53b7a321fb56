/**
 * `io.delta.stream`: a Delta table as an unbounded source, as Spark's Delta streaming source reads one. It reads the
 * table's snapshot at the version current when the stream starts (or, with `startingVersion`, the changes from that
 * version on), then follows the log: each new version's added data files, in commit order. Versions that only
 * rearrange data (`dataChange: false`: OPTIMIZE, compaction) add nothing. A version that removes data (DELETE,
 * UPDATE, MERGE, an overwrite) is refused with a clear error, unless `ignoreDeletes` (versions that only remove
 * files) or `ignoreChanges` (also versions that rewrite files: their new files are read again, so unchanged rows of
 * a rewritten file come a second time) says to go on, as Spark's options of those names.
 *
 * Position (checkpoints): `{ version, snapshot, file, path, rows }` — reading the snapshot at `version` (`snapshot:
 * true`) or the files version `version` added, the data file in progress (index, path) and its rows already read.
 * A restored reader goes on exactly there; with `eventTime`, the latest event time seen comes along (`maxEvent`) so
 * the watermark does not go back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataFile, DeltaTable, Predicate, TableSchema, Term } from '../../lakehouse/index.ts';
import { ConfigError, MAX_TIMESTAMP, MIN_TIMESTAMP, RiffleError, type DurationLike, type ErrorRecord, type Instant, type SourceBatch, type SourceContext, type UnboundedReader, type UnboundedSource } from '../../model/index.ts';
import { read as readTransform, type ReadTransform } from '../../transforms/index.ts';
import { durationOption } from '../connector-options.ts';
import type { DeltaRow } from './delta-source.ts';
import { lakehouse } from './lakehouse-module.ts';
import { tableLocation } from './table-location.ts';

/**
 * Options of `io.delta.stream`.
 *
 * @example
 * io.delta.stream('/lake/events', { pollInterval: '5s', eventTime: { column: 'ts', maxDelay: '1m' } });
 */
export interface DeltaStreamOptions {
  /**
   * Read the changes from this version on (its added files, then the next versions'), instead of the current
   * snapshot and the versions after it; 'latest': only versions committed after the stream starts.
   */
  readonly startingVersion?: number | 'latest';
  /** Stop once this version was read (a backfill, or a test): the stream then ends, and its windows fire. */
  readonly endingVersion?: number;
  /** How often the log is listed for a new version while the stream is idle (default '1s'). */
  readonly pollInterval?: DurationLike;
  /** Go on past versions that only remove data (a DELETE of whole files or partitions): nothing of them is read. */
  readonly ignoreDeletes?: boolean;
  /**
   * Go on past versions that rewrite data (UPDATE, MERGE, DELETE of some rows, an overwrite): their added files are
   * read (rows they kept unchanged come again). Implies `ignoreDeletes`.
   */
  readonly ignoreChanges?: boolean;
  /** Columns to read (default: all, in schema order). */
  readonly columns?: readonly string[];
  /** Rows to keep (files that cannot hold one are not read). */
  readonly where?: Predicate;
  /**
   * The rows' event time: a column of type timestamp, date or a number of ms since the epoch. The watermark is the
   * latest event time read less `maxDelay` (default 0); a row without a valid event time goes to the errors. Absent,
   * rows take their data file's modification time and the watermark advances only when the stream ends.
   */
  readonly eventTime?: { readonly column: string; readonly maxDelay?: DurationLike };
  /** Read data files the log names outside the table (see `io.delta.read`). */
  readonly allowExternalFiles?: boolean;
}

/** A position of `io.delta.stream` (plain data in checkpoints). */
export interface DeltaStreamPosition {
  readonly version: number;
  /** true: reading the snapshot at `version`; false: the files `version` added. */
  readonly snapshot: boolean;
  /** The data file in progress (index among the unit's files, and its path, checked against the index). */
  readonly file: number;
  readonly path: string | null;
  readonly rows: number;
  /** With `eventTime`: the latest event time read so far. */
  readonly maxEvent?: number;
}

interface Resolved {
  readonly path: string;
  readonly what: string;
  readonly startingVersion: number | 'latest' | undefined;
  readonly endingVersion: number | undefined;
  readonly pollMs: number;
  readonly ignoreDeletes: boolean;
  readonly ignoreChanges: boolean;
  readonly columns: readonly string[] | undefined;
  readonly where: Predicate | undefined;
  readonly eventColumn: string | undefined;
  readonly maxDelayMs: number;
  readonly allowExternalFiles: boolean;
}

/** Rows per batch handed to the engine. */
const BATCH_ROWS = 8192;

const KEYS = ['startingVersion', 'endingVersion', 'pollInterval', 'ignoreDeletes', 'ignoreChanges', 'columns', 'where', 'eventTime', 'allowExternalFiles'];

function resolveOptions(path: string, o: DeltaStreamOptions): Resolved {
  const what = `io.delta.stream(${path})`;
  if (typeof path !== 'string' || path === '') throw new ConfigError('io.delta.stream: the table path must be a non-empty string');
  if (o === null || typeof o !== 'object') throw new ConfigError(`${what}: options must be an object`);
  for (const key of Object.keys(o)) {
    if (!KEYS.includes(key)) throw new ConfigError(`${what}: unknown option '${key}'`, { hint: `options are ${KEYS.join(', ')}` });
  }
  const version = (v: unknown, key: string) => {
    if (v !== undefined && !(Number.isSafeInteger(v) && (v as number) >= 0)) throw new ConfigError(`${what}: ${key} must be a version number ≥ 0, got ${String(v)}`);
  };
  if (o.startingVersion !== 'latest') version(o.startingVersion, 'startingVersion');
  version(o.endingVersion, 'endingVersion');
  if (typeof o.startingVersion === 'number' && o.endingVersion !== undefined && o.endingVersion < o.startingVersion) {
    throw new ConfigError(`${what}: endingVersion ${o.endingVersion} is before startingVersion ${o.startingVersion}`);
  }
  for (const key of ['ignoreDeletes', 'ignoreChanges', 'allowExternalFiles'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw new ConfigError(`${what}: ${key} must be true or false, got ${String(o[key])}`);
  }
  if (o.columns !== undefined && !(Array.isArray(o.columns) && o.columns.every((c) => typeof c === 'string'))) throw new ConfigError(`${what}: columns must be a list of column names`);
  const et = o.eventTime;
  if (et !== undefined) {
    if (et === null || typeof et !== 'object' || typeof et.column !== 'string' || et.column === '') throw new ConfigError(`${what}: eventTime must be { column, maxDelay? }`, { hint: "{ eventTime: { column: 'ts', maxDelay: '1m' } }" });
    for (const key of Object.keys(et)) if (key !== 'column' && key !== 'maxDelay') throw new ConfigError(`${what}: eventTime has no option '${key}'`, { hint: 'eventTime takes column and maxDelay' });
    if (o.columns !== undefined && !o.columns.includes(et.column)) throw new ConfigError(`${what}: the eventTime column '${et.column}' is not among the columns read`);
  }
  return {
    path: tableLocation(path),
    what,
    startingVersion: o.startingVersion,
    endingVersion: o.endingVersion,
    pollMs: durationOption(o.pollInterval, 'pollInterval', 1000, what),
    ignoreDeletes: o.ignoreDeletes === true || o.ignoreChanges === true,
    ignoreChanges: o.ignoreChanges === true,
    columns: o.columns,
    where: o.where,
    eventColumn: et?.column,
    maxDelayMs: et === undefined ? 0 : durationOption(et.maxDelay, 'eventTime.maxDelay', 0, what),
    allowExternalFiles: o.allowExternalFiles === true,
  };
}

/**
 * The unbounded source of `io.delta.stream`.
 *
 * @example
 * const reader = await new DeltaStreamSource('/lake/events', { startingVersion: 3 }).open(undefined);
 */
export class DeltaStreamSource implements UnboundedSource<DeltaRow, DeltaStreamPosition> {
  readonly kind = 'unbounded' as const;
  readonly #o: Resolved;

  constructor(path: string, options: DeltaStreamOptions = {}) {
    this.#o = resolveOptions(path, options);
  }

  describe(): string {
    return `deltaStream(${this.#o.path})`;
  }

  async open(position: DeltaStreamPosition | undefined, signal?: AbortSignal, _context?: SourceContext): Promise<UnboundedReader<DeltaRow, DeltaStreamPosition>> {
    const o = this.#o;
    const { DeltaTable } = await lakehouse.load();
    const table = await DeltaTable.open(o.path, { allowExternalFiles: o.allowExternalFiles });
    let start: DeltaStreamPosition;
    if (position !== undefined) start = checkPosition(position, o.what);
    else if (typeof o.startingVersion === 'number') start = { version: o.startingVersion, snapshot: false, file: 0, path: null, rows: 0 };
    else {
      const latest = await table.version();
      start = o.startingVersion === 'latest' ? { version: latest + 1, snapshot: false, file: 0, path: null, rows: 0 } : { version: latest, snapshot: true, file: 0, path: null, rows: 0 };
    }
    return new DeltaStreamReader(o, table, start, signal);
  }
}

function checkPosition(p: DeltaStreamPosition, what: string): DeltaStreamPosition {
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const ok = p !== null && typeof p === 'object' && count(p.version) && typeof p.snapshot === 'boolean' && count(p.file) && count(p.rows)
    && (p.path === null || typeof p.path === 'string') && (p.maxEvent === undefined || typeof p.maxEvent === 'number');
  if (!ok) throw new RiffleError('CHECKPOINT_INVALID', `${what}: the checkpoint holds a position that is not one of this source: ${JSON.stringify(p)}`, { domain: 'user', hint: 'run without --resume' });
  return p;
}

/** The files of one unit the stream reads: a snapshot, or one version's added files. */
interface Unit {
  readonly schema: TableSchema;
  readonly columns: readonly string[];
  readonly terms: readonly Term[];
  readonly files: readonly DataFile[];
}

class DeltaStreamReader implements UnboundedReader<DeltaRow, DeltaStreamPosition> {
  #version: number;
  #snapshot: boolean;
  #file: number;
  #rows: number;
  /** The path the restored position named for the file in progress, checked when its unit is loaded. */
  #expectPath: string | null;
  #maxEvent: number;
  #unit: Unit | undefined;
  #groups: AsyncIterator<DeltaRow[]> | undefined;
  /** Rows of the current row group not handed over yet, from `#at`. */
  #pending: DeltaRow[] = [];
  #at = 0;
  /** Rows of the file in progress to drop (a restored position inside it). */
  #skip = 0;
  #ended = false;
  /** When the log last had no next version: it is listed again `pollInterval` after. */
  #missedAt = -Infinity;

  constructor(
    private readonly o: Resolved,
    private readonly table: DeltaTable,
    start: DeltaStreamPosition,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.#version = start.version;
    this.#snapshot = start.snapshot;
    this.#file = start.file;
    this.#rows = start.rows;
    this.#skip = start.rows;
    this.#expectPath = start.path;
    this.#maxEvent = start.maxEvent ?? -Infinity;
  }

  position(): DeltaStreamPosition {
    const path = this.#unit?.files[this.#file]?.path ?? this.#expectPath;
    return {
      version: this.#version, snapshot: this.#snapshot, file: this.#file, path: path ?? null, rows: this.#rows,
      ...(this.o.eventColumn !== undefined && this.#maxEvent > -Infinity ? { maxEvent: this.#maxEvent } : {}),
    };
  }

  watermark(): Instant {
    if (this.#ended) return MAX_TIMESTAMP;
    if (this.o.eventColumn === undefined || this.#maxEvent === -Infinity) return MIN_TIMESTAMP;
    return Math.max(MIN_TIMESTAMP, this.#maxEvent - this.o.maxDelayMs);
  }

  async next(waitMs: number): Promise<SourceBatch<DeltaRow> | null> {
    while (!this.#ended) {
      this.signal?.throwIfAborted();
      if (this.#at < this.#pending.length) return this.#take();
      if (this.#groups !== undefined) {
        const r = await this.#groups.next();
        if (!r.done) {
          this.#pending = r.value;
          this.#at = 0;
          if (this.#skip > 0) {
            const n = Math.min(this.#skip, this.#pending.length);
            this.#at = n;
            this.#skip -= n;
          }
          continue;
        }
        this.#groups = undefined;
        this.#file++;
        this.#rows = 0;
        this.#skip = 0;
        continue;
      }
      if (this.#unit === undefined) {
        const wait = this.#missedAt + this.o.pollMs - Date.now();
        if (wait > 0) {
          await this.#sleep(Math.min(wait, waitMs));
          return null;
        }
        const unit = await this.#load();
        if (unit === undefined) {
          this.#missedAt = Date.now();
          await this.#sleep(Math.min(this.o.pollMs, waitMs));
          return null;
        }
        this.#missedAt = -Infinity;
        this.#unit = unit;
        if (this.#expectPath !== null && unit.files[this.#file]?.path !== this.#expectPath) {
          throw new RiffleError('CHECKPOINT_MISMATCH', `${this.o.what}: cannot resume where the checkpoint left it: ${this.#describeUnit()} has no data file ${this.#expectPath} at index ${this.#file}`, {
            domain: 'user',
            hint: 'the table was restored or its log rewritten since the checkpoint; run without --resume (or with a startingVersion) to start again',
          });
        }
        this.#expectPath = null;
      }
      const unit = this.#unit;
      if (this.#file < unit.files.length) {
        const { readDataFile } = await lakehouse.load();
        this.#groups = readDataFile(unit.files[this.#file]!, unit.schema, { columns: unit.columns, terms: unit.terms })[Symbol.asyncIterator]();
        continue;
      }
      // The unit is read: on to the next version (or the end).
      if (this.o.endingVersion !== undefined && this.#version >= this.o.endingVersion) {
        this.#ended = true;
        return null;
      }
      this.#version++;
      this.#snapshot = false;
      this.#file = 0;
      this.#rows = 0;
      this.#unit = undefined;
    }
    return null;
  }

  #describeUnit(): string {
    return this.#snapshot ? `the snapshot at version ${this.#version}` : `version ${this.#version}`;
  }

  /** Up to BATCH_ROWS rows of the current row group, with their event times (or their errors). */
  #take(): SourceBatch<DeltaRow> {
    const end = Math.min(this.#pending.length, this.#at + BATCH_ROWS);
    const rows = this.#at === 0 && end === this.#pending.length ? this.#pending : this.#pending.slice(this.#at, end);
    this.#rows += rows.length;
    this.#at = end;
    const column = this.o.eventColumn;
    if (column === undefined) {
      const t = this.#unit!.files[this.#file]!.modificationTime;
      return { values: rows, timestamps: rows.map(() => t) };
    }
    const values: DeltaRow[] = [];
    const timestamps: Instant[] = [];
    let errors: ErrorRecord<string>[] | undefined;
    for (const row of rows) {
      const t = eventTimeOf(row[column]);
      if (t === undefined) {
        (errors ??= []).push({
          step: this.o.what, error: `event time: column '${column}' holds ${describe(row[column])}, not a timestamp, a date or a number of ms since the epoch`,
          element: stringify(row), time: new Date().toISOString(), origin: { version: this.#version, file: this.#unit!.files[this.#file]!.path },
        });
        continue;
      }
      if (t > this.#maxEvent) this.#maxEvent = t;
      values.push(row);
      timestamps.push(t);
    }
    return errors === undefined ? { values, timestamps } : { values, timestamps, errors };
  }

  /** The files of the unit at the position: undefined when its version is not committed yet. */
  async #load(): Promise<Unit | undefined> {
    const o = this.o;
    const { compilePredicate } = await lakehouse.load();
    if (this.#snapshot) {
      const snap = await this.table.snapshot(this.#version);
      const { files } = snap.filesMatching(o.where);
      return this.#unitOf(snap.schema, [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), compilePredicate);
    }
    const log = this.table.log;
    const listing = await log.list();
    if (!listing.commits.includes(this.#version)) {
      const latest = listing.commits.at(-1) ?? -1;
      if (latest > this.#version) {
        throw new RiffleError('DELTA_STREAM_VERSION_GONE', `${o.what}: version ${this.#version} is no longer in the table's log (the log holds versions up to ${latest}; older commits were cleaned up)`, {
          domain: 'user',
          hint: 'start the stream again from the current snapshot (run without --resume, no startingVersion) or from a version still in the log',
        });
      }
      return undefined;
    }
    const actions = await log.readCommit(this.#version);
    const added: string[] = [];
    let removes = 0;
    for (const a of actions) {
      if ('add' in a && a.add.dataChange !== false) added.push(a.add.path);
      else if ('remove' in a && a.remove.dataChange !== false) removes++;
    }
    if (removes > 0) {
      const change = added.length > 0;
      if (change ? !o.ignoreChanges : !o.ignoreDeletes) {
        const op = actions.find((a) => 'commitInfo' in a) as { commitInfo: { operation?: string } } | undefined;
        const name = op?.commitInfo.operation !== undefined ? ` (${op.commitInfo.operation})` : '';
        throw new RiffleError('DELTA_STREAM_NOT_APPEND', `${o.what}: version ${this.#version}${name} ${change ? 'rewrites' : 'removes'} data (${removes} data file${removes === 1 ? '' : 's'} removed): a Delta stream reads appends only`, {
          domain: 'user',
          context: { version: this.#version },
          hint: change
            ? 'set ignoreChanges: true to read the rewritten files again (their unchanged rows come a second time), or restart the stream after this version (startingVersion)'
            : 'set ignoreDeletes: true to go on past versions that only remove data, or restart the stream after this version (startingVersion)',
        });
      }
    }
    const snap = await this.table.snapshot(this.#version);
    const matching = new Map(snap.filesMatching(o.where).files.map((f) => [f.path, f]));
    const files = added.map((p) => matching.get(p)).filter((f): f is DataFile => f !== undefined);
    return this.#unitOf(snap.schema, files, compilePredicate);
  }

  #unitOf(schema: TableSchema, files: readonly DataFile[], compile: (where: Predicate | undefined, schema: TableSchema) => Term[]): Unit {
    const names = schema.fields.map((f) => f.name);
    const columns = this.o.columns ?? names;
    for (const c of [...columns, ...(this.o.eventColumn !== undefined ? [this.o.eventColumn] : [])]) {
      if (!names.includes(c)) throw new ConfigError(`${this.o.what}: unknown column '${c}' (at ${this.#describeUnit()})`, { hint: `columns are ${names.join(', ')}` });
    }
    return { schema, columns, terms: compile(this.o.where, schema), files };
  }

  async #sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    try {
      await sleep(ms, undefined, this.signal !== undefined ? { signal: this.signal } : {});
    } catch {
      // aborted: the engine stops
    }
  }

  async close(): Promise<void> {
    this.#ended = true;
    await this.#groups?.return?.(undefined);
    this.#groups = undefined;
  }
}

/** A row's event time in ms: a timestamp (µs bigint), a date ('YYYY-MM-DD'), a number or bigint of ms. */
function eventTimeOf(v: unknown): number | undefined {
  if (typeof v === 'bigint') return Number(v / 1000n);
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const t = Date.parse(`${v}T00:00:00Z`);
    return Number.isFinite(t) ? t : undefined;
  }
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.getTime() : undefined;
  return undefined;
}

function describe(v: unknown): string {
  return v === null || v === undefined ? 'null' : `${typeof v} ${String(v).slice(0, 40)}`;
}

function stringify(row: DeltaRow): string {
  return JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
}

/**
 * Follows a Delta table in a pipeline (an unbounded source): its current snapshot, then each new version's added
 * rows, polling the log every `pollInterval` while idle. Deletes and rewrites are refused unless `ignoreDeletes` /
 * `ignoreChanges`. Positions (version, data file, rows) go into checkpoints, so `--resume` continues exactly there.
 *
 * @example
 * const events = p.apply(io.delta.stream('/lake/events', { eventTime: { column: 'ts', maxDelay: '30s' } }));
 */
export function stream(path: string, options: DeltaStreamOptions = {}): ReadTransform<DeltaRow> {
  return readTransform(new DeltaStreamSource(path, options), 'StreamDelta');
}
