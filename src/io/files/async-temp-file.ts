import { randomUUID } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FileFormat } from './file-format.ts';
import type { FileCompression } from './file-sink.ts';
import { removeQuietly, writeFailure, type TempFileResult } from './sync-temp-file.ts';

const gzipAsync = promisify(gzip);

/** Buffered text written out at a time (as SyncTempFile): memory per open file stays about this. */
const FLUSH_CHARS = 1 << 20;

/**
 * A temp file for sinks the engine awaits (model/sink.ts): `add` encodes and buffers synchronously; each MiB goes to
 * disk in the background, in order; `close` writes the footer and the rest, fsyncs and closes — asynchronously, so
 * the bundle loop never waits for the disk (the engine awaits `close` between bundles). With gzip each written MiB is
 * one gzip member, as SyncTempFile writes them.
 *
 * @example
 *   const f = AsyncTempFile.open(dir, jsonlFormat(), 'none');
 *   f.add(row);
 *   const { tempPath, count, bytes } = await f.close();
 */
export class AsyncTempFile<T> {
  #handle: Promise<FileHandle>;
  /** The writes so far, in order; rejects with the first failure. */
  #writes: Promise<void>;
  #buffer: string;
  #count = 0;
  #bytes = 0;
  #closed = false;

  private constructor(
    readonly tempPath: string,
    private readonly format: FileFormat<T>,
    private readonly compression: FileCompression,
    dir: string,
  ) {
    this.#handle = mkdir(dir, { recursive: true }).then(() => open(tempPath, 'wx'));
    this.#writes = this.#handle.then(() => undefined);
    // A failure is reported by close(); until then keep it from being an unhandled rejection.
    this.#writes.catch(() => {});
    this.#buffer = format.header?.() ?? '';
  }

  /** A new, uniquely named temp file in `dir` (created if needed), opened in the background. */
  static open<T>(dir: string, format: FileFormat<T>, compression: FileCompression = 'none'): AsyncTempFile<T> {
    const ext = format.extension ? `.${format.extension}` : '';
    return new AsyncTempFile(join(dir, `${randomUUID()}${ext}${compression === 'gzip' ? '.gz' : ''}.tmp`), format, compression, dir);
  }

  /** Encodes and buffers one value (a throwing `encode` leaves the file as it was). */
  add(value: T): void {
    this.#buffer += this.format.encode(value);
    this.#count++;
    if (this.#buffer.length >= FLUSH_CHARS) this.#writeBuffer();
  }

  get count(): number {
    return this.#count;
  }

  /** Writes the footer and the rest, fsyncs (so a committed file survives a crash) and closes. */
  async close(): Promise<TempFileResult> {
    this.#buffer += this.format.footer?.() ?? '';
    this.#writeBuffer();
    this.#closed = true;
    try {
      await this.#writes;
      const handle = await this.#handle;
      await handle.sync();
      await handle.close();
    } catch (e) {
      await this.discard();
      throw writeFailure(this.tempPath, e);
    }
    return { tempPath: this.tempPath, count: this.#count, bytes: this.#bytes };
  }

  /** Closes (if open) and deletes the temp file; for a write that will not be committed. */
  async discard(): Promise<void> {
    this.#closed = true;
    await this.#writes.catch(() => {});
    try {
      await (await this.#handle).close();
    } catch {
      // never opened, or already closed: the unlink below is what matters
    }
    try {
      removeQuietly(this.tempPath);
    } catch {
      // the file was never created (its directory could not be); the run's temp dir removal covers the rest
    }
  }

  #writeBuffer(): void {
    if (this.#buffer.length === 0 || this.#closed) return;
    const text = this.#buffer;
    this.#buffer = '';
    this.#writes = this.#writes.then(async () => {
      const data = this.compression === 'gzip' ? await gzipAsync(text) : Buffer.from(text);
      const handle = await this.#handle;
      for (let off = 0; off < data.length; ) off += (await handle.write(data, off, data.length - off)).bytesWritten;
      this.#bytes += data.length;
    });
    this.#writes.catch(() => {});
  }
}
