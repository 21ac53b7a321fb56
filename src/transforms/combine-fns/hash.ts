// A 64-bit non-cryptographic hash for sketches: MurmurHash3's x86 128-bit variant (public domain algorithm by
// Austin Appleby), written over 32-bit words so that JavaScript's Math.imul does all the arithmetic — no
// BigInt, no allocation. We keep the first 64 of the 128 output bits.
//
// Strings are hashed over their UTF-16 code units (two per word) rather than UTF-8 bytes: it avoids encoding on
// the hot path. So values are not those of other MurmurHash3 implementations, which is fine: the hash only has
// to agree with itself, across workers and runs. Numbers hash their IEEE-754 bits (-0 as 0, one NaN).

import { stableString } from './canonical.ts';

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

/** Seeds keep the kinds of value apart: the string '1' and the number 1 hash differently. */
const SEED_STRING = 0x9747b28c;
const SEED_NUMBER = 0x1b873593;
const SEED_BIGINT = 0x5bd1e995;
const SEED_OBJECT = 0x27d4eb2f;
const SEED_OTHER = 0x165667b1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * Hashes `value` by content into `out`: out[0] the high and out[1] the low 32 bits of a 64-bit hash.
 * Primitives hash by value; objects through their stable string form (see canonical.ts).
 * @example const h = new Uint32Array(2); hash64('alice', h);
 */
export function hash64(value: unknown, out: Uint32Array): void {
  switch (typeof value) {
    case 'string':
      hashString(value, SEED_STRING, out);
      return;
    case 'number':
      if (value === 0) value = 0; // -0 → 0
      else if (value !== value) value = NaN;
      f64[0] = value as number;
      hashWords(u32[0], u32[1], SEED_NUMBER, out);
      return;
    case 'bigint':
      hashString(value.toString(16), SEED_BIGINT, out);
      return;
    case 'boolean':
      hashWords(value ? 1 : 0, 0, SEED_OTHER, out);
      return;
    case 'undefined':
      hashWords(2, 0, SEED_OTHER, out);
      return;
  }
  if (value === null) hashWords(3, 0, SEED_OTHER, out);
  else hashString(stableString(value), SEED_OBJECT, out);
}

/** MurmurHash3 x86_128 over the UTF-16 code units of `s`, first 64 bits into `out`. */
export function hashString(s: string, seed: number, out: Uint32Array): void {
  const n = s.length;
  let h1 = seed | 0;
  let h2 = h1;
  let h3 = h1;
  let h4 = h1;
  const blockEnd = n & ~7; // 8 code units = 16 bytes per block
  let i = 0;
  for (; i < blockEnd; i += 8) {
    let k1 = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    let k2 = s.charCodeAt(i + 2) | (s.charCodeAt(i + 3) << 16);
    let k3 = s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 16);
    let k4 = s.charCodeAt(i + 6) | (s.charCodeAt(i + 7) << 16);
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  // Tail: up to 7 code units, packed into up to 4 words like the blocks.
  const rest = n - i;
  if (rest > 0) {
    if (rest > 6) h4 ^= Math.imul(rotl(Math.imul(tailWord(s, i + 6, n), C4), 18), C1);
    if (rest > 4) h3 ^= Math.imul(rotl(Math.imul(tailWord(s, i + 4, n), C3), 17), C4);
    if (rest > 2) h2 ^= Math.imul(rotl(Math.imul(tailWord(s, i + 2, n), C2), 16), C3);
    h1 ^= Math.imul(rotl(Math.imul(tailWord(s, i, n), C1), 15), C2);
  }
  finish(h1, h2, h3, h4, n * 2, out);
}

function tailWord(s: string, j: number, n: number): number {
  return j + 1 < n ? s.charCodeAt(j) | (s.charCodeAt(j + 1) << 16) : s.charCodeAt(j);
}

/** MurmurHash3 x86_128 of the 8 bytes `lo, hi` (little-endian words), first 64 bits into `out`. */
export function hashWords(lo: number, hi: number, seed: number, out: Uint32Array): void {
  const h1 = (seed | 0) ^ Math.imul(rotl(Math.imul(lo, C1), 15), C2);
  const h2 = (seed | 0) ^ Math.imul(rotl(Math.imul(hi, C2), 16), C3);
  finish(h1, h2, seed | 0, seed | 0, 8, out);
}

function finish(h1: number, h2: number, h3: number, h4: number, len: number, out: Uint32Array): void {
  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  out[0] = h1;
  out[1] = h2;
}
