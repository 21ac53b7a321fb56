import { ConfigError, RiffleError, type BoundedSource, type ErrorRecord, type InputWarning, type Instant, type SourceBatch } from '../../model/index.ts';
import { expandPaths } from './glob.ts';
import { statInput } from './input-file.ts';
import { countLinesBefore, isGzipFile } from './lines.ts';

/** A file to read, whole or the lines beginning in the byte range [start, end) of an uncompressed file. */
export interface FileRange {
  readonly file: string;
  /** Set only for a part of a file split by bytes. */
  readonly range?: { readonly start: number; readonly end: number };
  /**
   * Set when a read resumes inside this file (checkpoints): start at this record boundary instead of the file's (or
   * range's) start. Never set for compressed files.
   */
  readonly resume?: FileResume;
}

/** Where a format's read of one file stands: a record boundary it reached (see `FileRangeReader`). */
export interface FileResume {
  /** Byte offset of the next unread record (a line start). */
  readonly offset: number;
  /** Lines of the file before `offset`, when known (whole-file reads): error records' line numbers start after it. */
  readonly line?: number | undefined;
  /** CSV with a header line: the header's names (read before `offset`, so a resumed read does not read it). */
  readonly header?: readonly string[] | undefined;
  /** Nothing more of this file is to be read (a CSV file skipped for its header). */
  readonly done?: boolean | undefined;
}

/**
 * Something about an input that is not a bad record but may be a mistake: an empty file, a file with only a header, a
 * declared column the header lacks. Counted and shown in the run's summary (see `fileReadWarnings`).
 */
export interface ReadWarning extends InputWarning {
  readonly kind: 'empty-file' | 'header-only' | 'missing-column';
  readonly file: string;
}

/** What a format reader gets besides the range. */
export interface FileReadContext {
  /** The step name for error records: the describe() of the source the user created (splits keep it). */
  readonly step: string;
  readonly signal: AbortSignal | undefined;
  /** Records a warning about the input (shared by the source and its splits). */
  readonly warn: (warning: ReadWarning) => void;
}

/**
 * Reads one file (or range) of a format. Each batch's `position` is a `FileResume`: the record boundary after the
 * batch, so that reading the same range with `resume` set to it goes on with exactly the next batches (offsets of a
 * compressed file are not used).
 */
export type FileRangeReader<T> = (range: FileRange, ctx: FileReadContext) => AsyncIterable<SourceBatch<T>>;

export interface FileSourceSpec<T> {
  /** Format name, for describe(): `text`, `csv`, `jsonl`. */
  readonly format: string;
  readonly patterns: readonly string[];
  readonly readRange: FileRangeReader<T>;
  /** Whether uncompressed files may be split by byte ranges (false for CSV: a quoted value may hold newlines). */
  readonly splittable: boolean;
  /** The records' event time, and whether the files hold them in time order (the formats' `eventTime` option). */
  readonly eventTime?: FileEventTime<T> | undefined;
}

/**
 * Event time declared on a file read (the `eventTime` option of readText / readCsv / readJsonl and their sources).
 * @example
 *   io.files.readJsonl<Click>('clicks/*.jsonl', { eventTime: { timestamp: (c) => Date.parse(c.at), ordered: { maxDelay: 5000 } } })
 */
export interface FileEventTime<T> {
  /** Each record's event time (ms since the epoch). A throw, or a value that is not a finite number, sends the record to the errors. */
  readonly timestamp: (record: T) => Instant;
  /**
   * The files hold their records in time order (read in the order of their sorted paths), each at most `maxDelay` ms
   * (default 0) behind the latest one before it. The read then reports event-time progress as it reads (the latest
   * event time so far less `maxDelay`: SourceBatch.watermark), so windows fire, and their state is let go, before the
   * end of the input. A record further behind breaks the declaration: it goes to the errors (it would be late), with
   * the reason. Absent: the records get their event times and the windows fire at the end.
   */
  readonly ordered?: boolean | { readonly maxDelay?: number };
}

