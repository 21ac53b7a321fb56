import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { ConfigError, RiffleError } from '../../model/index.ts';
import type { FileFormat } from './file-format.ts';
import { commitRenames, type FileSet } from './file-commit.ts';

/**
 * Atomic, sharded file output. A writer fills a temp file in a hidden temp dir beside the outputs; at commit the temp
 * files are published by the commit protocol of file-commit.ts (renamed to their final names, the previous run's
 * files of the same set removed, `_SUCCESS` listing the set written last), so a reader that honours the marker sees
 * the old set or the new one, whole — and globs skip hidden dirs, so it never sees temp files either.
 *
 * @example
 *   const dir = tempDirFor('out/revenue/part', jobId);
 *   const w = await TempFileWriter.open(dir, jsonlFormat<Row>(), 'gzip');
 *   w.write(rows); await w.ready();
 *   const { tempPath } = await w.close();
 *   await commitFiles([{ tempPath, finalPath: finalShardPath({ prefix: 'out/revenue/part', shardIndex: 0, numShards: 1 }, 'jsonl', 'gzip') }]);
 */

export type FileCompression = 'none' | 'gzip';

export interface ShardSpec {
  /** Output path prefix, e.g. `out/revenue/part`; one ending in '/' names a directory (files are then `00000-of-…`). */
  prefix: string;
  /** Inserted after the shard number, before the extension. */
  suffix?: string;
  shardIndex: number;
  numShards: number;
  /** The window, e.g. '2024-01-01T00:00:00.000Z-2024-01-01T00:01:00.000Z'. */
  windowLabel?: string;
  /** The pane, e.g. 'pane-0-early'. */
  paneLabel?: string;
}

/**
 * The final path of a shard: `prefix[-window][-pane]-00000-of-00004[suffix].ext[.gz]`.
 *
 * @example
 *   finalShardPath({ prefix: 'out/part', shardIndex: 1, numShards: 4 }, 'csv', 'gzip') === 'out/part-00001-of-00004.csv.gz'
 */
export function finalShardPath(spec: ShardSpec, ext: string, compression: FileCompression): string {
  const { prefix, shardIndex, numShards } = spec;
  if (!Number.isInteger(numShards) || numShards < 1 || !Number.isInteger(shardIndex) || shardIndex < 0 || shardIndex >= numShards) {
    throw new ConfigError(`invalid shard ${shardIndex} of ${numShards} for '${prefix}'`, { hint: 'numShards ≥ 1 and 0 ≤ shardIndex < numShards' });
  }
  for (const [what, label] of [['window label', spec.windowLabel], ['pane label', spec.paneLabel], ['suffix', spec.suffix]] as const) {
    if (label !== undefined && /[/\\\0]/.test(label)) throw new ConfigError(`${what} ${JSON.stringify(label)} contains a path separator`);
  }
  const parts: string[] = [];
  if (spec.windowLabel) parts.push(spec.windowLabel);
  if (spec.paneLabel) parts.push(spec.paneLabel);
  parts.push(`${pad(shardIndex)}-of-${pad(numShards)}`);
  const extension = ext.startsWith('.') ? ext.slice(1) : ext;
  const base = prefix === '' || /[/\\]$/.test(prefix) ? prefix : `${prefix}-`;
  return `${base}${parts.join('-')}${spec.suffix ?? ''}${extension ? `.${extension}` : ''}${compression === 'gzip' ? '.gz' : ''}`;
}

function pad(n: number): string {
  return String(n).padStart(5, '0');
}

/** The hidden temp dir of a job's outputs: `<dir of prefix>/.riffle-tmp-<jobId>` (a prefix ending in '/' is the dir). */
export function tempDirFor(prefix: string, jobId: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(jobId)) {
    throw new ConfigError(`job id ${JSON.stringify(jobId)} cannot name a temp dir`, { hint: 'use letters, digits, ".", "_" and "-"' });
  }
  const dir = prefix === '' ? '.' : /[/\\]$/.test(prefix) ? prefix : dirname(prefix);
  return join(dir, `.riffle-tmp-${jobId}`);
}

const FLUSH_CHARS = 64 * 1024;

/**
 * Writes one temp file: header, encoded values, footer, optionally gzipped. `write` is synchronous and buffers; when
 * the disk falls behind, `ready()` waits for it — call it after each `write` to bound memory.
 */
export class TempFileWriter<T> {
  readonly tempPath: string;
  readonly #format: FileFormat<T>;
  readonly #file: WriteStream;
  readonly #out: Writable;
  #buffer = '';
  #count = 0;
  #closed = false;
  #error: Error | undefined;

