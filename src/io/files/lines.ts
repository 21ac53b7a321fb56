import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { RiffleError } from '../../model/index.ts';
import { inputStream, openInput } from './input-file.ts';

/**
 * A line that could not be read as text: invalid UTF-8 (with `invalidUtf8: 'error'`), longer than `maxLineBytes`, or
 * the point where a compressed stream turned out corrupt (then nothing follows it in this file).
 */
export interface LineError {
  /** Why, without the line number (e.g. `invalid UTF-8 (byte 0xff at offset 3 of the line)`). */
  readonly reason: string;
  /** The line's bytes as base64 (`rawEncoding: 'base64'`), or a bounded text excerpt (`rawEncoding: 'text'`). */
  readonly raw: string;
  readonly rawEncoding: 'base64' | 'text';
  /** For a corrupt compressed stream: the compressed bytes read when it failed. */
  readonly byteOffset?: number;
}

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
  /**
   * A line that could not be read, right after `lines`: its number is `firstLine + lines.length` (the next batch starts
   * after it). Callers must route it to their error output.
   */
  readonly error?: LineError;
  /** The file's line terminator (detected from its first line end): '\n' (LF or CRLF) or '\r' (classic Mac). */
  readonly terminator: '\n' | '\r';
  /**
   * The byte offset just after this batch's last line (its terminator included), or after its error line: where a
   * read started with `start: end` goes on with the next line (checkpoint positions). For a gzip file it counts
   * decompressed bytes, which a read cannot start at: compressed files resume by record count instead.
   */
  readonly end: number;
}

export type Compression = 'auto' | 'none' | 'gzip';

/** What to do with bytes that are not UTF-8: route the line to the errors (default), or replace them by U+FFFD. */
export type InvalidUtf8 = 'error' | 'replace';

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
  /**
   * 'error' (default): a line that is not valid UTF-8 becomes a LineError (its bytes in base64), never text changed
   * silently; 'replace': invalid bytes read as U+FFFD, as most tools do.
   */
  invalidUtf8?: InvalidUtf8;
  /**
   * Longest line in bytes (default 64 MiB, `DEFAULT_MAX_LINE_BYTES`). A longer line becomes a LineError with a bounded
   * excerpt and is skipped in bounded memory (bytes are dropped up to its end); reading goes on.
   */
  maxLineBytes?: number;
  signal?: AbortSignal;
}

const DEFAULT_BATCH = 4096;
const DEFAULT_CHUNK = 256 * 1024;
/** Default longest line or record of the line-based readers: 64 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;
/** Bytes of an over-limit or undecodable line kept in its error record. */
const EXCERPT_BYTES = 1024;
const NL = 10;
const CR = 13;

/** Whether a file is gzip: by its `.gz` name or, failing that, by its first two bytes (0x1f 0x8b). */
export async function isGzipFile(path: string): Promise<boolean> {
  if (path.endsWith('.gz')) return true;
  const fh = await openInput(path);
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * The line terminator of some bytes, as the first line end says: '\r' when it is a bare CR (classic Mac), else '\n'
 * (LF or CRLF); undefined when no line end was seen yet (or a CR is the last byte, so CRLF cannot be told apart).
 */
export function terminatorOf(bytes: Uint8Array): '\n' | '\r' | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lf = buf.indexOf(NL);
  const cr = lf === -1 ? buf.indexOf(CR) : buf.subarray(0, lf).indexOf(CR);
  if (cr === -1) return lf === -1 ? undefined : '\n';
  if (cr + 1 >= buf.length) return undefined;
  return buf[cr + 1] === NL ? '\n' : '\r';
}

/** The line terminator of an uncompressed file, from its first 64 KiB ('\n' when it has no line end there). */
export async function detectLineTerminator(path: string): Promise<'\n' | '\r'> {
  const fh = await openInput(path);
  try {
    const head = Buffer.allocUnsafe(64 * 1024);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return terminatorOf(head.subarray(0, bytesRead)) ?? (bytesRead > 0 && head[bytesRead - 1] === CR ? '\r' : '\n');
  } finally {
    await fh.close();
  }
}

/** The first invalid byte of a UTF-8 line, for messages. */
function invalidUtf8Reason(line: Buffer): string {
  const text = line.toString('utf8');
  const at = text.indexOf('\uFFFD');
  const offset = at === -1 ? 0 : Buffer.byteLength(text.slice(0, at));
  const byte = line[offset] ?? 0;
  return `invalid UTF-8 (byte 0x${byte.toString(16).padStart(2, '0')} at offset ${offset} of the line); the line's bytes are in the error record as base64`;
}

