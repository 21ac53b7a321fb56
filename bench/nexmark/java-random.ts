/**
 * `java.util.Random`, bit for bit: the 48-bit linear congruential generator of its documentation
 * (seed' = seed × 0x5DEECE66D + 0xB mod 2^48) with the same derivations for nextInt, nextInt(bound), nextLong and
 * nextDouble. Nexmark seeds one per event with the event id, so every value it draws must match Java's.
 *
 * The 48-bit state is kept as two 24-bit halves in plain numbers: every intermediate product stays below 2^53, so
 * the hot path needs no BigInt (only nextLong, which Nexmark almost never calls, builds one).
 */
const MULT_LO = 0xece66d; // low 24 bits of 0x5DEECE66D
const MULT_HI = 0x5de; // the bits above
const ADDEND = 0xb;
const TWO_24 = 0x1000000;
const MASK_24 = 0xffffff;
const TWO_NEG_53 = 1 / 2 ** 53;

export class JavaRandom {
  private hi = 0;
  private lo = 0;

  constructor(seed: number | bigint = 0) {
    this.setSeed(seed);
  }

  /** As Java's `setSeed`: only the low 48 bits of the (two's complement) seed count, scrambled with the multiplier. */
  setSeed(seed: number | bigint): void {
    let lo: number;
    let hi: number;
    if (typeof seed === 'bigint') {
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
    const hi = this.hi;
    const p = lo * MULT_LO + ADDEND; // < 2^48
    const newLo = p & MASK_24; // ToInt32 is exact modular arithmetic for integers below 2^53
    const carry = (p - newLo) / TWO_24; // exact: p - newLo is a multiple of 2^24
    const newHi = (hi * MULT_LO + lo * MULT_HI + carry) & MASK_24; // < 2^49 before masking
    this.lo = newLo;
    this.hi = newHi;
    // The top `bits` of the 48: all of hi shifted up, then the top (bits - 24) bits of lo.
    return ((newHi << (bits - 24)) | (newLo >>> (48 - bits))) | 0;
  }

  /** Java `nextInt()`: a uniformly distributed int (signed 32-bit). */
  nextInt(): number {
    return this.next(32);
  }

  /** Java `nextInt(bound)`: uniform in [0, bound), with Java's power-of-two shortcut and rejection loop. */
  nextIntBounded(bound: number): number {
    if (!(bound > 0) || bound > 0x7fffffff || !Number.isInteger(bound)) {
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
