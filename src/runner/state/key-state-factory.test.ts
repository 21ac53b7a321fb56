import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalKeyBytes, canonicalKeyString } from './key-state-factory.ts';

describe('canonicalKeyString', () => {
  it('is the latin1 string of canonicalKeyBytes for every kind of encoded key', () => {
    const keys = ['', 'a', 'bidder-17', 'é', 'naïve', '日本', '\u0000x', 0, -0, 1, -1.5, 2 ** 53, NaN, Infinity, true, false, 10n, -3n, null, undefined];
    for (const k of keys) {
      assert.equal(canonicalKeyString(k), Buffer.from(canonicalKeyBytes(k)).toString('latin1'), `key ${String(k)}`);
    }
  });

  it('keeps 1 and "1" apart, and gives each number its own string after another number was encoded', () => {
    assert.notEqual(canonicalKeyString(1), canonicalKeyString('1'));
    const a = canonicalKeyString(7);
    const b = canonicalKeyString(8);
    assert.notEqual(a, b);
    assert.equal(canonicalKeyString(7), a);
  });
});
