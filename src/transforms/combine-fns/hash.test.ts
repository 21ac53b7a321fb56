import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hash64 } from './hash.ts';

describe('hash64', () => {
  it('is deterministic, separates kinds, and treats -0 as 0', () => {
    const a = new Uint32Array(2);
    const b = new Uint32Array(2);
    const same = (x: unknown, y: unknown) => (hash64(x, a), hash64(y, b), a[0] === b[0] && a[1] === b[1]);
    assert.ok(same('hello', 'hello'));
    assert.ok(same(-0, 0));
    assert.ok(same(NaN, 0 / 0));
    assert.ok(same({ a: 1, b: [2] }, { b: [2], a: 1 }));
    assert.ok(!same(1, '1'));
    assert.ok(!same(1n, 1));
    assert.ok(!same('ab', 'ba'));
    assert.ok(!same('', undefined));
  });

  it('spreads sequential keys evenly over both halves (chi-square on 256 buckets)', () => {
    const out = new Uint32Array(2);
    for (const half of [0, 1]) {
      for (const make of [(i: number) => `key-${i}`, (i: number) => i, (i: number) => `${i}`.padStart(17, '0')]) {
        const buckets = new Float64Array(256);
        const n = 256 * 400;
        for (let i = 0; i < n; i++) {
          hash64(make(i), out);
          buckets[out[half] >>> 24]++;
        }
        const expected = n / 256;
        const chi2 = buckets.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
        // 255 degrees of freedom: mean 255, sd ≈ 22.6; 360 is beyond 4.6 sd.
        assert.ok(chi2 < 360, `chi² ${chi2.toFixed(1)} for half ${half}`);
      }
    }
  });

  it('flips about half the output bits when one input character changes (avalanche)', () => {
    const a = new Uint32Array(2);
    const b = new Uint32Array(2);
    const popcount = (x: number) => {
      let c = 0;
      for (; x; x &= x - 1) c++;
      return c;
    };
    let flipped = 0;
    const trials = 2000;
    for (let i = 0; i < trials; i++) {
      hash64(`element-${i}-x`, a);
      hash64(`element-${i}-y`, b);
      flipped += popcount(a[0] ^ b[0]) + popcount(a[1] ^ b[1]);
    }
    const mean = flipped / trials;
    assert.ok(mean > 31 && mean < 33, `mean flipped bits ${mean}`);
  });
});