/** A corrupt compressed stream's error: zlib's codes all start with Z_. */
function isZlibError(e: unknown): e is Error & { code: string } {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * Streams a text file as batches of lines: UTF-8, LF, CRLF or bare CR endings (detected per file from its first line
 * end), a last line without a newline, a leading BOM dropped, gzip decompressed transparently. Memory stays at about
 * one chunk plus one batch, whatever the file size, also for a line of any length (see `maxLineBytes`).
 *
 * Lines that cannot be read as text are not dropped nor changed: invalid UTF-8 (unless `invalidUtf8: 'replace'`), a
 * line over `maxLineBytes`, or a corrupt gzip stream come as `LineBatch.error` in order, and reading goes on (after a
 * corrupt gzip stream, nothing more of that file can be read).
 *
 * Strategy: work on bytes. Cut each chunk after its last line end; the line carried from the previous chunk is
 * completed with the bytes up to the chunk's first line end (so a chunk is never copied whole); the complete lines
 * between are validated as UTF-8 in one native call and decoded once, then cut at the terminator with `indexOf` (no
 * per-line events as with readline). Only a region that is not valid UTF-8 is walked line by line. A carried line
 * past the limit is dropped while its end is sought (only an excerpt is kept).
 *
 * @example
 *   for await (const { lines, firstLine, error } of readLines('in/log.txt.gz')) console.log(firstLine, lines.length, error?.reason);
 */
export async function* readLines(path: string, opts: ReadLinesOptions = {}): AsyncGenerator<LineBatch> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
  const keepCr = opts.keepCarriageReturn ?? false;
  const replace = opts.invalidUtf8 === 'replace';
  const maxLine = Math.max(1, opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
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
  // A ranged read takes the whole file's terminator (its range may start anywhere).
  let term: number | undefined;
  if (ranged) {
    const t = await detectLineTerminator(path);
    term = t === '\r' ? CR : NL;
    rangeStart = await alignToLineStart(path, opts.start ?? 0, t);
    rangeEnd = opts.end === undefined ? undefined : await alignToLineStart(path, opts.end, t);
    if (rangeEnd !== undefined && rangeEnd <= rangeStart) return;
  }

  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
  const file = inputStream(path, {
    start: rangeStart,
    end: rangeEnd === undefined ? undefined : rangeEnd - 1, // inclusive
    highWaterMark: chunkSize,
  });
  let stream: Readable = file;
  if (gzip) {
    const gunzip = createGunzip({ chunkSize: Math.max(64, chunkSize) }); // zlib needs at least 64
    // pipeline destroys both streams on error, so iterating gunzip rethrows a read error as well as a corrupt stream.
    stream = pipeline(file, gunzip, () => {});
  }

  let bomPending = rangeStart === 0;
  // The line being carried across chunks (its bytes so far), or, while `skipping`, the excerpt of an over-limit line.
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let skipping = false;
  let batch: string[] = [];
  let batchFirst = 1;
  // Byte offsets (of the file, decompressed for gzip): `seen` after the bytes read so far, `chunkStart` of the chunk
  // being cut, `lineEnd` after the last line added to `batch` (or reported as an error).
  let seen = rangeStart;
  let chunkStart = rangeStart;
  let lineEnd = rangeStart;
  const terminator = () => (term === CR ? '\r' : '\n');
  const take = (error?: LineError): LineBatch => {
    const out: LineBatch = error ? { lines: batch, firstLine: batchFirst, rangeStart, error, terminator: terminator(), end: lineEnd } : { lines: batch, firstLine: batchFirst, rangeStart, terminator: terminator(), end: lineEnd };
    batchFirst += batch.length + (error ? 1 : 0);
    batch = [];
    return out;
  };
  /** Adds one complete line (terminator removed); a LineError to yield when it cannot be read. */
  const addLine = (bytes: Buffer): LineError | undefined => {
    let end = bytes.length;
    if (term === NL && !keepCr && end > 0 && bytes[end - 1] === CR) end--;
    const line = end === bytes.length ? bytes : bytes.subarray(0, end);
    const content = term === NL && end > 0 && line[end - 1] === CR ? end - 1 : end;
    if (content > maxLine) return tooLong(line.subarray(0, EXCERPT_BYTES), content);
    if (!replace && !isUtf8(line)) return { reason: invalidUtf8Reason(line), raw: line.subarray(0, maxLine).toString('base64'), rawEncoding: 'base64' };
    batch.push(line.toString('utf8'));
    return undefined;
  };
  const tooLong = (excerpt: Buffer, size: number | undefined): LineError => ({
    reason: `line longer than the limit of ${maxLine} bytes (${size === undefined ? 'more' : size} bytes); it was skipped (maxLineBytes raises the limit)`,
    raw: excerpt.toString('utf8'),
    rawEncoding: 'text',
  });
  /** Splits complete lines (`region` ends with a terminator), yielding full batches and errors. */
  const splitRegion = function* (region: Buffer, regionStart: number): Generator<LineBatch> {
    const t = term!;
    if (region.length <= maxLine && (replace || isUtf8(region))) {
      // The fast path: one decode, then cut the string.
      const s = region.toString('utf8');
      const ch = t === CR ? '\r' : '\n';
      const stripCr = t === NL && !keepCr;
      // Characters are bytes when the region is ASCII; otherwise a batch's end offset is found in the bytes, by
      // passing as many terminators as lines were taken (decoded text does not measure bytes: a replaced invalid
      // byte is three bytes as U+FFFD).
      const ascii = s.length === region.length;
      let bytePos = 0;
      let sinceYield = 0; // lines of this region in the batch
      let pos = 0;
      while (pos < s.length) {
        const nl = s.indexOf(ch, pos);
        const end = stripCr && nl > pos && s.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
        batch.push(s.slice(pos, end));
        pos = nl + 1;
        sinceYield++;
        if (batch.length >= batchSize) {
          signal?.throwIfAborted();
          if (ascii) lineEnd = regionStart + pos;
          else {
            for (; sinceYield > 0; sinceYield--) bytePos = region.indexOf(t, bytePos) + 1;
            lineEnd = regionStart + bytePos;
          }
          sinceYield = 0;
          yield take();
        }
      }
      lineEnd = regionStart + region.length;
      return;
    }
    let pos = 0;
    while (pos < region.length) {
      const nl = region.indexOf(t, pos);
      const error = addLine(region.subarray(pos, nl));
      pos = nl + 1;
      lineEnd = regionStart + pos;
      if (error || batch.length >= batchSize) {
        signal?.throwIfAborted();
        yield take(error);
      }
    }
  };
  const carryLine = (): Buffer => (carry.length === 1 ? carry[0]! : Buffer.concat(carry, carryBytes));
  /** Appends bytes to the carried line, or to nothing while skipping; starts skipping past the limit. */
  const extendCarry = (bytes: Buffer): void => {
    if (skipping) return;
    if (carryBytes + bytes.length > maxLine + (term === NL ? 1 : 0)) {
      const head = carryLine();
      const excerpt = Buffer.concat([head.subarray(0, EXCERPT_BYTES), bytes.subarray(0, Math.max(0, EXCERPT_BYTES - head.length))]);
      carry = [excerpt];
      carryBytes = excerpt.length;
      skipping = true;
      return;
    }
    if (bytes.length > 0) {
      // Copy: the chunk's buffer may be reused by the stream.
      carry.push(Buffer.from(bytes));
      carryBytes += bytes.length;
    }
  };
  const process = function* (chunk: Buffer): Generator<LineBatch> {
    chunkStart = seen;
    seen += chunk.length;
    if (bomPending && chunk.length > 0) {
      if (carryBytes + chunk.length < 3 && chunk.every((b, i) => b === [0xef, 0xbb, 0xbf][carryBytes + i])) {
        extendCarry(chunk);
        return;
      }
      bomPending = false;
      if (carryBytes > 0) {
        chunkStart -= carryBytes;
        chunk = Buffer.concat([carryLine(), chunk]);
        carry = [];
        carryBytes = 0;
      }
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        chunk = chunk.subarray(3);
        chunkStart += 3;
      }
    }
    if (term === undefined) {
      // Detect the terminator from the first line end (a CR at the very end of what was read cannot tell yet).
      // The carry holds no line end but maybe a CR as its last byte: look at that byte and the chunk only.
      const lastCarried = carry.length > 0 ? carry[carry.length - 1]! : undefined;
      const seen = lastCarried !== undefined && lastCarried.length > 0 ? Buffer.concat([lastCarried.subarray(lastCarried.length - 1), chunk]) : chunk;
      const t = terminatorOf(seen);
      if (t === undefined) {
        extendCarry(chunk);
        return;
      }
      term = t === '\r' ? CR : NL;
      if (carryBytes > 0 && !skipping) {
        // The carry may end with the terminator just recognised: cut it again with the chunk (once per file).
        chunkStart -= carryBytes;
        chunk = Buffer.concat([carryLine(), chunk]);
        carry = [];
        carryBytes = 0;
      }
    }
    const t = term;
    const first = chunk.indexOf(t);
    if (first === -1) {
      extendCarry(chunk);
      return;
    }
    let from = 0;
    if (carryBytes > 0 || skipping) {
      // Complete the carried line with the bytes up to the first line end.
      const wasSkipping = skipping;
      extendCarry(chunk.subarray(0, first));
      let error: LineError | undefined;
      if (skipping) error = tooLong(carryLine().subarray(0, EXCERPT_BYTES), wasSkipping ? undefined : carryBytes + first);
      else error = addLine(carryLine());
      carry = [];
      carryBytes = 0;
      skipping = false;
      lineEnd = chunkStart + first + 1;
      if (error || batch.length >= batchSize) {
        signal?.throwIfAborted();
        yield take(error);
      }
      from = first + 1;
    }
    const last = chunk.lastIndexOf(t);
    if (last >= from) yield* splitRegion(chunk.subarray(from, last + 1), chunkStart + from);
    extendCarry(chunk.subarray(Math.max(from, last + 1)));
  };
  try {
    try {
      for await (const chunk of stream) {
        signal?.throwIfAborted();
        yield* process(chunk as Buffer);
      }
    } catch (e) {
      if (!gzip || !isZlibError(e)) throw e;
      // A corrupt or truncated compressed stream: the lines read so far stand; the broken rest is one error.
      signal?.throwIfAborted();
      const excerpt = carryLine().subarray(0, EXCERPT_BYTES).toString('utf8');
      carry = [];
      carryBytes = 0;
      skipping = false;
      yield take({
        reason: `corrupt gzip data after ${file.bytesRead} compressed bytes (${e.message}); the rest of the file cannot be read`,
        raw: excerpt,
        rawEncoding: 'text',
        byteOffset: file.bytesRead,
      });
      return;
    }
    term ??= carryBytes > 0 && carryLine()[carryBytes - 1] === CR ? CR : NL;
    if (carryBytes > 0 || skipping) {
      lineEnd = seen;
      let error: LineError | undefined;
      if (skipping) error = tooLong(carryLine().subarray(0, EXCERPT_BYTES), undefined);
      else {
        let line = carryLine();
        // A last line ended by a lone terminator-less CR (LF files keep CRs only on request).
        if (term === CR && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
        error = addLine(line);
      }
      carry = [];
      carryBytes = 0;
      if (error) {
        signal?.throwIfAborted();
        yield take(error);
      }
    }
    if (batch.length > 0) {
      signal?.throwIfAborted();
      yield take();
    }
  } finally {
    stream.destroy();
    file.destroy();
  }
}

/**
 * The first line start at or after `offset`: `offset` itself when the byte before it is the line terminator, else the
 * byte after the next terminator (or the file size when there is none). `terminator` defaults to the file's own.
 */
export async function alignToLineStart(path: string, offset: number, terminator?: '\n' | '\r'): Promise<number> {
  if (offset <= 0) return 0;
  const t = (terminator ?? (await detectLineTerminator(path))) === '\r' ? CR : NL;
  const fh = await openInput(path);
  try {
    const size = (await fh.stat()).size;
    if (offset >= size) return size;
    const buf = Buffer.allocUnsafe(64 * 1024);
    let pos = offset - 1;
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      const i = buf.subarray(0, bytesRead).indexOf(t);
      if (i !== -1) return pos + i + 1;
      pos += bytesRead;
    }
    return size;
  } finally {
    await fh.close();
  }
}

