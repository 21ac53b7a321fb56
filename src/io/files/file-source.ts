import { stat } from 'node:fs/promises';
import { ConfigError, type BoundedSource, type ErrorRecord, type Instant, type SourceBatch } from '../../model/index.ts';
import { expandPaths } from './glob.ts';
import { countLinesBefore, isGzipFile } from './lines.ts';

/** A file to read, whole or the lines beginning in the byte range [start, end) of an uncompressed file. */
export interface FileRange {
  readonly file: string;
  /** Set only for a part of a file split by bytes. */
  readonly range?: { readonly start: number; readonly end: number };
}

/**
 * Something about an input that is not a bad record but may be a mistake: an empty file, a file with only a header, a
 * declared column the header lacks. Counted and shown in the run's summary (see `fileReadWarnings`).
 */
export interface ReadWarning {
  readonly kind: 'empty-file' | 'header-only' | 'missing-column';
  readonly file: string;
  readonly message: string;
}

/** What a format reader gets besides the range. */
export interface FileReadContext {
  /** The step name for error records: the describe() of the source the user created (splits keep it). */
  readonly step: string;
  readonly signal: AbortSignal | undefined;
  /** Records a warning about the input (shared by the source and its splits). */
  readonly warn: (warning: ReadWarning) => void;
}

/** Reads one file (or range) of a format. */
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
  get warnings(): readonly ReadWarning[] {
    return this.#warnings;
  }

  describe(): string {
    if (this.#parts === undefined) return this.#step;
    const what = this.#parts.map((p) => (p.range ? `${p.file}@${p.range.start}-${p.range.end}` : p.file));
    return `${this.#spec.format}(${what.join(', ')})`;
  }

  async estimateSizeBytes(): Promise<number> {
    let total = 0;
    for (const part of await this.files()) total += part.range ? part.range.end - part.range.start : (await stat(part.file)).size;
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
      const end = part.range?.end ?? (await stat(part.file)).size;
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
   * Reads on from a position a batch carried (checkpoints, issue 14): `{ part, values }` — the file (or range) index
   * in `files()` order and the records of it already read. Earlier files are not opened again; the file in progress
   * is read from its start and its first `values` records are dropped (with the warnings and error records of the
   * batches dropped whole).
   */
  async *readFrom(position: unknown, signal?: AbortSignal): AsyncIterable<SourceBatch<T>> {
    signal?.throwIfAborted();
    const at = position as { part: number; values: number };
    if (!Number.isSafeInteger(at?.part) || !Number.isSafeInteger(at?.values) || at.part < 0 || at.values < 0) {
      throw new RangeError(`not a position of ${this.describe()}: ${JSON.stringify(position)}`);
    }
    const warnings = this.#warnings;
    const files = await this.files();
    // Declared event time: applied in read order (a read resumed at a position starts its order check there).
    const clock = this.#spec.eventTime !== undefined ? new EventTimeClock(this.#spec.eventTime, this.#step) : undefined;
    for (let p = at.part; p < files.length; p++) {
      let drop = p === at.part ? at.values : 0;
      let n = 0;
      const ctx: FileReadContext = { step: this.#step, signal, warn: (w) => void (drop > 0 || warnings.push(w)) };
      for await (const read of this.#spec.readRange(files[p]!, ctx)) {
        let batch = read;
        n += batch.values.length;
        if (drop > 0) {
          if (batch.values.length <= drop) {
            drop -= batch.values.length;
            continue;
          }
          batch = { ...batch, values: batch.values.slice(drop), ...(batch.timestamps ? { timestamps: batch.timestamps.slice(drop) } : {}) };
          drop = 0;
        }
        yield { ...(clock !== undefined ? clock.apply(batch, files[p]!.file) : batch), position: { part: p, values: n } };
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
  constructor(
    readonly file: string,
    readonly rangeStart: number,
  ) {
    if (rangeStart === 0) this.#base = Promise.resolve(0);
  }
  base(): Promise<number> {
    this.#base ??= countLinesBefore(this.file, this.rangeStart);
    return this.#base;
  }
}

/** Normalizes the pattern argument of the source factories. */
export function patternList(pattern: string | readonly string[]): readonly string[] {
  return typeof pattern === 'string' ? [pattern] : [...pattern];
}
