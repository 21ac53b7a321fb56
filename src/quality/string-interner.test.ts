import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fnv1a, StringInterner } from './string-interner.ts';

const intern = (it: StringInterner, text: string): string | null => {
  const b = Buffer.from(`#${text}#`);
  return it.intern(b, 1, b.length - 1, fnv1a(b, 1, b.length - 1));
};

test('interner: repeated bytes give the same string; values are exact (non-ASCII, long, colliding lengths)', () => {
  const it = new StringInterner();
  const values = ['a', 'b', 'ab', 'ba', 'é', 'x'.repeat(64), 'y'.repeat(65), ''];
  for (let round = 0; round < 3; round++) for (const v of values) assert.equal(intern(it, v), v);
  assert.equal(it.enabled, true);
});

test('interner: a mapping applies to new and interned values (NA strings as null)', () => {
  const it = new StringInterner((t) => (t === 'NA' ? null : t));
  assert.equal(intern(it, 'NA'), null);
  assert.equal(intern(it, 'NA'), null);
  assert.equal(intern(it, 'FR'), 'FR');
});

test('interner: a high-cardinality column turns it off, values stay exact; a low-cardinality one keeps it on', () => {
  const ids = new StringInterner();
  for (let i = 0; i < 40_000; i++) assert.equal(intern(ids, `id-${i}`), `id-${i}`);
  assert.equal(ids.enabled, false);
  assert.equal(intern(ids, 'id-7'), 'id-7');
  const countries = new StringInterner();
  for (let i = 0; i < 40_000; i++) assert.equal(intern(countries, `C${i % 20}`), `C${i % 20}`);
  assert.equal(countries.enabled, true);
});
