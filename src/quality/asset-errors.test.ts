// Issue 10 item 17 (quality side): opening an asset that cannot be data, and a missing column, say what happened and
// what is accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../model/index.ts';
import { assetFromPath, parseAsset } from './data-asset.ts';
import { expect } from './expect.ts';
import { DataAssetError } from './quality-error.ts';
import { suite } from './suite.ts';
import { validate } from './validate.ts';

test('a directory that is not a Delta table is refused by name, with what is accepted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-asset-'));
  mkdirSync(join(dir, 'plain'));
  for (const open of [() => assetFromPath('plain', dir), () => parseAsset({ path: 'plain' }, dir)]) {
    assert.throws(open, (e: Error) => e instanceof DataAssetError && e instanceof ConfigError && /plain is a directory but not a Delta table/.test(e.message) && /a glob such as plain\/\*\.csv, or a Delta table directory/.test(e.message));
  }
  writeFileSync(join(dir, 'plain', 'a.csv'), 'x\n1\n');
  assert.equal(assetFromPath('plain/*.csv', dir).kind, 'file');
});

test('a missing column names the column, the closest one and the columns found', () => {
  const r = validate([{ order_id: 'a', amount: 1 }], suite('s', [expect.columnValuesToNotBeNull('ordr_id'), expect.columnValuesToNotBeNull('total')]));
  assert.equal(r.results[0]!.exception_info.exception_message, 'column "ordr_id" does not exist in the data (did you mean "order_id"?); columns found: order_id, amount');
  assert.equal(r.results[1]!.exception_info.exception_message, 'column "total" does not exist in the data; columns found: order_id, amount');
  assert.equal(r.success, false);
});
