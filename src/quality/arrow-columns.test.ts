import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vectorFromArray, Utf8 } from 'apache-arrow';
import type { SchemaField } from '../lakehouse/index.ts';
import { validationColumn } from './arrow-columns.ts';

const field = { name: 's', type: 'string', nullable: true, metadata: {} } as unknown as SchemaField;

test('string columns: interned repeats, distinct values, nulls, long and non-ASCII values read exactly', () => {
  const values: Array<string | null> = [];
  for (let i = 0; i < 20_000; i++) values.push(i % 7 === 0 ? null : i % 3 === 0 ? `s${i % 5}` : i % 3 === 1 ? `é${i % 11}${'x'.repeat(i % 100)}` : `d${i}`);
  const data = vectorFromArray(values, new Utf8()).data[0]!;
  assert.deepEqual(validationColumn(field, data), values);
  // Mostly distinct from the start: interning stops, values stay exact.
  const distinct = Array.from({ length: 10_000 }, (_, i) => (i % 2 === 0 ? `k${i}` : `k${i % 10}`));
  assert.deepEqual(validationColumn(field, vectorFromArray(distinct, new Utf8()).data[0]!), distinct);
});

test('rows [start, end) of a column equal the same rows of the whole column (numbers with nulls, int64, strings, dictionaries)', async () => {
  const { Dictionary, Float64, Int32, Int64 } = await import('apache-arrow');
  const n = 5000;
  const doubles = Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : i / 4));
  const longs = Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : BigInt(i) * 1_000_003n));
  const texts = Array.from({ length: n }, (_, i) => (i % 9 === 0 ? null : i % 2 === 0 ? `k${i % 5}` : `v${i}`));
  const columns: Array<[SchemaField, import('apache-arrow').Data]> = [
    [{ ...field, name: 'd', type: 'double' } as SchemaField, vectorFromArray(doubles, new Float64()).data[0]!],
    [{ ...field, name: 'l', type: 'long' } as SchemaField, vectorFromArray(longs, new Int64()).data[0]!],
    [field, vectorFromArray(texts, new Utf8()).data[0]!],
    [field, vectorFromArray(texts, new Dictionary(new Utf8(), new Int32())).data[0]!],
  ];
  for (const [f, data] of columns) {
    const whole = Array.from(validationColumn(f, data));
    for (const [start, end] of [[0, 7], [1, 1000], [999, 4096], [4097, n]] as const) {
      assert.deepEqual(Array.from(validationColumn(f, data, start, end)), whole.slice(start, end), `${f.name} ${data.type} [${start}, ${end})`);
    }
    // An Arrow slice (values and offsets already sliced, `offset` for the validity bits only), and a range of it.
    const sliced = data.slice(1001, 3000);
    assert.deepEqual(Array.from(validationColumn(f, sliced)), whole.slice(1001, 4001), `${f.name} ${data.type} sliced`);
    assert.deepEqual(Array.from(validationColumn(f, sliced, 10, 500)), whole.slice(1011, 1501), `${f.name} ${data.type} sliced, range`);
  }
  assert.deepEqual(Array.from(validationColumn(columns[0]![0], columns[0]![1])).slice(0, 3), [NaN, 0.25, 0.5]);
});