  private constructor(tempPath: string, format: FileFormat<T>, file: WriteStream, out: Writable) {
    this.tempPath = tempPath;
    this.#format = format;
    this.#file = file;
    this.#out = out;
    const onError = (e: Error) => (this.#error ??= e);
    file.on('error', onError);
    out.on('error', onError);
  }

  /** Creates the temp dir if needed and a new temp file in it. */
  static async open<T>(dir: string, format: FileFormat<T>, compression: FileCompression = 'none'): Promise<TempFileWriter<T>> {
    await mkdir(dir, { recursive: true });
    const ext = format.extension ? `.${format.extension}` : '';
    const tempPath = join(dir, `${randomUUID()}${ext}${compression === 'gzip' ? '.gz' : ''}.tmp`);
    // flush: fsync before close, so a committed (renamed) file survives a crash with its contents.
    const file = createWriteStream(tempPath, { flags: 'wx', flush: true });
    await once(file, 'open');
    let out: Writable = file;
    if (compression === 'gzip') {
      const gzip = createGzip();
      // pipeline (not pipe) so that an error on either side destroys the other and close() cannot hang.
      pipeline(gzip, file, () => {});
      out = gzip;
    }
    const writer = new TempFileWriter(tempPath, format, file, out);
    const header = format.header?.();
    if (header) writer.#buffer = header;
    return writer;
  }

  /** Encodes and buffers values (all or none of them if `encode` throws). */
  write(values: readonly T[]): void {
    this.#check();
    let text = '';
    for (let i = 0; i < values.length; i++) text += this.#format.encode(values[i]);
    this.#buffer += text;
    this.#count += values.length;
    if (this.#buffer.length >= FLUSH_CHARS) this.#flush();
  }

  /** Resolves when the file can take more (at once unless the disk is behind); rejects on a write error. */
  async ready(): Promise<void> {
    this.#check();
    if (this.#out.writableNeedDrain) await Promise.race([once(this.#out, 'drain'), once(this.#out, 'close')]);
    this.#check();
  }

  /** Writes the footer, flushes and closes the file. */
  async close(): Promise<{ tempPath: string; count: number; bytes: number }> {
    this.#check();
    this.#closed = true;
    const footer = this.#format.footer?.();
    if (footer) this.#buffer += footer;
    this.#flush();
    this.#out.end();
    try {
      await finished(this.#file);
    } catch (e) {
      throw this.#failure(this.#error ?? e);
    }
    if (this.#error) throw this.#failure(this.#error);
    return { tempPath: this.tempPath, count: this.#count, bytes: this.#file.bytesWritten };
  }

  #flush(): void {
    if (this.#buffer.length === 0) return;
    this.#out.write(this.#buffer);
    this.#buffer = '';
  }

  #check(): void {
    if (this.#error) throw this.#failure(this.#error);
    if (this.#closed) throw new RiffleError('FILE_WRITER_CLOSED', `temp file ${this.tempPath} is already closed`, { domain: 'internal' });
  }

  #failure(cause: unknown): RiffleError {
    return new RiffleError('FILE_WRITE_FAILED', `writing ${this.tempPath} failed: ${(cause as Error)?.message ?? cause}`, {
      domain: 'external',
      cause,
      hint: 'check free space and permissions of the output directory',
    });
  }
}

/**
 * Commits temp files by the commit protocol of file-commit.ts: the files of each output directory become its file
 * set's new committed set (the previous run's files of that set are removed), `_SUCCESS` written last. Idempotent, for
 * retries: a temp file already renamed (gone, with its final file present) counts as committed.
 */
export async function commitFiles(renames: ReadonlyArray<{ tempPath: string; finalPath: string; count?: number }>, opts: { runId?: string } = {}): Promise<void> {
  commitRenames(renames, opts);
}

/**
 * The file set (file-commit.ts) of a sink's files: the directory and what surrounds the window, pane and shard parts
 * of `finalShardPath`'s names.
 *
 * @example
 *   fileSetFor({ prefix: 'out/part', suffix: '-a' }, 'jsonl', 'gzip') // { dir: 'out', base: 'part-', rest: '-a.jsonl.gz' }
 */
export function fileSetFor(spec: { prefix: string; suffix?: string }, ext: string, compression: FileCompression): FileSet {
  const { prefix } = spec;
  const isDir = prefix === '' || /[/\\]$/.test(prefix);
  const extension = ext.startsWith('.') ? ext.slice(1) : ext;
  return {
    dir: prefix === '' ? '.' : isDir ? prefix.replace(/[/\\]+$/, '') || '/' : dirname(prefix),
    base: isDir ? '' : `${basename(prefix)}-`,
    rest: `${spec.suffix ?? ''}${extension ? `.${extension}` : ''}${compression === 'gzip' ? '.gz' : ''}`,
  };
}
