// How `riffle table show` renders values: JSON (--json) and text, for every Delta type, nested ones included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NestedType } from '../lakehouse/index.ts';
import { jsonValue, textValue } from './table-options.ts';

const nested: NestedType = {
  type: 'struct',
  fields: [
    { name: 'd', type: 'decimal(20,3)', nullable: true, metadata: {} },
    { name: 'at', type: { type: 'array', elementType: 'timestamp', containsNull: true }, nullable: true, metadata: {} },
    { name: 'm', type: { type: 'map', keyType: 'timestamp_ntz', valueType: 'binary', valueContainsNull: true }, nullable: true, metadata: {} },
    { name: 'n', type: 'long', nullable: true, metadata: {} },
  ],
};

test('nested values render as JSON with every leaf in its exact form', () => {
  const value = { d: '-12345678901234567.891', at: [-1n, null], m: new Map([[1_500_000n, new Uint8Array([0, 255])]]), n: 2n ** 60n };
  const json = { d: '-12345678901234567.891', at: ['1969-12-31T23:59:59.999999Z', null], m: { '1970-01-01T00:00:01.500000': 'AP8=' }, n: '1152921504606846976' };
  assert.deepEqual(jsonValue(nested, value), json);
  assert.equal(textValue(nested, value), JSON.stringify(json));
  assert.equal(jsonValue(nested, null), null);
});

test('flat values: decimals exact, timestamps with microseconds, binary base64 (JSON) or hex (text)', () => {
  assert.equal(jsonValue('decimal(38,10)', '1.0000000000'), '1.0000000000');
  assert.equal(jsonValue('timestamp_ntz', -1n), '1969-12-31T23:59:59.999999');
  assert.equal(jsonValue('timestamp', 1n), '1970-01-01T00:00:00.000001Z');
  assert.equal(jsonValue('binary', new Uint8Array([0, 255])), 'AP8=');
  assert.equal(textValue('binary', new Uint8Array([0, 255])), '0x00ff');
  assert.equal(jsonValue('long', 2n ** 60n), '1152921504606846976');
});