/** Applies a read's declared event time to its batches, in read order: timestamps, order check, watermark. */
class EventTimeClock<T> {
  #latest = -Infinity;
  readonly #maxDelay: number | undefined;

  constructor(
    private readonly eventTime: FileEventTime<T>,
    private readonly step: string,
  ) {
    const o = eventTime.ordered;
    this.#maxDelay = o === undefined || o === false ? undefined : o === true ? 0 : (o.maxDelay ?? 0);
  }

  apply(batch: SourceBatch<T>, file: string): SourceBatch<T> {
    const values: T[] = [];
    const timestamps: Instant[] = [];
    let errors: ErrorRecord<string>[] | undefined = batch.errors;
    const reject = (v: T, reason: string) => {
      (errors = errors === batch.errors ? [...(batch.errors ?? [])] : errors)!.push({ step: this.step, error: reason, element: rawOf(v), time: new Date().toISOString(), origin: { file } });
    };
    const maxDelay = this.#maxDelay;
    for (const v of batch.values) {
      let t: unknown;
      try {
        t = this.eventTime.timestamp(v);
      } catch (e) {
        reject(v, `event time: ${(e as Error)?.message ?? String(e)}`);
        continue;
      }
      if (typeof t !== 'number' || !Number.isFinite(t)) {
        reject(v, `event time: ${String(t)} is not a finite number of milliseconds since the epoch`);
        continue;
      }
      if (maxDelay !== undefined && t < this.#latest - maxDelay) {
        reject(v, `event time ${new Date(t).toISOString()} is ${this.#latest - t} ms behind ${new Date(this.#latest).toISOString()} read before it, more than the declared maxDelay of ${maxDelay} ms: the input is not in the declared time order`);
        continue;
      }
      if (t > this.#latest) this.#latest = t;
      values.push(v);
      timestamps.push(t);
    }
    const out: SourceBatch<T> = { values, timestamps, ...(errors !== undefined ? { errors } : {}) };
    return maxDelay !== undefined && this.#latest > -Infinity ? { ...out, watermark: this.#latest - maxDelay } : out;
  }
}

function rawOf(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function checkEventTime(eventTime: FileEventTime<unknown> | undefined, step: string): void {
  if (eventTime === undefined) return;
  const where = { context: { step, option: 'eventTime' } };
  if (typeof eventTime.timestamp !== 'function') {
    throw new ConfigError(`${step}: eventTime.timestamp must be a function from a record to its event time (ms since the epoch)`, { ...where, hint: '{ eventTime: { timestamp: (r) => Date.parse(r.at) } }' });
  }
  for (const key of Object.keys(eventTime)) {
    if (key !== 'timestamp' && key !== 'ordered') throw new ConfigError(`${step}: eventTime has no option '${key}'`, { ...where, hint: 'eventTime takes timestamp and ordered' });
  }
  const o = eventTime.ordered;
  if (o === undefined || typeof o === 'boolean') return;
  for (const key of Object.keys(o)) {
    if (key !== 'maxDelay') throw new ConfigError(`${step}: eventTime.ordered has no option '${key}'`, { ...where, hint: 'ordered is true or { maxDelay: ms }' });
  }
  if (o.maxDelay !== undefined && !(typeof o.maxDelay === 'number' && Number.isFinite(o.maxDelay) && o.maxDelay >= 0)) {
    throw new ConfigError(`${step}: eventTime.ordered.maxDelay must be a number of milliseconds ≥ 0, got ${String(o.maxDelay)}`, { ...where, hint: '{ ordered: { maxDelay: 5000 } }' });
  }
}

/**
 * The BoundedSource shared by the file formats: expands the patterns lazily (once), sizes and splits by file (and by
 * byte range when the format allows it), and reads its files in order. A format only supplies `readRange`.
 */
export class FileSource<T> implements BoundedSource<T> {
  readonly kind = 'bounded' as const;
  readonly #spec: FileSourceSpec<T>;
  readonly #step: string;
  /** Set for the parts returned by split(); undefined for the source the user made (expanded on first use). */
  readonly #parts: readonly FileRange[] | undefined;
  readonly #warnings: ReadWarning[];
  #expanded: Promise<FileRange[]> | undefined;

  constructor(spec: FileSourceSpec<T>, parts?: readonly FileRange[], step?: string, warnings?: ReadWarning[]) {
    this.#spec = spec;
    this.#parts = parts;
    this.#step = step ?? `${spec.format}(${spec.patterns.join(', ')})`;
    if (step === undefined) checkEventTime(spec.eventTime as FileEventTime<unknown> | undefined, this.#step);
    this.#warnings = warnings ?? [];
  }

  /**
   * Files declared in time order (`eventTime.ordered`): `split` keeps the sorted path order and each file's byte order,
   * so a part's watermark holds for the parts after it (BoundedSource.orderedParts; workers pass it on as they read).
   */
  get orderedParts(): boolean {
    const o = this.#spec.eventTime?.ordered;
    return o !== undefined && o !== false;
  }

  /** The warnings of this source and its splits so far (empty files, header-only files, missing columns). */
  warnings(): readonly ReadWarning[] {
    return this.#warnings;
  }

  describe(): string {
    if (this.#parts === undefined) return this.#step;
    const what = this.#parts.map((p) => (p.range ? `${p.file}@${p.range.start}-${p.range.end}` : p.file));
    return `${this.#spec.format}(${what.join(', ')})`;
  }

  async estimateSizeBytes(): Promise<number> {
    let total = 0;
    for (const part of await this.files()) total += part.range ? part.range.end - part.range.start : (await statInput(part.file)).size;
    return total;
  }

  /**
   * One source per file; an uncompressed file larger than `desiredBundleSizeBytes` of a splittable format becomes
   * several byte ranges (each reads the lines that begin in it, so together they read every line once).
   */
  async split(desiredBundleSizeBytes: number): Promise<BoundedSource<T>[]> {
    const bundle = Math.max(1, Math.floor(desiredBundleSizeBytes));
    const out: BoundedSource<T>[] = [];
    for (const part of await this.files()) {
      let start = part.range?.start ?? 0;
      const end = part.range?.end ?? (await statInput(part.file)).size;
      if (!this.#spec.splittable || end - start <= bundle || (await isGzipFile(part.file))) {
        out.push(new FileSource(this.#spec, [part], this.#step, this.#warnings));
        continue;
      }
      for (; start < end; start += bundle) {
        out.push(new FileSource(this.#spec, [{ file: part.file, range: { start, end: Math.min(end, start + bundle) } }], this.#step, this.#warnings));
      }
    }
    return out;
  }

  read(signal?: AbortSignal): AsyncIterable<SourceBatch<T>> {
    return this.readFrom({ part: 0, values: 0 }, signal);
  }

  /**
   * Reads on from a position a batch carried (checkpoints, issue 14). A position is a `FilePosition`: the file (or
   * range) index in `files()` order, the file's identity (path, size, mtime: a file changed since is refused), the
   * records of it read so far, and — for uncompressed files — the byte offset of the next unread record (with its line
   * number and, for CSV, the header), where the read starts again without reading the file's earlier bytes. A
   * compressed file, or a position of an earlier version (`{ part, values }`), is read from its start dropping its
   * first `values` records (with the warnings and error records of the batches dropped whole).
   */
  async *readFrom(position: unknown, signal?: AbortSignal): AsyncIterable<SourceBatch<T>> {
    signal?.throwIfAborted();
    const at = checkPosition(position, this.describe());
    const warnings = this.#warnings;
    const files = await this.files();
    if (at.part > files.length) throw positionMismatch(this.#step, `it is in input ${at.part + 1}, but the patterns now match ${files.length} input${files.length === 1 ? '' : 's'}`);
    // Declared event time: applied in read order (a read resumed at a position starts its order check there).
    const clock = this.#spec.eventTime !== undefined ? new EventTimeClock(this.#spec.eventTime, this.#step) : undefined;
    for (let p = at.part; p < files.length; p++) {
      const part = files[p]!;
      const first = p === at.part;
      let identity: FileIdentity;
      try {
        identity = await fileIdentity(part.file);
      } catch (e) {
        if (first && at.file !== undefined) throw positionMismatch(this.#step, `it is in ${at.file}, which cannot be read now (${(e as Error).message})`);
        throw e;
      }
      if (first && at.file !== undefined) {
        if (at.file !== part.file) throw positionMismatch(this.#step, `it is in ${at.file}, but input ${p + 1} is now ${part.file}`);
        if (at.size !== identity.size || at.mtimeMs !== identity.mtimeMs) {
          throw positionMismatch(this.#step, `${part.file} changed since the checkpoint (size ${at.size} → ${identity.size} bytes, modified ${new Date(at.mtimeMs!).toISOString()} → ${new Date(identity.mtimeMs).toISOString()})`);
        }
        if (at.done) continue;
      }
      const byOffset = first && at.offset !== undefined && !identity.gzip;
      let drop = first && !byOffset ? at.values : 0;
      let n = first ? (byOffset ? at.values : 0) : 0;
      const resume: FileResume | undefined = byOffset ? { offset: at.offset!, line: at.line, header: at.header } : undefined;
      const ctx: FileReadContext = { step: this.#step, signal, warn: (w) => void (drop > 0 || warnings.push(w)) };
      const where = { part: p, file: part.file, size: identity.size, mtimeMs: identity.mtimeMs };
      for await (const read of this.#spec.readRange(resume !== undefined ? { ...part, resume } : part, ctx)) {
        let batch = read;
        n += batch.values.length;
        const point = batch.position as FileResume | undefined;
        const pos: FilePosition = identity.gzip || point === undefined
          ? { ...where, values: n }
          : { ...where, values: n, offset: point.offset, ...(point.line !== undefined ? { line: point.line } : {}), ...(point.header !== undefined ? { header: point.header } : {}), ...(point.done ? { done: true } : {}) };
        if (drop > 0) {
          if (batch.values.length <= drop) {
            drop -= batch.values.length;
            continue;
          }
          batch = { ...batch, values: batch.values.slice(drop), ...(batch.timestamps ? { timestamps: batch.timestamps.slice(drop) } : {}) };
          drop = 0;
        }
        yield { ...(clock !== undefined ? clock.apply(batch, part.file) : batch), position: pos };
      }
    }
  }

  /**
   * The files (or ranges) this source reads: the patterns expanded once, on first use. Rejects with the ConfigError of
   * `expandPaths` when a pattern matches nothing.
   */
  files(): Promise<readonly FileRange[]> {
    if (this.#parts) return Promise.resolve(this.#parts);
    this.#expanded ??= expandPaths(this.#spec.patterns).then((files) => files.map((file) => ({ file })));
    return this.#expanded;
  }
}

/**
 * A file source's position (`SourceBatch.position`): plain data stored in checkpoints. `offset` is absent for
 * compressed files (resumed by record count) and in positions of earlier versions (`{ part, values }` only).
 */
export interface FilePosition {
  /** Index of the file (or range) in `files()` order. */
  readonly part: number;
  /** Records (values) of this file read so far. */
  readonly values: number;
  /** The file's identity when the position was taken: a resume refuses a file that changed since. */
  readonly file?: string;
  readonly size?: number;
  readonly mtimeMs?: number;
  /** Byte offset of the next unread record; `line`, `header`, `done` as in `FileResume`. */
  readonly offset?: number;
  readonly line?: number;
  readonly header?: readonly string[];
  readonly done?: boolean;
}

interface FileIdentity {
  readonly size: number;
  readonly mtimeMs: number;
  readonly gzip: boolean;
}

async function fileIdentity(file: string): Promise<FileIdentity> {
  const st = await statInput(file);
  return { size: st.size, mtimeMs: st.mtimeMs, gzip: await isGzipFile(file) };
}

function positionMismatch(step: string, what: string): RiffleError {
  return new RiffleError('CHECKPOINT_MISMATCH', `${step}: cannot resume the read where the checkpoint left it: ${what}`, {
    domain: 'user',
    context: { step },
    hint: 'restore the input files as they were at the checkpoint, or run without --resume to read them again from the start',
  });
}

/** Checks a stored position's shape (a checkpoint's plain data), so a damaged one fails clearly instead of reading wrong. */
function checkPosition(position: unknown, source: string): FilePosition {
  const at = position as FilePosition | null;
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const ok = at !== null && typeof at === 'object' && count(at.part) && count(at.values)
    && (at.offset === undefined || count(at.offset)) && (at.line === undefined || count(at.line))
    && (at.file === undefined || (typeof at.file === 'string' && count(at.size) && typeof at.mtimeMs === 'number'))
    && (at.header === undefined || (Array.isArray(at.header) && at.header.every((h) => typeof h === 'string')));
  if (!ok) throw new RangeError(`not a position of ${source}: ${JSON.stringify(position)}`);
  return at!;
}

/**
 * An error record for a bad line or record of a file. `reason` should start with `line N: `. `detail` adds to the
 * origin: `rawEncoding: 'base64'` when the element holds the bytes of a line that is not UTF-8, `byteOffset` for a
 * corrupt compressed file.
 */
export function fileError(step: string, reason: string, raw: string, file: string, line: number, detail?: { readonly rawEncoding?: 'base64' | 'text'; readonly byteOffset?: number }): ErrorRecord<string> {
  const origin = detail === undefined ? { file, line } : { file, line, ...detail };
  return { step, error: reason, element: raw, time: new Date().toISOString(), origin };
}

/**
 * Turns line numbers counted from a range start into file line numbers; the count of lines before the range is
 * computed on first need only (a scan of the bytes before it), since only error records need it.
 */
export class LineNumbering {
  #base: Promise<number> | undefined;
  /** `known`: the lines before `rangeStart` when the caller knows them (a resumed read's position). */
  constructor(
    readonly file: string,
    readonly rangeStart: number,
    known?: number,
  ) {
    if (known !== undefined) this.#base = Promise.resolve(known);
    else if (rangeStart === 0) this.#base = Promise.resolve(0);
  }
  base(): Promise<number> {
    this.#base ??= countLinesBefore(this.file, this.rangeStart);
    return this.#base;
  }
}

/**
 * For the line formats (text, JSON Lines): the byte range `readLines` reads for a part (from its resume offset when
 * resumed), and the lines before that start when known (0 for a whole file, the position's count when resumed,
 * unknown for a split range until counted).
 */
export function lineRange(part: FileRange): { readonly start?: number; readonly end?: number; readonly linesBefore: number | undefined } {
  const end = part.range?.end;
  if (part.resume !== undefined && part.resume.offset > 0) return { start: part.resume.offset, ...(end !== undefined ? { end } : {}), linesBefore: part.resume.line };
  if (part.range === undefined) return { linesBefore: 0 };
  return { start: part.range.start, end: part.range.end, linesBefore: part.range.start === 0 ? 0 : undefined };
}

/** The resume point after a batch of lines: its end offset, and its line count when the lines before are known. */
export function afterLines(batch: { readonly end: number; readonly firstLine: number; readonly lines: readonly string[]; readonly error?: unknown }, linesBefore: number | undefined): FileResume {
  const line = linesBefore === undefined ? undefined : linesBefore + batch.firstLine - 1 + batch.lines.length + (batch.error !== undefined ? 1 : 0);
  return { offset: batch.end, line };
}

/** Normalizes the pattern argument of the source factories. */
export function patternList(pattern: string | readonly string[]): readonly string[] {
  return typeof pattern === 'string' ? [pattern] : [...pattern];
}
