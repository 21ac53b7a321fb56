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
