/**
 * Checks of the run-length/bit-packed hybrid sections (levels, dictionary indices) and PLAIN dictionaries of Parquet
 * pages, for the guarded reader (parquet-guard.ts): they find damage that would make hyparquet loop for a huge run,
 * or read values that are not there, before it decodes anything.
 */

/** The varint header of one run at `pos`, and where the run's data starts. */
function runHeader(bytes: Uint8Array, pos: number, end: number, bad: (r: string) => never): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= end || shift > 28) bad('a page holds a run header that is not a valid varint');
    const b = bytes[pos++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return { value, next: pos };
  }
}

/**
 * How many entries a PLAIN-encoded dictionary of this physical type holds in `page` (undefined when the type's size
 * is not known here: booleans, fixed-length byte arrays): fixed widths divide the page, byte arrays are walked by
 * their 4-byte length prefixes; -1 when the page cannot be such a dictionary.
 */
export function dictionaryEntries(page: Uint8Array, type: string): number | undefined {
  const width = ({ INT32: 4, FLOAT: 4, INT64: 8, DOUBLE: 8, INT96: 12 } as Record<string, number>)[type];
  if (width !== undefined) return page.length % width === 0 ? page.length / width : -1;
  if (type !== 'BYTE_ARRAY') return undefined;
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  let n = 0;
  for (let pos = 0; pos < page.length; n++) {
    if (pos + 4 > page.length) return -1;
    pos += 4 + view.getUint32(pos, true);
    if (pos > page.length) return -1;
  }
  return n;
}

/**
 * Decodes `count` levels of a run-length/bit-packed hybrid run (bit width `width`) in bytes [pos, end) and returns how
 * many are below `max` (for definition levels: the nulls).
 */
export function countBelow(bytes: Uint8Array, pos: number, end: number, width: number, count: number, max: number, bad: (r: string) => never): number {
  let seen = 0;
  let below = 0;
  const byteWidth = (width + 7) >> 3;
  while (seen < count) {
    const header = runHeader(bytes, pos, end, bad);
    pos = header.next;
    if (header.value % 2 === 1) {
      const values = ((header.value - 1) / 2) * 8;
      if (pos + (values / 8) * width > end) bad('a page\'s definition levels end inside a bit-packed run');
      const take = Math.min(values, count - seen);
      for (let i = 0; i < take; i++) {
        let v = 0;
        for (let b = 0; b < width; b++) {
          const bit = i * width + b;
          v |= ((bytes[pos + (bit >> 3)] >> (bit & 7)) & 1) << b;
        }
        if (v < max) below++;
      }
      pos += (values / 8) * width;
      seen += take;
    } else {
      const run = Math.min(header.value / 2, count - seen);
      if (pos + byteWidth > end) bad('a page\'s definition levels end inside a run');
      let v = 0;
      for (let b = 0; b < byteWidth; b++) v |= bytes[pos + b] << (8 * b);
      pos += byteWidth;
      if (v < max) below += run;
      seen += run;
    }
  }
  return below;
}

export const bitWidth = (max: number): number => (max === 0 ? 0 : 32 - Math.clz32(max));

export function checkIndices(page: Uint8Array, pos: number, expected: number, bad: (r: string) => never): void {
  if (expected === 0) return;
  if (pos >= page.length) bad('a dictionary-encoded page has no index data');
  const width = page[pos];
  if (width > 32) bad(`a dictionary-encoded page claims ${width}-bit indices`);
  // `expected` bounds the indices (in a v1 page it counts the nulls too): the runs may end before it.
  checkRuns(page, pos + 1, page.length, width, expected, bad, false);
}

/**
 * Walks the run headers of an RLE/bit-packed hybrid section: every run must fit the values the page holds (a
 * bit-packed run may pad its last group of 8); with `exact` (levels) the runs must cover all `expected` values.
 */
export function checkRuns(bytes: Uint8Array, pos: number, end: number, width: number, expected: number, bad: (r: string) => never, exact = true): void {
  let seen = 0;
  while (seen < expected) {
    if (pos >= end) {
      if (!exact) return;
      bad(`a page's run-length data ends after ${seen} of ${expected} values`);
    }
    const header = runHeader(bytes, pos, end, bad);
    pos = header.next;
    if (header.value % 2 === 1) {
      const groups = (header.value - 1) / 2;
      const count = groups * 8;
      if (groups === 0 || count > expected - seen + 7) bad(`a page holds a bit-packed run of ${count} values where ${expected - seen} remain`);
      pos += groups * width;
      seen += count;
    } else {
      const count = header.value / 2;
      if (count === 0 || count > expected - seen) bad(`a page holds a run of ${count} values where ${expected - seen} remain`);
      pos += (width + 7) >> 3;
      seen += count;
    }
  }
}
