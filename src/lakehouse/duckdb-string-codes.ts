/**
 * Low-cardinality string columns handed to DuckDB's writer as codes: each distinct string once (in the COPY's SQL,
 * as a list literal) and an INTEGER code per row, which the loader copies as a byte range, instead of one string
 * assignment per row across the N-API boundary (measured: ~0.3 µs per value, the largest cost of loading such a
 * column). DuckDB turns the codes back into the strings (`list[code + 1]`, vectorized) before its Parquet writer sees
 * them, so the file is the same.
 */
import type { DeltaValue } from './value-mapping.ts';

/** Distinct strings at most (a column past it is loaded as strings: it is not low-cardinality). */
const MAX_DISTINCT = 256;
/** Characters of the dictionary at most (it goes into the SQL text). */
const MAX_CHARS = 1 << 16;
/** Strings a SQL literal cannot carry unchanged: NUL, and surrogates (lone ones would not survive the UTF-8 SQL text). */
const UNSAFE = /[\0\uD800-\uDFFF]/;

/** A string column as codes into a dictionary (nulls: code 0, marked by the column's validity bitmap). */
export interface StringCodes {
  readonly codes: Int32Array;
  readonly dictionary: readonly string[];
}

/**
 * The column's codes and dictionary, or undefined when it has more than 256 distinct strings (found after at most
 * 257 distinct values), a string unsafe in SQL, or no string at all.
 *
 * @example
 * stringCodes(['fr', 'de', 'fr', null]); // { codes: Int32Array [0, 1, 0, 0], dictionary: ['fr', 'de'] }
 */
export function stringCodes(values: ArrayLike<DeltaValue>): StringCodes | undefined {
  const n = values.length;
  const codes = new Int32Array(n);
  const seen = new Map<string, number>();
  const dictionary: string[] = [];
  let chars = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'string') continue; // null (the validity bitmap says so)
    let code = seen.get(v);
    if (code === undefined) {
      chars += v.length;
      if (dictionary.length >= MAX_DISTINCT || chars > MAX_CHARS || UNSAFE.test(v)) return undefined;
      code = dictionary.length;
      seen.set(v, code);
      dictionary.push(v);
    }
    codes[i] = code;
  }
  return dictionary.length > 0 ? { codes, dictionary } : undefined;
}

/**
 * The SQL expression giving a coded column's strings back from its INTEGER codes column.
 *
 * @example
 * decodeExpression('"country"', ['fr', 'de']); // (['fr', 'de'])["country" + 1]
 */
export function decodeExpression(column: string, dictionary: readonly string[]): string {
  return `([${dictionary.map((s) => `'${s.replace(/'/g, "''")}'`).join(', ')}])[${column} + 1]`;
}

/** Open-addressing slots for Utf8 codes (twice MAX_DISTINCT: probes stay short). */
const SLOTS = MAX_DISTINCT * 2;

/**
 * `stringCodes` for Arrow Utf8 column parts (offsets and UTF-8 bytes; no string made per row): each value's bytes
 * are hashed and compared byte for byte with its dictionary entry; only distinct values are decoded. Codes per part.
 *
 * @example
 * utf8Codes([batch.getChild('country')!.data[0]]); // { codes: [Int32Array …], dictionary: ['fr', …] }
 */
export function utf8Codes(parts: readonly import('apache-arrow').Data[]): { readonly codes: Int32Array[]; readonly dictionary: readonly string[] } | undefined {
  const slotCode = new Int32Array(SLOTS).fill(-1);
  const entries: Uint8Array[] = [];
  const dictionary: string[] = [];
  const decoder = new TextDecoder();
  let chars = 0;
  const out: Int32Array[] = [];
  for (const d of parts) {
    if (d.dictionary !== undefined || d.valueOffsets === undefined) return undefined;
    const offsets = d.valueOffsets as Int32Array;
    const bytes = d.values as Uint8Array;
    const bitmap = d.nullCount > 0 && d.nullBitmap !== undefined && d.nullBitmap.length > 0 ? d.nullBitmap : undefined;
    const codes = new Int32Array(d.length);
    for (let i = 0; i < d.length; i++) {
      const j = d.offset + i;
      if (bitmap !== undefined && (bitmap[j >> 3] & (1 << (j & 7))) === 0) continue;
      const s = offsets[i]; // apache-arrow views a slice's offsets from its first row; its bitmap from `offset`
      const e = offsets[i + 1];
      let h = 0x811c9dc5 ^ (e - s);
      for (let k = s; k < e; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
      let slot = (h ^ (h >>> 15)) & (SLOTS - 1);
      let code = -1;
      for (;;) {
        const c = slotCode[slot];
        if (c < 0) break;
        const entry = entries[c];
        if (entry.length === e - s) {
          let same = true;
          for (let k = 0; k < entry.length; k++) if (entry[k] !== bytes[s + k]) { same = false; break; }
          if (same) { code = c; break; }
        }
        slot = (slot + 1) & (SLOTS - 1);
      }
      if (code < 0) {
        const text = decoder.decode(bytes.subarray(s, e));
        chars += text.length;
        if (dictionary.length >= MAX_DISTINCT || chars > MAX_CHARS || UNSAFE.test(text)) return undefined;
        code = dictionary.length;
        slotCode[slot] = code;
        entries.push(bytes.slice(s, e));
        dictionary.push(text);
      }
      codes[i] = code;
    }
    out.push(codes);
  }
  return dictionary.length > 0 ? { codes: out, dictionary } : undefined;
}
