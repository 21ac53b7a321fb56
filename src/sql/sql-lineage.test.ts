// sql.transform's field lineage from its select list: qualified columns of a JOIN, the ON columns as JOIN; unknown
// (undefined) rather than guessed where a column cannot be placed or a table is not a pipeline input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sqlFieldLineage } from './sql-lineage.ts';

describe('sql field lineage', () => {
  it('of a JOIN: qualified columns from either input, the ON columns as JOIN', () => {
    const lineage = sqlFieldLineage('SELECT o.id, c.name AS customer, o.amount * 2 AS doubled FROM orders o JOIN customers c ON o.cid = c.id', new Map([
      ['orders', { collection: 'c1', columns: ['id', 'country', 'amount', 'cid'] }],
      ['customers', { collection: 'c2', columns: undefined }],
    ]));
    assert.deepEqual(lineage, {
      fields: {
        id: [{ collection: 'c1', field: 'id', type: 'DIRECT', subtype: 'IDENTITY' }],
        customer: [{ collection: 'c2', field: 'name', type: 'DIRECT', subtype: 'IDENTITY' }],
        doubled: [{ collection: 'c1', field: 'amount', type: 'DIRECT', subtype: 'TRANSFORMATION' }],
      },
      dataset: [{ collection: 'c1', field: 'cid', type: 'INDIRECT', subtype: 'JOIN' }, { collection: 'c2', field: 'id', type: 'INDIRECT', subtype: 'JOIN' }],
    });
    // Unknown rather than guessed: an unqualified column with two candidate tables of unknown columns, * over unknown columns.
    const unknown = new Map([['a', { collection: 'c1', columns: undefined }], ['b', { collection: 'c2', columns: undefined }]]);
    assert.equal(sqlFieldLineage('SELECT x FROM a JOIN b ON a.k = b.k', unknown), undefined);
    assert.equal(sqlFieldLineage('SELECT * FROM a', unknown), undefined);
    assert.equal(sqlFieldLineage('SELECT x FROM read_parquet(\'f.parquet\')', unknown), undefined);
  });

});
