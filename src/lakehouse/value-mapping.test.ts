import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTimestamp, fromPartitionString, fromStatsValue, stringifyJson, toCanonical, toPartitionString, toStatsValue } from './value-mapping.ts';

test('JS values map to canonical values deliberately', () => {
  assert.equal(toCanonical('long', 5), 5n);
  assert.equal(toCanonical('long', 2n ** 62n), 2n ** 62n);
  assert.deepEqual(toCanonical('long', 1.5), { error: 'number 1.5 is not a safe integer (pass a bigint)' });
  assert.deepEqual(toCanonical('integer', 2 ** 31), { error: 'number 2147483648 is not a 32-bit integer' });
  assert.equal(toCanonical('timestamp', new Date(Date.UTC(2024, 0, 1))), 1704067200000000n);
  assert.equal(toCanonical('timestamp', '2024-01-01T01:00:00.000001+01:00'), 1704067200000001n);
  assert.deepEqual(toCanonical('timestamp', '2024-01-01 00:00:00'), { error: "string '2024-01-01 00:00:00' is not an ISO-8601 timestamp with a zone" });
  assert.equal(toCanonical('date', new Date(Date.UTC(2024, 1, 29, 23))), '2024-02-29');
  assert.deepEqual(toCanonical('date', '2024-13-01'), { error: "string '2024-13-01' is not a YYYY-MM-DD date (years 0001 to 9999)" });
  assert.deepEqual(toCanonical('string', 3), { error: 'number 3' });
  assert.equal(toCanonical('double', undefined), null);
});

test('timestamps keep microseconds, including before the epoch', () => {
  assert.equal(formatTimestamp(1_500_000n), '1970-01-01T00:00:01.500000Z');
  assert.equal(formatTimestamp(-1n), '1969-12-31T23:59:59.999999Z');
  assert.equal(fromPartitionString('timestamp', formatTimestamp(-1n)), -1n);
  assert.equal(fromPartitionString('timestamp', '1970-01-01 00:00:01.5'), 1_500_000n);
  // stats truncate down to milliseconds
  assert.equal(toStatsValue('timestamp', 1_999n), '1970-01-01T00:00:00.001Z');
  assert.equal(fromStatsValue('timestamp', '1970-01-01T00:00:00.001Z'), 1_000n);
});

test('partition values round-trip; null and empty are null', () => {
  for (const [type, v] of [['long', -3n], ['integer', 7], ['boolean', false], ['date', '2024-01-31'], ['string', 'a/b=c'], ['double', 1.25]] as const) {
    assert.equal(fromPartitionString(type, toPartitionString(type, v)), v);
  }
  assert.equal(toPartitionString('string', null), null);
  assert.equal(fromPartitionString('long', ''), null);
});

test('stats JSON keeps 64-bit longs exact; reading refuses inexact ones', () => {
  assert.equal(stringifyJson({ a: 2n ** 60n, b: 'x' }), '{"a":1152921504606846976,"b":"x"}');
  assert.equal(fromStatsValue('long', 2 ** 60), undefined);
  assert.equal(fromStatsValue('long', 12), 12n);
});
