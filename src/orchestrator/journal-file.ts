/**
 * The journal store's file formats: framed records and a checksummed snapshot.
 *
 * A record is one line, `<length> <crc32> <json>\n`: the byte length of the JSON, its CRC-32 (8 hex digits), then the
 * JSON itself, so the files stay greppable (`grep '"dagId":"etl"' journal.jsonl`) and every record is verified on
 * read. The snapshot is one such record. Stores written by earlier versions (bare JSON lines, a bare JSON snapshot)
 * are read as the "legacy" format; the store rewrites them framed on its first writable open.
 *
 * A scan tells three faults apart (the store decides what to do with each):
 * - a **torn tail**: the file ends in an incomplete record (no newline, a length past the end, zero fill) and no valid
 *   record follows: a write a crash interrupted, never acknowledged; cut on open, with a warning;
 * - **corruption**: a complete record that fails its check (a bad checksum, garbage), whether records follow it or
 *   not: refused, naming the file, line and byte offset (`riffle store repair` keeps the valid prefix);
 * - a good file.
 * @example
 *   appendFileSync(path, frameRecord(JSON.stringify({ s: 1, o: op })));
 *   const scan = scanJournal(readFileSync(path));   // { format: 'framed', records: [...], validBytes, ... }
 */
import { crc32 } from 'node:zlib';

/** One line of the framed format. */
export function frameRecord(json: string): string {
  const bytes = Buffer.from(json);
  return `${bytes.length} ${crcHex(bytes)} ${json}\n`;
}

function crcHex(bytes: Uint8Array): string {
  return crc32(bytes).toString(16).padStart(8, '0');
}

export type JournalFormat = 'framed' | 'legacy' | 'empty';

export interface JournalRecord {
  /** Byte offset of the record in the file. */
  offset: number;
  /** 1-based line number. */
  line: number;
  value: unknown;
}

export interface JournalFault {
  /** Byte offset where the bad part starts. */
  offset: number;
  /** 1-based line number there. */
  line: number;
  reason: string;
  /** Bytes from `offset` to the end of the file. */
  bytes: number;
  /** Valid records found after the bad one (lost if the rest is cut). */
  validAfter: number;
  /** Their values. */
  after: unknown[];
}

export interface JournalScan {
  format: JournalFormat;
  /** Valid records before the first fault. */
  records: JournalRecord[];
  /** Bytes of the valid prefix. */
  validBytes: number;
  totalBytes: number;
  /** An incomplete last record (a torn write). */
  tail?: JournalFault;
  /** A complete record that fails its check. */
  corrupt?: JournalFault;
}

/** A failed read; `short`: the file ends before the record does (what a torn append leaves). */
type Read = { ok: true; end: number; value: unknown } | { ok: false; reason: string; short?: boolean };

const NL = 0x0a;

/** Reads the framed record at `at`. */
function readFramed(buf: Buffer, at: number): Read {
  // Header: up to 10 digits, a space, 8 hex digits, a space.
  let i = at;
  while (i < buf.length && i - at <= 10 && buf[i]! >= 0x30 && buf[i]! <= 0x39) i++;
  if (i >= buf.length) return { ok: false, reason: 'the record is cut short', short: true };
  if (i === at || i - at > 10 || buf[i] !== 0x20) return { ok: false, reason: 'not a record header (<length> <crc32> <json>)' };
  const length = Number(buf.toString('latin1', at, i));
  const crcText = buf.toString('latin1', i + 1, i + 9);
  if (i + 10 > buf.length && /^[0-9a-f]*$/.test(crcText)) return { ok: false, reason: 'the record is cut short', short: true };
  if (!/^[0-9a-f]{8}$/.test(crcText) || buf[i + 9] !== 0x20) return { ok: false, reason: 'not a record header (<length> <crc32> <json>)' };
  const start = i + 10;
  const end = start + length;
  if (end >= buf.length) return { ok: false, reason: `the record is cut short (${length} bytes announced, ${Math.max(0, buf.length - start)} present)`, short: true };
  if (buf[end] !== NL) return { ok: false, reason: `the record's length (${length}) does not end at a line end` };
  const body = buf.subarray(start, end);
  const actual = crcHex(body);
  if (actual !== crcText) return { ok: false, reason: `checksum mismatch (recorded ${crcText}, computed ${actual})` };
  try {
    return { ok: true, end: end + 1, value: JSON.parse(body.toString('utf8')) };
  } catch (e) {
    return { ok: false, reason: `the JSON does not parse: ${(e as Error).message}` };
  }
}

