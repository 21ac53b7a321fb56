import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { computeStats, parseStats, statsTags, STRING_STATS_PREFIX, stringStatsMax, stringStatsMin, UTF8_BOUNDS_TAG } from './file-stats.ts';
import { compilePredicate, mayMatchFile, matchesRow, type Predicate } from './predicate.ts';
import type { SchemaField } from './schema.ts';
import type { DeltaValue } from './value-mapping.ts';
import { compareUtf8, compareValues } from './value-order.ts';

const field = (name: string, type: SchemaField['type']): SchemaField => ({ name, type, nullable: true, metadata: {} });
const utf8Order = (a: string, b: string): number => Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
const stats = (type: SchemaField['type'], values: DeltaValue[]) => JSON.parse(computeStats([field('c', type)], [values], values.length)) as {
  minValues: Record<string, unknown>; maxValues: Record<string, unknown>; nullCount: Record<string, number>;
};

/** Characters where UTF-16 and UTF-8 orders part (U+E000–U+FFFF against surrogate pairs), and the extremes. */
const tricky = fc.constantFrom('a', 'b', 'z', 'é', '\uD7FF', '\uE000', 'Ａ', '\uFFFD', '\uFFFF', '😀', '\u{10000}', '\u{10FFFF}');
/** Strings of tricky characters (collisions and shared prefixes are likely), some past the statistics prefix. */
const trickyString = fc.oneof(
  fc.array(tricky, { maxLength: 6 }).map((a) => a.join('')),
  fc.tuple(fc.array(tricky, { maxLength: 3 }), fc.integer({ min: STRING_STATS_PREFIX - 3, max: STRING_STATS_PREFIX + 3 }), fc.array(tricky, { maxLength: 4 }))
    .map(([head, n, tail]) => head.join('') + (head[0] ?? '😀').repeat(n) + tail.join('')),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

test('compareUtf8 orders strings exactly as their UTF-8 bytes', () => {
  assert.ok(compareUtf8('Ａ', '😀') < 0, "'Ａ' (EF BC A1) is below '😀' (F0 9F 98 80) in UTF-8, unlike JavaScript's <");
  assert.ok(compareUtf8('\uFFFD', '\u{10000}') < 0);
  assert.ok(compareUtf8('\uD7FF', '\uE000') < 0);
  assert.equal(compareUtf8('😀', '😀'), 0);
  fc.assert(fc.property(trickyString, trickyString, (a, b) => Math.sign(compareUtf8(a, b)) === utf8Order(a, b)), { numRuns: 2000 });
});

test('compareValues: strings by UTF-8, numbers and bigints together, NaN incomparable', () => {
  assert.ok(compareValues('Ａ', '😀') < 0);
  assert.ok(compareValues(2n, 1.5) > 0);
  assert.equal(compareValues(1n, 1), 0);
  assert.ok(compareValues(false, true) < 0);
  assert.ok(Number.isNaN(compareValues(NaN, 1)));
});

test("string bounds are UTF-8 ordered: ['Ａ','😀'] has min 'Ａ' and max '😀'", () => {
  const s = stats('string', ['😀', 'Ａ', null]);
  assert.deepEqual([s.minValues.c, s.maxValues.c, s.nullCount.c], ['Ａ', '😀', 1]);
});

test('-0.0 is written as delta-rs writes it: a zero min is -0.0, a zero max 0.0 (Parquet rule)', () => {
  const text = computeStats([field('d', 'double')], [[-0, 1.5]], 2);
  assert.match(text, /"minValues":\{"d":-0\.0\}/);
  assert.match(computeStats([field('d', 'double')], [[0, 2]], 2), /"minValues":\{"d":-0\.0\}/);
  assert.match(computeStats([field('d', 'double')], [[-1, -0]], 2), /"maxValues":\{"d":0\}/);
  assert.ok(Object.is(parseStats(text, [field('d', 'double')]).min.get('d'), -0));
});

test('booleans get min/max; doubles with NaN get bounds over the other values; ±Infinity leaves only that side out', () => {
  assert.deepEqual(stats('boolean', [true, null, false]).minValues, { c: false });
  assert.deepEqual(stats('boolean', [true, true]).maxValues, { c: true });
  const d = stats('double', [NaN, 3, -2, NaN, null]);
  assert.deepEqual([d.minValues.c, d.maxValues.c, d.nullCount.c], [-2, 3, 1]);
  assert.deepEqual(stats('double', [NaN, NaN]).minValues, {});
  const inf = stats('double', [1, Infinity]);
  assert.deepEqual([inf.minValues.c, inf.maxValues.c], [1, undefined]);
});

test('long strings: min is a prefix, max a rounded-up prefix, never splitting a surrogate pair', () => {
  assert.equal(stringStatsMin('a'.repeat(100)), 'a'.repeat(STRING_STATS_PREFIX));
  assert.equal(stringStatsMax('b'.repeat(100)), `${'b'.repeat(STRING_STATS_PREFIX - 1)}c`);
  assert.equal(stringStatsMin('😀'.repeat(40)), '😀'.repeat(STRING_STATS_PREFIX), 'counted in code points');
  assert.equal(stringStatsMax(`${'a'.repeat(31)}\u{10FFFF}\u{10FFFF}x`), `${'a'.repeat(30)}b`, 'U+10FFFF cannot grow: the previous code point does');
  assert.equal(stringStatsMax(`${'a'.repeat(31)}\uD7FFzz`), `${'a'.repeat(31)}\uE000`, 'the surrogate range is skipped');
  const top = '\u{10FFFF}'.repeat(40);
  assert.equal(stringStatsMax(top), top, 'a prefix that cannot be rounded up keeps the exact max (a missing max makes delta-rs drop the file)');
  const s = stats('string', ['x'.repeat(70), 'y'.repeat(80)]);
  assert.deepEqual([s.minValues.c, s.maxValues.c], ['x'.repeat(STRING_STATS_PREFIX), `${'y'.repeat(STRING_STATS_PREFIX - 1)}z`]);
  fc.assert(fc.property(trickyString, (v) => {
    const lo = stringStatsMin(v);
    const hi = stringStatsMax(v);
    assert.ok(utf8Order(lo, v) <= 0 && utf8Order(hi, v) >= 0, 'bounds hold the value');
    for (const b of [lo, hi]) assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(b) || b === v, 'no split pair');
    if (hi !== v) assert.ok([...hi].length <= STRING_STATS_PREFIX);
  }), { numRuns: 2000 });
});