/**
 * The start of the line `lines` lines before `end` (a line start) of an uncompressed file: the byte after the
 * terminator that precedes those lines, or 0. For a reader that knows how many whole lines it holds unparsed but not
 * their bytes (text read with `invalidUtf8: 'replace'` does not measure its bytes).
 */
export async function lineStartBefore(path: string, end: number, lines: number, terminator: '\n' | '\r'): Promise<number> {
  if (lines <= 0 || end <= 0) return end;
  const t = terminator === '\r' ? CR : NL;
  const fh = await openInput(path);
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    let seen = 0; // terminators passed: the lines' own, then the one before them
    let pos = end;
    while (pos > 0) {
      const from = Math.max(0, pos - buf.length);
      const { bytesRead } = await fh.read(buf, 0, pos - from, from);
      for (let i = bytesRead - 1; i >= 0; i--) {
        if (buf[i] === t && ++seen > lines) return from + i + 1;
      }
      pos = from;
    }
    return 0;
  } finally {
    await fh.close();
  }
}

/**
 * The number of line terminators in [0, offset) of an uncompressed file: the line number of `offset` minus one.
 * `terminator` defaults to the file's own.
 */
export async function countLinesBefore(path: string, offset: number, terminator?: '\n' | '\r'): Promise<number> {
  if (offset <= 0) return 0;
  const t = (terminator ?? (await detectLineTerminator(path))) === '\r' ? CR : NL;
  const fh = await openInput(path);
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let count = 0;
    let pos = 0;
    while (pos < offset) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, offset - pos), pos);
      if (bytesRead === 0) break;
      const view = buf.subarray(0, bytesRead);
      for (let i = view.indexOf(t); i !== -1; i = view.indexOf(t, i + 1)) count++;
      pos += bytesRead;
    }
    return count;
  } finally {
    await fh.close();
  }
}
