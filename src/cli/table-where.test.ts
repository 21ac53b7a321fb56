import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWhere } from './table-where.ts';

test('parses conjunctions of comparisons, null tests and in-lists', () => {
  assert.deepEqual(parseWhere("country = 'fr' and amount > 3"), { country: 'fr', amount: { gt: 3 } });
  assert.deepEqual(parseWhere("a >= 1 AND a < 2.5 and b is not null and c IS NULL and d in ('x', 'it''s') and e <> true"), {
    a: { gte: 1, lt: 2.5 }, b: { isNull: false }, c: { isNull: true }, d: { in: ['x', "it's"] }, e: { ne: true },
  });
  assert.deepEqual(parseWhere('"odd col" = -5 and big = 9007199254740993'), { 'odd col': -5, big: 9007199254740993n });
});

test('bad expressions name what is wrong and what is expected', () => {
  assert.throws(() => parseWhere("a = 'x"), /unterminated string starting at character 5/);
  assert.throws(() => parseWhere('a = 1 or b = 2'), /expected 'and' \(only conjunctions are supported\) at 'or'/);
  assert.throws(() => parseWhere('a ~ 1'), /unexpected '~'/);
  assert.throws(() => parseWhere('a = null'), /use 'a is null'/);
  assert.throws(() => parseWhere('a = 1 and a = 2'), /column 'a' has two 'eq' conditions/);
  assert.throws(() => parseWhere(''), /expected a condition at the end/);
  assert.throws(() => parseWhere('a in (1, 2'), /expected ',' or '\)' at the end/);
});
