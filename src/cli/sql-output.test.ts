// How `riffle sql` prints results: aligned tables (numbers right, NULL spelled out), CSV quoting, JSON objects.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatResult } from './sql-output.ts';
import { formatOf } from './sql-actions.ts';

const result = {
  columns: [{ name: 'country', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' }, { name: 'tags', type: 'VARCHAR[]' }],
  rows: [['de', 1, ['a', 'b']], ['f,"r"', 12345, null]],
  scans: [],
};

describe('formatResult', () => {
  it('table: aligned, numbers right-aligned, NULL, a row count', () => {
    assert.equal(formatResult(result, 'table'), [
      'country      n  tags',
      '-------  -----  ---------',
      'de           1  ["a","b"]',
      'f,"r"    12345  NULL',
      '(2 rows)',
    ].join('\n'));
  });
  it('csv: RFC 4180 quoting, NULL as an empty field', () => {
    assert.equal(formatResult(result, 'csv'), 'country,n,tags\nde,1,"[""a"",""b""]"\n"f,""r""",12345,');
  });
  it('json: an array of row objects', () => {
    assert.deepEqual(JSON.parse(formatResult(result, 'json')), [{ country: 'de', n: 1, tags: ['a', 'b'] }, { country: 'f,"r"', n: 12345, tags: null }]);
  });
  it('one output format at a time', () => {
    assert.equal(formatOf({ csv: true }), 'csv');
    assert.equal(formatOf({ json: true, format: 'json' }), 'json');
    assert.throws(() => formatOf({ json: true, csv: true }), /one output format/);
  });
});
