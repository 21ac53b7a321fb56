import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArrayLiteral, parsePgText, PgOid } from './pg-values.ts';
import { changes } from './changes-source.ts';
import { postgresSink, write } from './postgres-sink.ts';
import { cutRanges, read } from './postgres-source.ts';
import { parseTableName, quoteIdent, quoteTable } from './sql-names.ts';

test('values: int8 → bigint, numeric → exact string, timestamps → ISO strings with microseconds', () => {
  assert.equal(parsePgText(PgOid.int8, '9007199254740993'), 9007199254740993n);
  assert.equal(parsePgText(PgOid.numeric, '12345678901234567890.000000001'), '12345678901234567890.000000001');
  assert.equal(parsePgText(PgOid.timestamptz, '2024-05-01 12:00:00.123456+00'), '2024-05-01T12:00:00.123456Z');
  assert.equal(parsePgText(PgOid.timestamp, '2024-05-01 12:00:00'), '2024-05-01T12:00:00');
  assert.equal(parsePgText(PgOid.timestamptz, 'infinity'), 'infinity');
  assert.equal(parsePgText(PgOid.date, '2024-05-01'), '2024-05-01');
  assert.equal(parsePgText(PgOid.bool, 'f'), false);
  assert.equal(parsePgText(PgOid.float8, 'NaN'), Number.NaN);
  assert.deepEqual(parsePgText(PgOid.jsonb, '{"a": [1, 2]}'), { a: [1, 2] });
  assert.deepEqual(parsePgText(PgOid.bytea, '\\x00ff41'), Uint8Array.from([0, 255, 65]));
  assert.equal(parsePgText(PgOid.int4, null), null);
  assert.equal(parsePgText(2950, '3f1c6a3e-0000-4000-8000-000000000000'), '3f1c6a3e-0000-4000-8000-000000000000'); // uuid: text
});

test('values: array literals with quotes, escapes, NULLs, nesting and lower bounds', () => {
  assert.deepEqual(parsePgText(1016, '{1,NULL,-3}'), [1n, null, -3n]);
  assert.deepEqual(parsePgText(1009, '{"a b","c\\"d",NULL,"NULL",plain}'), ['a b', 'c"d', null, 'NULL', 'plain']);
  assert.deepEqual(parsePgText(1007, '{{1,2},{3,4}}'), [[1, 2], [3, 4]]);
  assert.deepEqual(parseArrayLiteral('[0:1]={7,8}', Number), [7, 8]);
  assert.deepEqual(parsePgText(1007, '{}'), []);
  assert.throws(() => parseArrayLiteral('{1,2', Number), /invalid array literal/);
});

test('names: identifiers quoted, quotes doubled, schema-qualified tables', () => {
  assert.equal(quoteIdent('a"b'), '"a""b"');
  assert.equal(quoteTable(parseTableName('Sales.order items', 'x')), '"Sales"."order items"');
  assert.throws(() => quoteIdent(''), /invalid identifier/);
  assert.throws(() => parseTableName('.t', 'x'), /invalid table name/);
});

test('split: ranges cover [min, max] without gaps or overlaps; NULL keys go to the first', () => {
  const ranges = cutRanges(1n, 10n, 3, 'id');
  assert.deepEqual(ranges, [{ lo: 1n, hi: 4n, nulls: true }, { lo: 4n, hi: 7n, nulls: false }, { lo: 7n, hi: undefined, nulls: false }]);
  assert.equal(cutRanges(5, 6, 8, 'id').length, 2); // never more ranges than keys
  assert.deepEqual(cutRanges(null, null, 4, 'id'), [{ lo: 0n, hi: 0n, nulls: true }]);
  const huge = cutRanges(-(2n ** 63n), 2n ** 63n - 1n, 4, 'id');
  assert.equal(huge.length, 4);
  assert.equal(huge[1]!.lo, huge[0]!.hi);
  assert.throws(() => cutRanges('a', 'z', 2, 'name'), /must be an integer column/);
});

test('read: options are checked before anything runs', () => {
  const url = 'postgres://u@localhost/db';
  assert.throws(() => read('', { url }), /non-empty string/);
  assert.throws(() => read('SELECT 1', { url: 'mysql://x' }), /postgres:\/\//);
  assert.throws(() => read('SELECT 1', { url, splits: 4 }), /splits needs splitBy/);
  assert.throws(() => read('SELECT 1', { url, splitBy: 'id', splits: 0 }), /positive integer/);
  assert.throws(() => read('SELECT 1', { url, fetchsize: 3 } as never), /unknown option 'fetchsize'/);
  assert.throws(() => read({ table: 't', where: 'x' } as never, { url }), /query string or \{ table/);
});

test('write: options are checked before anything runs', () => {
  const url = 'postgres://u@localhost/db';
  assert.throws(() => write('t', { url, mode: 'upsert' }), /mode 'upsert' needs key/);
  assert.throws(() => write('t', { url, mode: 'delete', key: [] }), /non-empty array/);
  assert.throws(() => write('t', { url, mode: 'merge' as never }), /insert, upsert or delete/);
  assert.throws(() => write('t', { url, batchSize: 0 }), /positive integer/);
  assert.throws(() => write('t', { url, onError: 'skip' as never }), /'output' or 'fail'/);
  assert.throws(() => write('t', { url, batch: 5 } as never), /unknown option 'batch'/);
  assert.throws(() => write('', { url }), /non-empty string/);
  assert.equal(postgresSink('t', { url, exactlyOnce: true }).guarantee, 'exactly-once');
  assert.equal(postgresSink('t', { url }).guarantee, 'at-least-once');
});

test('changes: options and names are checked before anything runs', () => {
  const url = 'postgres://u@localhost/db';
  assert.throws(() => changes('pub', 'Bad-Slot', { url }), /not a valid replication slot name/);
  assert.throws(() => changes('pub', 'slot', { url, snapshots: false } as never), /unknown option 'snapshots'/);
  assert.throws(() => changes('', 'slot', { url }), /invalid identifier/);
  assert.equal(changes('pub', 'slot', { url }).name, 'PostgresChanges');
});
