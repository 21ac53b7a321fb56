/**
 * A columnar CSV reader for validation: parses the file's bytes straight into column arrays, once the column kinds
 * are known (from the header and the sample the caller read). Numbers are parsed from bytes (no string per number
 * cell), strings of low-cardinality columns are interned (no new string per repeated value), and no row objects or
 * field arrays are built — the text path (readLines → CsvRecordParser → rows) cost about three times the validation
 * itself on the 20-expectation bench.
 *
 * Strategy, per chunk of 1 MiB:
 *  1. Walk records byte by byte: a field ends at the delimiter or at LF (a CR before the LF is dropped); a field that
 *     starts with a quote runs to the closing quote (delimiters, newlines and doubled quotes inside).
 *  2. Convert each field as its column's kind says (`number`: the exact fast path m / 10^k for up to 15 significant
 *     digits without exponent, else JavaScript's own parse of the text; `boolean`; `string`), into a record
 *     buffer; a record with the wrong number of fields is reported malformed and dropped.
 *     In number columns the digits of an unquoted field are accumulated while its end is sought (one pass over
 *     its bytes); only a field that is not a plain decimal goes through the conversion of step 2.
 *  3. A record cut by the chunk's end is carried into the next chunk (so records may be of any length).
 * Same values as the text path (data-asset.ts): empty → missing; a cell that is not of its column's kind stays text.
 */
import { open } from 'node:fs/promises';
import { RowBatch, type CellKind } from './data-asset.ts';

const LF = 10;
const CR = 13;
const QUOTE = 34;
const CHUNK = 1 << 20;
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

type Utf8Slice = (this: Buffer, start: number, end: number) => string;
/** Node's Buffer#utf8Slice (what toString('utf8', s, e) ends in, without its argument checks), or toString. */
const utf8Slice: Utf8Slice = (Buffer.prototype as unknown as { utf8Slice?: Utf8Slice }).utf8Slice ?? function (this: Buffer, start: number, end: number) {
  return this.toString('utf8', start, end);
};
const decode = (b: Buffer, s: number, e: number): string => utf8Slice.call(b, s, e);

/** Whether b[s, e) equals `bytes` (a JS loop: values are short, a native compare costs more to call). */
function sameBytes(b: Buffer, s: number, e: number, bytes: Uint8Array): boolean {
  if (bytes.length !== e - s) return false;
  for (let i = 0; i < bytes.length; i++) if (b[s + i] !== bytes[i]) return false;
  return true;
}

/** Interns the strings of a column while most lookups hit (low cardinality); gives up on high-cardinality columns. */
class Interner {
  readonly #map = new Map<number, { bytes: Uint8Array; text: string }>();
  #lookups = 0;
  #misses = 0;
  #enabled = true;

  text(b: Buffer, s: number, e: number): string {
    if (!this.#enabled) return decode(b, s, e);
    let h = 0x811c9dc5 ^ (e - s);
    for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    const hit = this.#map.get(h);
    this.#lookups++;
    if (hit !== undefined && sameBytes(b, s, e, hit.bytes)) return hit.text;
    const text = decode(b, s, e);
    this.#misses++;
    if (this.#map.size < 4096 && hit === undefined) this.#map.set(h, { bytes: Uint8Array.prototype.slice.call(b, s, e), text });
    // Mostly misses after a while: a high-cardinality column, where hashing only costs.
    if (this.#lookups === 20_000 && this.#misses > 10_000) {
      this.#enabled = false;
      this.#map.clear();
    }
    return text;
  }
}

/** A plain decimal (sign, up to 15 digits, optional fraction, no exponent) from bytes, or undefined. */
function fastNumber(b: Buffer, s: number, e: number): number | undefined {
  let i = s;
  let negative = false;
  const first = b[i]!;
  if (first === 45 || first === 43) {
    negative = first === 45;
    i++;
  }
  let m = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (fraction >= 0) fraction++;
    } else if (c === 46 && fraction < 0) fraction = 0;
    else return undefined;
  }
  if (digits === 0 || digits > 15) return undefined;
  const v = fraction > 0 ? m / POW10[fraction]! : m;
  return negative ? -v : v;
}

const TEXT_TRUE = /^(true|True|TRUE)$/;
const TEXT_FALSE = /^(false|False|FALSE)$/;
const PLAIN_NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

export interface ColumnarCsvOptions {
  readonly delimiter: number;
  readonly columns: readonly string[];
  readonly kinds: readonly CellKind[];
  readonly malformed: (line: number, reason: string) => void;
  readonly signal?: AbortSignal;
  /** Rows per yielded batch (default 8192). */
  readonly batchRows?: number;
}

