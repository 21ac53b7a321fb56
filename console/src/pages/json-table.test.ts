import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rowsOf } from './json-table.ts';

describe('JSON answers as table rows', () => {
  it('takes the first array of the document, columns in order of first appearance', () => {
    const t = rowsOf({ count: 2, tables: [{ name: 'sales', version: 3 }, { name: 'users', files: ['a', 'b'], version: null }] });
    assert.deepEqual(t.columns, ['name', 'version', 'files']);
    assert.deepEqual(t.rows, [['sales', '3', ''], ['users', '', '["a","b"]']]);
    assert.equal(t.total, 2);
  });
  it('shows plain values in one column, caps the rows, and has nothing for a document without an array', () => {
    assert.deepEqual(rowsOf(['x', 1]).rows, [['x'], ['1']]);
    const many = rowsOf(Array.from({ length: 10 }, (_, i) => ({ i })), 3);
    assert.deepEqual([many.rows.length, many.total], [3, 10]);
    assert.deepEqual(rowsOf({ ok: true }), { columns: [], rows: [], total: 0 });
    assert.equal(rowsOf([{ long: 'y'.repeat(10) }, { long: { deep: 'z'.repeat(300) } }]).rows[1]![0]!.length, 200);
  });
});
