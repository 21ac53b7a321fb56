/**
 * `java.util.Random`, bit for bit: the 48-bit linear congruential generator of its documentation
 * (seed' = seed × 0x5DEECE66D + 0xB mod 2^48) with the same derivations for nextInt, nextInt(bound), nextLong and
 * nextDouble. Nexmark seeds one per event with the event id, so every value it draws must match Java's.
 *
 * The 48-bit state is kept as two 24-bit halves in plain numbers, so the hot path needs no BigInt (only nextLong,
 * which Nexmark almost never calls, builds one). A step (`lcgStep` below, which hot loops inline) keeps the low half
 * on 32-bit integer arithmetic (`Math.imul` is exact modulo 2^32, and only 24 bits are kept), so the chain from one
 * draw to the next is a multiply-add-mask; only the carry into the high half needs the full 48-bit product, which is
 * exact in a double (< 2^48) and off that chain.
 */
export const MULT_LO = 0xece66d; // low 24 bits of 0x5DEECE66D
export const MULT_HI = 0x5de; // the bits above
export const ADDEND = 0xb;
export const MASK_24 = 0xffffff;
/** 2^-24: multiplying by it is exact, so `(p * TWO_NEG_24) | 0` is floor(p / 2^24) for 0 ≤ p < 2^48. */
export const TWO_NEG_24 = 1 / 0x1000000;
const TWO_24 = 0x1000000;
const TWO_NEG_53 = 1 / 2 ** 53;

export class JavaRandom {
  /**
   * The state: bits 24..47 and 0..23. Public only so that hot loops can step it in locals, as `next` does:
   *   hi' = (imul(hi, MULT_LO) + imul(lo, MULT_HI) + ((lo × MULT_LO + ADDEND) × TWO_NEG_24 | 0)) & MASK_24
   *   lo' = (imul(lo, MULT_LO) + ADDEND) & MASK_24
   * and then take the top `bits` bits as `(hi' << (bits - 24)) | (lo' >>> (48 - bits))`.
   */
  hi = 0;
  lo = 0;

  constructor(seed: number | bigint = 0) {
    this.setSeed(seed);
  }

  /** As Java's `setSeed`: only the low 48 bits of the (two's complement) seed count, scrambled with the multiplier. */
  setSeed(seed: number | bigint): void {
    let lo: number;
    let hi: number;
    if (typeof seed === 'number' && seed >= 0 && seed <= 0x7fffffff && (seed | 0) === seed) {
      // The common case (Nexmark seeds with event ids): a non-negative int.
      lo = seed & MASK_24;
      hi = seed >>> 24;
    } else if (typeof seed === 'bigint') {
      const s = BigInt.asUintN(48, seed);
      lo = Number(s & 0xffffffn);
      hi = Number(s >> 24n);
    } else {
      if (!Number.isSafeInteger(seed)) throw new RangeError(`JavaRandom seed must be a safe integer, got ${seed}`);
      // Floor division and a positive modulus give the two's complement bits for negative seeds too.
      lo = ((seed % TWO_24) + TWO_24) % TWO_24;
      const high = Math.floor(seed / TWO_24);
      hi = ((high % TWO_24) + TWO_24) % TWO_24;
    }
    this.lo = lo ^ MULT_LO;
    this.hi = hi ^ MULT_HI;
  }

  /** Advances the state and returns its top `bits` bits (24 ≤ bits ≤ 32) as a Java int (signed when bits = 32). */
  next(bits: number): number {
    const lo = this.lo;
    // The constants written out (MULT_LO, MULT_HI, ADDEND, TWO_NEG_24, MASK_24): module bindings are not always folded.
    const hi = (Math.imul(this.hi, 0xece66d) + Math.imul(lo, 0x5de) + (((lo * 0xece66d + 0xb) * 5.9604644775390625e-8) | 0)) & 0xffffff;
    const newLo = (Math.imul(lo, 0xece66d) + 0xb) & 0xffffff;
    this.hi = hi;
    this.lo = newLo;
    // The top `bits` of the 48: all of hi shifted up, then the top (bits - 24) bits of lo.
    return (hi << (bits - 24)) | (newLo >>> (48 - bits));
  }

  /** Java `nextInt()`: a uniformly distributed int (signed 32-bit). */
  nextInt(): number {
    return this.next(32);
  }

  /** Java `nextInt(bound)`: uniform in [0, bound), with Java's power-of-two shortcut and rejection loop. */
  nextIntBounded(bound: number): number {
    if (!(bound > 0) || bound > 0x7fffffff || (bound | 0) !== bound) {
      throw new RangeError(`bound must be a positive 32-bit integer, got ${bound}`);
    }
    let r = this.next(31);
    const m = bound - 1;
    if ((bound & m) === 0) {
      // (bound × r) >> 31 on longs; bound × r < 2^62 is not exact in doubles, but bound is a power of two here.
      return Math.floor((r * bound) / 0x80000000);
    }
    // Reject the top partial range: Java detects it by `u - r + m` overflowing a 32-bit int.
    for (let u = r; ((u - (r = u % bound) + m) | 0) < 0; u = this.next(31));
    return r;
  }

  /** Java `nextLong()`, as a BigInt (signed 64-bit). */
  nextLong(): bigint {
    const high = BigInt(this.next(32));
    const low = BigInt(this.next(32));
    return BigInt.asIntN(64, (high << 32n) + low);
  }

  /** Java `nextDouble()`: 53 random bits scaled into [0, 1). */
  nextDouble(): number {
    return (this.next(26) * 0x8000000 + this.next(27)) * TWO_NEG_53;
  }

  /** Java `nextBoolean()`. */
  nextBoolean(): boolean {
    return this.next(24) >>> 23 !== 0; // next(1): the top bit of the state
  }
}
