/**
 * CRC-32 (IEEE, as zlib and gzip) of record batches and journal lines: Node's native zlib.crc32 where it exists
 * (Node ≥ 20.15), a table-driven fallback otherwise. Both give the same value, so files move between Node versions.
 */
import * as zlib from 'node:zlib';

const native = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

let table: Uint32Array | undefined;

function crc32Table(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** The JS implementation (exported for the test that compares it with the native one). */
export function crc32Portable(data: Uint8Array, start = 0, end = data.length): number {
  const t = crc32Table();
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 of `data[start, end)`. */
export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  if (native) return native(start === 0 && end === data.length ? data : data.subarray(start, end)) >>> 0;
  return crc32Portable(data, start, end);
}
