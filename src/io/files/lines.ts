import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { RiffleError } from '../../model/index.ts';

/** A batch of consecutive lines. Line `i` of the batch is line number `firstLine + i`. */
export interface LineBatch {
  readonly lines: string[];
  /**
   * 1-based number of `lines[0]`, counted from `rangeStart`. For a whole-file read `rangeStart` is 0 and these are the
   * file's own line numbers; for a range read add `countLinesBefore(path, rangeStart)` to get them (done lazily by
   * callers, since it costs a scan of everything before the range).
   */
  readonly firstLine: number;
  /** The byte offset at which the read began: 0, or the first line start at or after the requested `start`. */
  readonly rangeStart: number;
}

export type Compression = 'auto' | 'none' | 'gzip';

export interface ReadLinesOptions {
  /** Lines per batch (default 4096). */
  batchSize?: number;
  /**
   * Byte range of an uncompressed file to read: the lines that *begin* in [start, end), i.e. from the first line
   * starting at or after `start` through the line that crosses `end`. Consecutive ranges therefore cover every line
   * exactly once. Defaults: the whole file.
   */
  start?: number;
  end?: number;
  /** 'auto' (default): gzip when the name ends in `.gz` or the file starts with the gzip magic bytes. */
  compression?: Compression;
  /** Keep a trailing '\r' on lines (the CSV parser needs it to keep CRLF inside quoted values exact). Default false. */
  keepCarriageReturn?: boolean;
  /** Bytes read per chunk (default 256 KiB). */
  chunkSize?: number;
  signal?: AbortSignal;
}

const DEFAULT_BATCH = 4096;
const DEFAULT_CHUNK = 256 * 1024;
const NL = 10;
const CR = 13;

/** Whether a file is gzip: by its `.gz` name or, failing that, by its first two bytes (0x1f 0x8b). */
export async function isGzipFile(path: string): Promise<boolean> {
  if (path.endsWith('.gz')) return true;
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Streams a text file as batches of lines: UTF-8, LF or CRLF endings, a last line without a newline, a leading BOM
 * dropped, gzip decompressed transparently. Memory stays at about one chunk plus one batch, whatever the file size.
 *
 * Strategy: decode each chunk once, then cut it at '\n' with `indexOf` (no per-line events as with readline); the
 * unfinished tail of a chunk is carried into the next one (as parts, so a very long line is not re-scanned).
 *
 * @example
 *   for await (const { lines, firstLine } of readLines('in/log.txt.gz')) console.log(firstLine, lines.length);
 */
export async function* readLines(path: string, opts: ReadLinesOptions = {}): AsyncGenerator<LineBatch> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
  const keepCr = opts.keepCarriageReturn ?? false;
  const gzip = opts.compression === 'gzip' || (opts.compression !== 'none' && (await isGzipFile(path)));
  const ranged = opts.start !== undefined || opts.end !== undefined;
  if (gzip && ranged) {
    throw new RiffleError('FILE_RANGE_COMPRESSED', `cannot read a byte range of compressed file ${path}`, {
      domain: 'internal',
      hint: 'read compressed files whole (sources do not split them)',
    });
  }
  let rangeStart = 0;
  let rangeEnd: number | undefined;
  if (ranged) {
    rangeStart = await alignToLineStart(path, opts.start ?? 0);
    rangeEnd = opts.end === undefined ? undefined : await alignToLineStart(path, opts.end);
    if (rangeEnd !== undefined && rangeEnd <= rangeStart) return;
  }

  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
  const file = createReadStream(path, {
    start: rangeStart,
    end: rangeEnd === undefined ? undefined : rangeEnd - 1, // inclusive
    highWaterMark: chunkSize,
  });
  let stream: Readable = file;
  if (gzip) {
    const gunzip = createGunzip({ chunkSize });
    // pipeline destroys both streams on error, so iterating gunzip rethrows a read error as well as a corrupt stream.
    stream = pipeline(file, gunzip, () => {});
  }

  const decoder = new StringDecoder('utf8');
  let bomPending = rangeStart === 0;
  let carry: string[] = [];
  let batch: string[] = [];
  let batchFirst = 1;
  try {
    const emitFrom = function* (text: string): Generator<LineBatch> {
      if (bomPending && text.length > 0) {
        bomPending = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      if (text.indexOf('\n') === -1) {
        if (text.length > 0) carry.push(text);
        return;
      }
      const s = carry.length === 0 ? text : carry.join('') + text;
      carry = [];
      let pos = 0;
      while (true) {
        const nl = s.indexOf('\n', pos);
        if (nl === -1) break;
        const end = !keepCr && nl > pos && s.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
        batch.push(s.slice(pos, end));
        pos = nl + 1;
        if (batch.length >= batchSize) {
          signal?.throwIfAborted();
          yield { lines: batch, firstLine: batchFirst, rangeStart };
          batchFirst += batch.length;
          batch = [];
        }
      }
      if (pos < s.length) carry.push(s.slice(pos));
    };
    for await (const chunk of stream) {
      signal?.throwIfAborted();
      yield* emitFrom(decoder.write(chunk as Buffer));
    }
    yield* emitFrom(decoder.end());
    if (carry.length > 0) {
      const last = carry.join('');
      batch.push(!keepCr && last.charCodeAt(last.length - 1) === CR ? last.slice(0, -1) : last);
    }
    if (batch.length > 0) {
      signal?.throwIfAborted();
      yield { lines: batch, firstLine: batchFirst, rangeStart };
    }
  } finally {
    stream.destroy();
    file.destroy();
  }
}

/**
 * The first line start at or after `offset`: `offset` itself when the byte before it is '\n', else the byte after the
 * next '\n' (or the file size when there is none).
 */
export async function alignToLineStart(path: string, offset: number): Promise<number> {
  if (offset <= 0) return 0;
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    if (offset >= size) return size;
    const buf = Buffer.allocUnsafe(64 * 1024);
    let pos = offset - 1;
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      const i = buf.subarray(0, bytesRead).indexOf(NL);
      if (i !== -1) return pos + i + 1;
      pos += bytesRead;
    }
    return size;
  } finally {
    await fh.close();
  }
}

/** The number of '\n' bytes in [0, offset) of an uncompressed file: the line number of `offset` minus one. */
export async function countLinesBefore(path: string, offset: number): Promise<number> {
  if (offset <= 0) return 0;
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let count = 0;
    let pos = 0;
    while (pos < offset) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, offset - pos), pos);
      if (bytesRead === 0) break;
      const view = buf.subarray(0, bytesRead);
      for (let i = view.indexOf(NL); i !== -1; i = view.indexOf(NL, i + 1)) count++;
      pos += bytesRead;
    }
    return count;
  } finally {
    await fh.close();
  }
}
