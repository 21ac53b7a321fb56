import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sortByZOrder, zOrderKeys } from './z-order.ts';

test('two columns interleave rank bits: a 4x4 grid sorts along the Z-curve', () => {
  const cells = [];
  for (let x = 0; x < 4; x++) for (let y = 0; y < 4; y++) cells.push({ x, y });
  const order = sortByZOrder(cells.reverse(), ['x', 'y']).map((c) => `${c.x}${c.y}`);
  // x is the more significant bit of each pair: quadrants (x<2,y<2), (x<2,y>=2), (x>=2,y<2), (x>=2,y>=2).
  assert.deepEqual(order, ['00', '01', '10', '11', '02', '03', '12', '13', '20', '21', '30', '31', '22', '23', '32', '33']);
});

test('ranks make keys independent of value scale and type; nulls come first; one column is a plain sort', () => {
  const skewed = [{ a: 1_000_000n, b: 'z' }, { a: 1n, b: 'a' }, { a: null, b: 'm' }, { a: 5n, b: null }];
  const keys = zOrderKeys(skewed, ['a']);
  assert.deepEqual([...keys].map((k, i) => [k, i]).sort((p, q) => p[0] - q[0]).map(([, i]) => i), [2, 1, 3, 0]);
  // Levels (a: null<1<5<1e6, b: null<a<m<z) interleaved a-bit then b-bit: (1,a)=0011, (null,m)=0110, (5,null)=1000, (1e6,z)=1111.
  assert.deepEqual(sortByZOrder(skewed, ['a', 'b']).map((r) => r.b), ['a', 'm', null, 'z']);
  for (const k of zOrderKeys(skewed, ['a', 'b', 'a', 'b'])) assert.ok(Number.isSafeInteger(k), 'four columns fit a float64 exactly');
});

test('numeric columns (fast path) rank like a plain sort of distinct values; the row order is stable by key', () => {
  let seed = 7;
  const rand = (n: number) => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed % n; };
  const rows = Array.from({ length: 5000 }, () => ({ x: rand(10) === 0 ? null : rand(300) - 150, y: BigInt(rand(50)) * 10n ** 12n, s: `k${rand(40)}` }));
  const keys = zOrderKeys(rows, ['x', 'y']);
  // Reference: levels from a plain sort of the distinct values (null first), scaled to 26 bits, interleaved x then y.
  const levels = (values: (number | bigint | null)[]) => {
    const distinct = [...new Set(values.filter((v) => v !== null))].sort((a, b) => (a! < b! ? -1 : a! > b! ? 1 : 0));
    const scale = 2 ** 26 / (distinct.length + 1);
    return values.map((v) => Math.floor((v === null ? 0 : distinct.indexOf(v) + 1) * scale));
  };
  const [lx, ly] = [levels(rows.map((r) => r.x)), levels(rows.map((r) => r.y))];
  rows.forEach((_r, i) => {
    let z = 0;
    for (let bit = 25; bit >= 0; bit--) z = (z * 2 + ((lx[i] >>> bit) & 1)) * 2 + ((ly[i] >>> bit) & 1);
    assert.equal(keys[i], z, `row ${i}`);
  });
  const indexed = rows.map((r, i) => ({ ...r, i }));
  const sorted = sortByZOrder(indexed, ['x', 'y']);
  const k = zOrderKeys(indexed, ['x', 'y']);
  for (let j = 1; j < sorted.length; j++) {
    const [a, b] = [sorted[j - 1].i, sorted[j].i];
    assert.ok(k[a] < k[b] || (k[a] === k[b] && a < b), `position ${j}: keys ascending, ties in input order`);
  }
});
