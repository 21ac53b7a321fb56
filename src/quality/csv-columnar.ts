/**
 * A columnar CSV reader for validation: parses the file's bytes straight into column arrays, once the column kinds
 * are known (from the header and the sample the caller read). Numbers are parsed from bytes (no string per number
 * cell), strings of low-cardinality columns are interned (no new string per repeated value), and no row objects or
 * field arrays are built — the text path (readLines → CsvRecordParser → rows) cost about three times the validation
 * itself on the 20-expectation bench.
 *
 * It is a fast path of the one CSV reader (io/files `readCsvRecords`), not a second tokenizer with its own rules: it
 * takes only the records whose reading is plain, and at the first record that is not it hands the rest of the file
 * to `readCsvRecords` (the `fallback`), which applies the shared recovery rule. Not plain: a quote left open at the
 * end of the file, text after a closing quote, a record spanning lines with the wrong field count, bytes that are not
 * UTF-8, a record over `maxRecordBytes`. Files with bare-CR line ends never come here (the caller checks).
 *
 * Strategy, per chunk of 1 MiB:
 *  1. Check the chunk's complete records are UTF-8 (one native call); if not, hand off at the first of them.
 *  2. Walk records byte by byte: a field ends at the delimiter or at LF (a CR before the LF is dropped); a field that
 *     starts with a quote runs to the closing quote (delimiters, newlines and doubled quotes inside).
 *  3. Convert each field as its column's kind says (`number`: the exact fast path m / 10^k for up to 15 significant
 *     digits without exponent, else the shared typing rule of io/files csv-typing.ts; `boolean`; `string`) and
 *     write it at row `count` of its column (a Float64Array for numbers: no boxed double per cell); only a complete
 *     record with the header's field count moves `count` on, so an incomplete or malformed record never leaves
 *     values behind (its cells are overwritten by the next record, or cut off when the batch is yielded). A
 *     one-line record with another field count is reported malformed (as the shared reader does); an empty line is
 *     skipped. In number columns the digits of an unquoted field are accumulated while its end is sought (one pass
 *     over its bytes); only a field that is not a plain decimal goes through the conversion of step 3. In string
 *     columns the field's bytes are hashed while its end is sought, for the column's interner (string-interner.ts:
 *     one string per distinct value of a low-cardinality column; off by itself on a high-cardinality one).
 *  4. A record cut by the chunk's end is carried into the next chunk (so records may be of any length, up to
 *     `maxRecordBytes`).
 * Same values as the text path (data-asset.ts): missing (empty or an NA string) → null; a cell that is not of its
 * column's kind stays text.
 */
import { isUtf8 } from 'node:buffer';
import { files } from '../io/index.ts';
import { RowBatch, type CellKind } from './data-asset.ts';
import { decodeUtf8, fnv1a, INTERN_MAX_BYTES, StringInterner } from './string-interner.ts';

const LF = 10;
const CR = 13;
const QUOTE = 34;
const CHUNK = 1 << 20;
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

const decode = decodeUtf8;

const { isMissing, numberOf, booleanOf, DEFAULT_MAX_LINE_BYTES } = files;
const missingAsNull = (text: string): string | null => (isMissing(text) ? null : text);

export interface ColumnarCsvOptions {
  readonly delimiter: number;
  readonly columns: readonly string[];
  readonly kinds: readonly CellKind[];
  /** Per column: keep cells exactly as written (a column declared string: NA strings are not missing). */
  readonly exact?: readonly boolean[];
  readonly malformed: (line: number, reason: string) => void;
  /**
   * Reads the rest of the file from `offset` (a record start, after `linesBefore` lines) through the shared reader,
   * when a record is not plain; its batches are yielded in turn. Offset 0 means from the start, header line included.
   */
  readonly fallback: (offset: number, linesBefore: number) => AsyncIterable<RowBatch>;
  readonly signal?: AbortSignal;
  /** Rows per yielded batch (default 8192). */
  readonly batchRows?: number;
  /** Longest record in bytes (default 64 MiB): a longer one is handed to the fallback, which skips it as an error. */
  readonly maxRecordBytes?: number;
  /** Bytes per read (default 1 MiB; tests use tiny chunks to put record boundaries everywhere). */
  readonly chunkSize?: number;
}

/** `parse`'s answer when a record is not plain: hand the file over from `handOff` bytes, after `line` lines. */
const HAND_OFF = -1;

/**
 * Streams the data records of a CSV file (the header line is skipped) as columnar batches: a local path or an
 * object-store URL (`s3://…`, `az://…`, `abfss://…`; io/files input-file.ts).
 */