/** Streams the data records of a CSV file (the header line is skipped) as columnar batches. */
export async function* scanCsvColumnar(path: string, options: ColumnarCsvOptions): AsyncGenerator<RowBatch> {
  const { delimiter, columns, kinds } = options;
  const width = columns.length;
  const batchRows = options.batchRows ?? 8192;
  const interners = kinds.map((k) => (k === 'string' ? new Interner() : undefined));
  let cols: unknown[][] = columns.map(() => []);
  let count = 0;
  let line = 0; // lines before the record being parsed
  let headerSkipped = false;
  let bomChecked = false;

  // Kinds as small integers, so the per-field dispatch is a compare, not a string lookup.
  const kindCode = Int8Array.from(kinds, (k) => (k === 'number' ? 0 : k === 'string' ? 1 : 2));
  const convert = (b: Buffer, s: number, e: number, column: number, quoted: boolean): unknown => {
    if (s === e) return null;
    const kind = kindCode[column];
    if (quoted) {
      const raw = decode(b, s, e);
      const text = raw.includes('"') ? raw.replace(/""/g, '"') : raw;
      return kind === 1 ? text : textValue(text, kinds[column]!);
    }
    if (kind === 0) {
      const n = fastNumber(b, s, e);
      return n !== undefined ? n : textValue(decode(b, s, e), 'number');
    }
    if (kind === 1) return interners[column]!.text(b, s, e);
    return textValue(decode(b, s, e), kinds[column]!);
  };

  /**
   * Parses the records of b[from, end) that are complete (or all of them when `last`); returns where the first
   * incomplete record starts.
   */
  const parse = (b: Buffer, from: number, end: number, last: boolean): number => {
    let p = from;
    while (p < end) {
      const recordStart = p;
      const recordLine = line + 1;
      let field = 0;
      let newlines = 0;
      while (true) {
        const quoted = b[p] === QUOTE && p < end;
        let plain = false;
        let number = 0;
        let s = p;
        let e: number;
        let next: number;
        if (quoted) {
          // Find the closing quote (a doubled quote is a literal one).
          let q = p + 1;
          while (true) {
            q = b.indexOf(QUOTE, q);
            if (q < 0 || q >= end) {
              q = -1;
              break;
            }
            if (q + 1 < end && b[q + 1] === QUOTE) {
              q += 2;
              continue;
            }
            if (q + 1 >= end && !last) q = -1; // cannot tell yet whether the quote is doubled
            break;
          }
          if (q < 0) {
            if (!last) return recordStart;
            options.malformed(recordLine, 'unterminated quoted value');
            return end;
          }
          for (let i = p + 1; i < q; i++) if (b[i] === LF) newlines++;
          s = p + 1;
          e = q;
          next = q + 1;
        } else if (kindCode[field] === 0) {
          // A number column: the field's digits are accumulated while looking for its end (one pass over the
          // bytes); anything but a plain decimal (see fastNumber) leaves `plain` false and goes through convert.
          next = p;
          let m = 0;
          let digits = 0;
          let fraction = -1;
          let negative = false;
          plain = true;
          const first = next < end ? b[next]! : LF;
          if (first === 45 || first === 43) {
            negative = first === 45;
            next++;
          }
          while (next < end) {
            const c = b[next]!;
            if (c === delimiter || c === LF) break;
            if (c >= 48 && c <= 57) {
              m = m * 10 + (c - 48);
              digits++;
              if (fraction >= 0) fraction++;
            } else if (c === 46 && fraction < 0) fraction = 0;
            else plain = false;
            next++;
          }
          e = next;
          if (digits === 0 || digits > 15) plain = false;
          else {
            const v = fraction > 0 ? m / POW10[fraction]! : m;
            number = negative ? -v : v;
          }
        } else {
          next = p;
          while (next < end) {
            const c = b[next]!;
            if (c === delimiter || c === LF) break;
            next++;
          }
          e = next;
        }
        if (next >= end && !last) return recordStart;
        const terminator = next < end ? b[next]! : LF;
        let valueEnd = e;
        if (!quoted && terminator === LF && valueEnd > s && b[valueEnd - 1] === CR) valueEnd--;
        if (field < width) cols[field]!.push(plain ? number : convert(b, s, valueEnd, field, quoted));
        field++;
        if (terminator === LF || next >= end) {
          p = next + 1;
          break;
        }
        if (terminator !== delimiter) {
          // Text after a closing quote: skip to the delimiter or the end of the record.
          let k = next;
          while (k < end && b[k] !== delimiter && b[k] !== LF) k++;
          if (k >= end && !last) return recordStart;
          if (k >= end || b[k] === LF) {
            p = k + 1;
            break;
          }
          p = k + 1;
          continue;
        }
        p = next + 1;
      }
      line += 1 + newlines;
      if (!headerSkipped || field !== width) {
        // Take back the values pushed for this record: the header, or a record with the wrong number of fields.
        const blank = field === 1 && cols[0]![cols[0]!.length - 1] === null;
        for (let c = 0; c < Math.min(field, width); c++) cols[c]!.pop();
        if (!headerSkipped) headerSkipped = true;
        else if (!blank) options.malformed(recordLine, `${field} fields where the header has ${width}`);
        continue;
      }
      count++;
    }
    return end;
  };

  const handle = await open(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(CHUNK);
    let filled = 0;
    while (true) {
      options.signal?.throwIfAborted();
      if (filled === buffer.length) {
        // A record longer than the buffer: grow it.
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      const end = filled + bytesRead;
      const last = bytesRead === 0;
      let from = 0;
      if (!bomChecked && end >= 3) {
        bomChecked = true;
        if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) from = 3;
      }
      const rest = parse(buffer, from, end, last);
      if (count >= batchRows || (last && count > 0)) {
        yield RowBatch.ofColumns(columns, cols, count);
        cols = columns.map(() => []);
        count = 0;
      }
      if (last) break;
      // Carry the incomplete record to the start of the buffer.
      buffer.copy(buffer, 0, rest, end);
      filled = end - rest;
    }
  } finally {
    await handle.close();
  }
}

/** A cell's value from its text, by its column's kind (the text path's conversion). */
function textValue(text: string, kind: CellKind): unknown {
  if (text === '') return null;
  if (kind === 'number') {
    const n = +text;
    return n === n && (PLAIN_NUMBER.test(text) || text === 'inf' || text === '-inf') ? n : text;
  }
  if (kind === 'boolean') return TEXT_TRUE.test(text) ? true : TEXT_FALSE.test(text) ? false : text;
  return text;
}
