import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RiffleError } from '../../model/index.ts';
import type { FileFormat } from './file-format.ts';
import type { FileCompression } from './file-sink.ts';
import { commitRenames } from './file-commit.ts';


/**
 * Why synchronous I/O: DoFn methods are synchronous and run inside the engine's fused, synchronous bundle loop, so a
 * write step cannot await. Elements are only encoded and buffered per element; the disk is touched once per MiB of
 * text (a bundle is usually less) and at close, so the engine blocks once per bundle for about the time the OS takes to
 * copy the bundle's bytes into its page cache (plus one fsync per file, which a committed file needs anyway).
 */
const FLUSH_CHARS = 1 << 20;

/** What a closed temp file holds: `SyncTempFile.close()` returns it, e.g. `{ tempPath, count: 4096, bytes: 180_224 }`. */
export interface TempFileResult {
  readonly tempPath: string;
  readonly count: number;
  readonly bytes: number;
}

/**
 * A temp file written synchronously, for DoFns: `add` encodes and buffers, writing each MiB; `close` writes the
 * footer, fsyncs and closes. With gzip each flushed MiB is one gzip member (RFC 1952 allows concatenated members;
 * gunzip, Node's zlib and Python's gzip read them as one stream).
 *
 * @example
 *   const f = SyncTempFile.open(tempDirFor('out/part', jobId), jsonlFormat(), 'gzip');
 *   for (const row of rows) f.add(row);
 *   const { tempPath, count, bytes } = f.close();
 */
export class SyncTempFile<T> {
  #fd: number | undefined;
  #buffer = '';
  #count = 0;
  #bytes = 0;

  private constructor(
    readonly tempPath: string,
    private readonly format: FileFormat<T>,
    private readonly compression: FileCompression,
    fd: number,
  ) {
    this.#fd = fd;
    this.#buffer = format.header?.() ?? '';
  }

  /** Creates the temp dir if needed and a new, uniquely named temp file in it. */
  static open<T>(dir: string, format: FileFormat<T>, compression: FileCompression = 'none'): SyncTempFile<T> {
    const ext = format.extension ? `.${format.extension}` : '';
    const tempPath = join(dir, `${randomUUID()}${ext}${compression === 'gzip' ? '.gz' : ''}.tmp`);
    try {
      mkdirSync(dir, { recursive: true });
      return new SyncTempFile(tempPath, format, compression, openSync(tempPath, 'wx'));
    } catch (e) {
      throw writeFailure(tempPath, e);
    }
  }

  /** Encodes and buffers one value (a throwing `encode` leaves the file as it was). */
  add(value: T): void {
    this.#buffer += this.format.encode(value);
    this.#count++;
    if (this.#buffer.length >= FLUSH_CHARS) this.#flush();
  }

  get count(): number {
    return this.#count;
  }

  /** Writes the footer and what is buffered, fsyncs (so a committed file survives a crash) and closes. */
  close(): TempFileResult {
    this.#buffer += this.format.footer?.() ?? '';
    const fd = this.#open();
    try {
      this.#flush();
      fsyncSync(fd);
    } catch (e) {
      this.discard();
      throw writeFailure(this.tempPath, e);
    }
    closeSync(fd);
    this.#fd = undefined;
    return { tempPath: this.tempPath, count: this.#count, bytes: this.#bytes };
  }

  /** Closes (if open) and deletes the temp file; for a write that will not be committed. */
  discard(): void {
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {
        // already unusable: the unlink below is what matters
      }
      this.#fd = undefined;
    }
    removeQuietly(this.tempPath);
  }

  #flush(): void {
    if (this.#buffer.length === 0) return;
    const fd = this.#open();
    const data = this.compression === 'gzip' ? gzipSync(this.#buffer) : Buffer.from(this.#buffer);
    this.#buffer = '';
    try {
      for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    } catch (e) {
      throw writeFailure(this.tempPath, e);
    }
    this.#bytes += data.length;
  }

  #open(): number {
    if (this.#fd === undefined) throw new RiffleError('FILE_WRITER_CLOSED', `temp file ${this.tempPath} is already closed`, { domain: 'internal' });
    return this.#fd;
  }
}

/**
 * `commitFiles`, synchronously, for a DoFn: the commit protocol of file-commit.ts (`commitRenames`) — the files of a
 * directory become its new committed set, `_SUCCESS` written last.
 *
 * @example
 *   commitFilesSync([{ tempPath: f.close().tempPath, finalPath: 'out/part-00000-of-00001.jsonl' }]);
 */
export function commitFilesSync(renames: ReadonlyArray<{ tempPath: string; finalPath: string; count?: number }>): void {
  commitRenames(renames);
}

/** Deletes a file, ignoring one already gone. */
export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}



/** The error of a failed temp-file write, naming the file. */
export function writeFailure(path: string, cause: unknown): RiffleError {
  return new RiffleError('FILE_WRITE_FAILED', `writing ${path} failed: ${(cause as Error)?.message ?? String(cause)}`, {
    domain: 'external',
    cause,
    hint: 'check free space and permissions of the output directory',
  });
}