export async function* scanCsvColumnar(path: string, options: ColumnarCsvOptions): AsyncGenerator<RowBatch> {
  const { delimiter, columns, kinds } = options;
  const width = columns.length;
  const batchRows = options.batchRows ?? 8192;
  const maxRecord = options.maxRecordBytes ?? DEFAULT_MAX_LINE_BYTES;
  const exact = options.exact ?? kinds.map(() => false);
  const interners = kinds.map((k, i) => (k === 'string' ? new StringInterner(exact[i] ? undefined : missingAsNull) : undefined));
  // Number columns fill a Float64Array per batch (NaN where missing, as the Delta reader's columns: no boxed double
  // per cell); a column whose batch meets a cell that is not a number (kept as text) turns into a plain array.
  // `nums[c]` is column c while it is a Float64Array (undefined otherwise), so a cell's store is one check.
  let capacity = batchRows;
  let nums: Array<Float64Array | undefined> = [];
  const newColumns = (): Array<unknown[] | Float64Array> => {
    capacity = batchRows;
    const fresh = kinds.map((k) => (k === 'number' ? new Float64Array(capacity) : []));
    nums = fresh.map((c) => (c instanceof Float64Array ? c : undefined));
    return fresh;
  };
  let cols = newColumns();
  let count = 0;
  /** Writes v as row `count` of column c (a number column meeting text turns into a plain array). */
  const store = (c: number, v: unknown): void => {
    const typed = nums[c];
    if (typed === undefined) (cols[c] as unknown[])[count] = v;
    else if (typeof v === 'number') typed[count] = v;
    else if (v === null) typed[count] = NaN;
    else {
      const values: unknown[] = Array.from(typed.subarray(0, count), (x) => (x === x ? x : null));
      values.push(v);
      cols[c] = values;
      nums[c] = undefined;
    }
  };
  let line = 0; // lines before the record being parsed
  let headerSkipped = false;
  let bomChecked = false;
  let handOff = -1; // set by parse: the record start (in the buffer) from which the shared reader takes over

  // Kinds as small integers, so the per-field dispatch is a compare, not a string lookup.
  const kindCode = Int8Array.from(kinds, (k) => (k === 'number' ? 0 : k === 'string' ? 1 : 2));
  const convert = (b: Buffer, s: number, e: number, column: number, quoted: boolean): unknown => {
    if (s === e) return null;
    const kind = kindCode[column];
    if (quoted) {
      const raw = decode(b, s, e);
      const text = raw.includes('"') ? raw.replace(/""/g, '"') : raw;
      return exact[column] ? text : cellValue(text, kinds[column]!);
    }
    if (kind === 1) {
      const interner = interners[column]!;
      return interner.enabled ? interner.intern(b, s, e, fnv1a(b, s, e)) : interner.decode(b, s, e);
    }
    return cellValue(decode(b, s, e), kinds[column]!);
  };

  /**
   * Parses the records of b[from, end) that are complete (or all of them when `last`); returns where the first
   * incomplete record starts, or HAND_OFF (with `handOff` set) at a record that is not plain.
   */
  const parse = (b: Buffer, from: number, end: number, last: boolean): number => {
    // Step 1: the complete records of the chunk must be UTF-8, else the shared reader reports the lines that are not.
    const upTo = last ? end : b.lastIndexOf(LF, end - 1) + 1;
    if (upTo > from && !isUtf8(b.subarray(from, upTo))) {
      handOff = from;
      return HAND_OFF;
    }
    let p = from;
    while (p < end) {
      const recordStart = p;
      const recordLine = line + 1;
      if (count === capacity) {
        // A chunk holds more records than a batch: the typed columns grow (batches are cut between chunks).
        capacity *= 2;
        for (let c = 0; c < width; c++) {
          const typed = nums[c];
          if (typed === undefined) continue;
          const bigger = new Float64Array(capacity);
          bigger.set(typed);
          cols[c] = nums[c] = bigger;
        }
      }
      let field = 0;
      let newlines = 0;
      let blank = false;
      while (true) {
        const quoted = b[p] === QUOTE && p < end;
        let plain = false;
        let number = 0;
        let hashed = false;
        let hash = 0;
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
            // A quote left open at the end of the file: the shared recovery rule decides.
            handOff = recordStart;
            return HAND_OFF;
          }
          for (let i = p + 1; i < q; i++) if (b[i] === LF) newlines++;
          s = p + 1;
          e = q;
          next = q + 1;
        } else if (kindCode[field] === 0) {
          // A number column: the field's digits are accumulated while looking for its end (one pass over the
          // bytes); anything but a plain decimal leaves `plain` false and goes through convert.
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
        } else if (kindCode[field] === 1 && interners[field]!.enabled) {
          // An interned string column: the field's bytes are hashed while its end is sought.
          next = p;
          let h = 0x811c9dc5;
          while (next < end) {
            const c = b[next]!;
            if (c === delimiter || c === LF) break;
            h = Math.imul(h ^ c, 0x01000193);
            next++;
          }
          e = next;
          hash = h;
          hashed = true;
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
        if (field === 0 && !quoted && valueEnd === s && terminator === LF) blank = true;
        if (field < width && headerSkipped) {
          if (plain) {
            const typed = nums[field];
            if (typed !== undefined) typed[count] = number;
            else (cols[field] as unknown[])[count] = number;
          } else if (hashed && valueEnd > s && valueEnd - s <= INTERN_MAX_BYTES) {
            // The hash of the bytes scanned above is fnv1a's; a dropped CR means hashing the value again.
            const h = valueEnd === e ? hash : fnv1a(b, s, valueEnd);
            store(field, interners[field]!.intern(b, s, valueEnd, h));
          } else store(field, convert(b, s, valueEnd, field, quoted));
        }
        field++;
        if (terminator === LF || next >= end) {
          p = next + 1;
          break;
        }
        if (terminator !== delimiter) {
          // Text after a closing quote: the shared reader reports it (and recovers, for a record spanning lines).
          handOff = recordStart;
          return HAND_OFF;
        }
        p = next + 1;
      }
      if (field !== width && newlines > 0) {
        // A record spanning lines with the wrong field count: its quote was unterminated (the shared recovery rule).
        handOff = recordStart;
        return HAND_OFF;
      }
      line += 1 + newlines;
      if (blank && field === 1) continue; // an empty line is no record
      if (!headerSkipped) {
        headerSkipped = true;
        continue;
      }
      if (field !== width) {
        if (!blank) options.malformed(recordLine, `line ${recordLine}: expected ${width} fields (as the header), got ${field}`);
        continue;
      }
      count++;
    }
    return end;
  };

  // The file's bytes as a stream (a local file, or an object fetched by ranged GETs of 8 MiB, the next one on its
  // way while this one is parsed), copied into the buffer where records are parsed.
  const chunks = files.inputStream(path, { highWaterMark: Math.max(1, Math.min(options.chunkSize ?? CHUNK, maxRecord)) })[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let pending: Buffer | undefined;
  let pendingAt = 0;
  /** Copies the stream's next bytes into target[at, …) (as much as fits); 0 at the end of the input. */
  const readInto = async (target: Buffer, at: number): Promise<number> => {
    while (pending === undefined || pendingAt === pending.length) {
      const next = await chunks.next();
      if (next.done === true) return 0;
      pending = next.value;
      pendingAt = 0;
    }
    const n = pending.copy(target, at, pendingAt, Math.min(pending.length, pendingAt + target.length - at));
    pendingAt += n;
    return n;
  };
  let fallbackAt: { offset: number; lines: number } | undefined;
  try {
    let buffer = Buffer.allocUnsafe(Math.max(1, Math.min(options.chunkSize ?? CHUNK, maxRecord)));
    let filled = 0;
    let base = 0; // the file offset of buffer[0]
    while (true) {
      options.signal?.throwIfAborted();
      if (filled === buffer.length) {
        if (buffer.length >= maxRecord) {
          // A record longer than the limit: the shared reader reports it and skips it in bounded memory.
          fallbackAt = { offset: base, lines: line };
          break;
        }
        // A record longer than the buffer: grow it.
        const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxRecord));
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
      }
      const bytesRead = await readInto(buffer, filled);
      const end = filled + bytesRead;
      const last = bytesRead === 0;
      let from = 0;
      if (!bomChecked && (end >= 3 || last)) {
        bomChecked = true;
        if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) from = 3;
      }
      const rest = parse(buffer, from, end, last);
      if (rest === HAND_OFF) fallbackAt = { offset: base + handOff, lines: line };
      if (count >= batchRows || ((last || fallbackAt) && count > 0)) {
        // Cells of an abandoned record past `count` are cut off.
        yield RowBatch.ofColumns(columns, cols.map((col) => (col instanceof Float64Array ? col.subarray(0, count) : ((col.length = count), col))), count, true);
        cols = newColumns();
        count = 0;
      }
      if (last || fallbackAt) break;
      // Carry the incomplete record to the start of the buffer.
      buffer.copy(buffer, 0, rest, end);
      filled = end - rest;
      base += rest;
    }
  } finally {
    await chunks.return?.();
  }
  // Before the header was passed, the fallback reads from the start (offset 0), header included.
  if (fallbackAt) yield* options.fallback(headerSkipped ? fallbackAt.offset : 0, headerSkipped ? fallbackAt.lines : 0);
}

/** A cell's value from its text, by its column's kind: the shared typing rule (io/files csv-typing.ts). */
function cellValue(text: string, kind: CellKind): unknown {
  if (isMissing(text)) return null;
  if (kind === 'number') return numberOf(text) ?? text;
  if (kind === 'boolean') return booleanOf(text) ?? text;
  return text;
}
