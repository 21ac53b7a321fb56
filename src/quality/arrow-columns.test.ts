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