test('property: data skipping never drops a file holding a matching row (random strings with surrogate pairs)', () => {
  const fields = [field('s', 'string')];
  const condition = fc.oneof(
    trickyString,
    fc.record({ op: fc.constantFrom('eq', 'ne', 'lt', 'lte', 'gt', 'gte'), v: trickyString }).map(({ op, v }) => ({ [op]: v })),
    fc.array(trickyString, { minLength: 1, maxLength: 4 }).map((values) => ({ in: values })),
  );
  fc.assert(fc.property(fc.array(fc.array(fc.option(trickyString, { freq: 8 }), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }), condition, (files, cond) => {
    const where: Predicate = { s: cond as Predicate[string] };
    const terms = compilePredicate(where, { fields });
    for (const values of files) {
      const present = values.filter((v): v is string => v !== null).sort(utf8Order);
      // Riffle's own stats, and exact UTF-8 bounds as another Delta writer (delta-rs, Spark) writes them.
      const foreign = JSON.stringify({ numRecords: values.length, minValues: { s: present[0] }, maxValues: { s: present.at(-1) }, nullCount: { s: values.length - present.length } });
      if (!values.some((v) => matchesRow(terms, { s: v }))) continue;
      const ours = computeStats(fields, [values], values.length);
      for (const [json, tags] of [[ours, statsTags(ours)], [foreign, undefined], [foreign, { [UTF8_BOUNDS_TAG]: 'true' }]] as const) {
        assert.ok(mayMatchFile(terms, {}, parseStats(json, fields, tags)), `file ${JSON.stringify(values)} (stats ${json}) skipped for ${JSON.stringify(cond)}`);
      }
    }
  }), { numRuns: 3000 });
});

test('property: numeric and boolean skipping keeps every file with a match (NaN, -0.0, infinities)', () => {
  const fields = [field('d', 'double'), field('b', 'boolean')];
  const num = fc.oneof(fc.constantFrom(NaN, -0, 0, Infinity, -Infinity, 1, -1), fc.double());
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.option(num), fc.option(fc.boolean())), { minLength: 1, maxLength: 8 }),
    fc.constantFrom('eq', 'ne', 'lt', 'lte', 'gt', 'gte'), num, fc.boolean(),
    (rows, op, v, b) => {
      const fileStats = parseStats(computeStats(fields, [rows.map((r) => r[0]), rows.map((r) => r[1])], rows.length), fields);
      for (const where of [{ d: { [op]: v } }, { b: { [op]: b } }] as Predicate[]) {
        const terms = compilePredicate(where, { fields });
        if (rows.some(([d, bb]) => matchesRow(terms, { d, b: bb }))) assert.ok(mayMatchFile(terms, {}, fileStats), `skipped for ${JSON.stringify(where)}`);
      }
    },
  ), { numRuns: 2000 });
});

test('bounds in UTF-16 order (Riffle before the UTF-8 tag) are not trusted where the orders part; tagged bounds are', () => {
  const fields = [field('s', 'string')];
  const old = JSON.stringify({ numRecords: 2, minValues: { s: '😀' }, maxValues: { s: 'Ａ' }, nullCount: { s: 0 } }); // UTF-16 order
  for (const v of ['Ａ', '😀']) assert.ok(mayMatchFile(compilePredicate({ s: v }, { fields }), {}, parseStats(old, fields)), `untagged: ${v} not skipped`);
  const plain = parseStats(JSON.stringify({ numRecords: 2, minValues: { s: 'a' }, maxValues: { s: 'b' }, nullCount: { s: 0 } }), fields);
  assert.deepEqual([plain.min.get('s'), plain.max.get('s')], ['a', 'b'], 'bounds below U+D800 read alike in both orders: kept');
  const ours = computeStats(fields, [['Ａ', '😀']], 2);
  assert.deepEqual(statsTags(ours), { [UTF8_BOUNDS_TAG]: 'true' });
  assert.equal(statsTags(computeStats(fields, [['a', 'é']], 2)), undefined, 'no tag when nothing is order-sensitive');
  const tagged = parseStats(ours, fields, statsTags(ours));
  assert.deepEqual([tagged.min.get('s'), tagged.max.get('s')], ['Ａ', '😀']);
  assert.equal(mayMatchFile(compilePredicate({ s: 'ｚ' }, { fields }), {}, tagged), true, "'ｚ' (U+FF5A) lies between 'Ａ' and '😀' in UTF-8");
  assert.equal(mayMatchFile(compilePredicate({ s: '\u{1F601}' }, { fields }), {}, tagged), false, 'above the max: skipped');
});
