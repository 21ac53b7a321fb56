// Finding Riffle's table functions in query text: strings, quoted identifiers and comments hide them; qualified
// names are not ours; arguments are literals, checked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findTableFunctionCalls } from './table-function-calls.ts';
import { SqlError } from './sql-error.ts';

describe('findTableFunctionCalls', () => {
  it('finds calls with their extent and literal arguments', () => {
    const sql = "select * from delta('a/b', version => 3) x join DELTA( 'c''d' , timestamp=>'2024-01-01T00:00:00Z' ) using (id), table_changes('t', 1, 2)";
    const calls = findTableFunctionCalls(sql);
    assert.deepEqual(calls.map((c) => [c.fn, sql.slice(c.start, c.end), c.args.map((a) => [a.name, a.value])]), [
      ['delta', "delta('a/b', version => 3)", [[undefined, 'a/b'], ['version', 3]]],
      ['delta', "DELTA( 'c''d' , timestamp=>'2024-01-01T00:00:00Z' )", [[undefined, "c'd"], ['timestamp', '2024-01-01T00:00:00Z']]],
      ['table_changes', "table_changes('t', 1, 2)", [[undefined, 't'], [undefined, 1], [undefined, 2]]],
    ]);
  });

  it('ignores strings, quoted identifiers, comments and qualified names', () => {
    const sql = `select 'delta(''x'')', "delta"('x'), e'delta(\\'x\\')' -- delta('x')
      /* table_files('y') */ from s.delta('z'), $$delta('w')$$`;
    assert.deepEqual(findTableFunctionCalls(sql), []);
  });

  it('refuses what is not a literal call, pointing at it', () => {
    const bad: [string, RegExp][] = [
      ['select * from delta(p)', /must be literals/],
      ["select * from delta('p', versio => 1)", /unknown argument 'versio'/],
      ["select * from delta('p', version => 1, version => 2)", /given twice/],
      ['select * from delta()', /path is missing/],
      ["select * from table_changes('p')", /positional/],
      ["select * from delta('p'", /not closed/],
      ["select * from delta(1)", /quoted string/],
    ];
    for (const [sql, message] of bad) {
      assert.throws(() => findTableFunctionCalls(sql), (e: SqlError) => e instanceof SqlError && e.code === 'SQL_INVALID_ARGUMENT' && message.test(e.message) && e.line === 1, sql);
    }
  });
});