/** Reads the legacy (bare JSON line) record at `at`. */
function readLegacy(buf: Buffer, at: number): Read {
  const nl = buf.indexOf(NL, at);
  if (nl < 0) return { ok: false, reason: 'the last line is cut short (no line end)', short: true };
  try {
    return { ok: true, end: nl + 1, value: JSON.parse(buf.toString('utf8', at, nl)) };
  } catch (e) {
    return { ok: false, reason: `the line is not JSON: ${(e as Error).message}` };
  }
}

function lineAt(buf: Buffer, offset: number, from: { offset: number; line: number }): number {
  let line = from.line;
  for (let i = from.offset; i < offset; i++) if (buf[i] === NL) line++;
  return line;
}

/** Scans a journal file's bytes: its valid records, and a torn tail or corruption after them. */
export function scanJournal(buf: Buffer): JournalScan {
  const format: JournalFormat = buf.length === 0 ? 'empty' : buf[0] === 0x7b /* { */ ? 'legacy' : 'framed';
  const read = format === 'legacy' ? readLegacy : readFramed;
  const records: JournalRecord[] = [];
  let offset = 0;
  let line = 1;
  while (offset < buf.length) {
    const r = read(buf, offset);
    if (r.ok) {
      records.push({ offset, line, value: r.value });
      offset = r.end;
      line++;
      continue;
    }
    // Count the valid records that follow (each starts after a line end).
    const after: unknown[] = [];
    let nl = buf.indexOf(NL, offset);
    while (nl >= 0 && nl + 1 < buf.length) {
      const next = read(buf, nl + 1);
      if (next.ok) after.push(next.value);
      nl = next.ok ? next.end - 1 : buf.indexOf(NL, nl + 1);
    }
    const rest = buf.subarray(offset);
    const fault: JournalFault = { offset, line, reason: r.reason, bytes: buf.length - offset, validAfter: after.length, after };
    // A torn write leaves a prefix of what was appended: a record the file ends inside of, or a zero-filled block (a
    // file system that extended the file before the data reached the disk). Anything else was written whole and
    // went bad (a complete record with a bad checksum or terminator is corruption, even at the end).
    const torn = after.length === 0 && (r.short === true || rest.every((b) => b === 0 || b === NL));
    return { format, records, validBytes: offset, totalBytes: buf.length, ...(torn ? { tail: fault } : { corrupt: fault }) };
  }
  return { format, records, validBytes: offset, totalBytes: buf.length };
}

/** What a snapshot file holds. */
export type SnapshotRead =
  | { kind: 'none' }
  | { kind: 'ok'; value: unknown; legacy: boolean }
  | { kind: 'bad'; reason: string };

/** Reads a snapshot file's bytes (undefined: there is none). */
export function readSnapshotBytes(buf: Buffer | undefined): SnapshotRead {
  if (buf === undefined) return { kind: 'none' };
  if (buf.length === 0) return { kind: 'bad', reason: 'the file is empty' };
  if (buf[0] === 0x7b) {
    try {
      return { kind: 'ok', value: JSON.parse(buf.toString('utf8')), legacy: true };
    } catch (e) {
      return { kind: 'bad', reason: `the JSON does not parse: ${(e as Error).message}` };
    }
  }
  const r = readFramed(buf, 0);
  if (!r.ok) return { kind: 'bad', reason: r.reason };
  if (r.end !== buf.length) return { kind: 'bad', reason: `${buf.length - r.end} unexpected byte(s) after the snapshot` };
  return { kind: 'ok', value: r.value, legacy: false };
}

/** The line of a byte offset, counted from the start (for messages about files scanned elsewhere). */
export function lineOfOffset(buf: Buffer, offset: number): number {
  return lineAt(buf, offset, { offset: 0, line: 1 });
}
