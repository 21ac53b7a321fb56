// End-to-end: `riffle quality profile` proposes a suite that the profiled data passes and broken data fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadSuite, validate } from '../quality/index.ts';
import { readTable } from './quality-action.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const riffle = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, RIFFLE_DEBUG: '' } });

const STATUSES = ['new', 'paid', 'shipped'];
function csv(n: number, broken = false): string {
  const lines = ['id,status,amount,qty,email,created'];
  for (let i = 0; i < n; i++) {
    const amount = i % 50 === 7 ? '' : ((i * 37) % 1000) / 10 + 0.5;
    const status = broken && i === 3 ? 'lost' : STATUSES[i % 3];
    const id = broken && i === 5 ? 4 : i;
    lines.push(`${id},${status},${amount},${1 + (i % 5)},user${i}@example.com,2024-03-${String(1 + (i % 28)).padStart(2, '0')}`);
  }
  return `${lines.join('\n')}\n`;
}

test('riffle quality profile proposes a suite from the data (types, null rates, ranges, value sets, uniqueness)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-profile-'));
  try {
    const data = join(dir, 'orders.csv');
    writeFileSync(data, csv(200));
    const out = join(dir, 'suite.json');
    const text = riffle(['quality', 'profile', data, '--out', out]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /profile of .*orders\.csv: 200 rows, 6 columns/);
    assert.match(text.stdout, /expect_column_values_to_be_unique\(id\)/);
    const json = riffle(['quality', 'profile', data, '--json']);
    assert.equal(json.status, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { rows: number; columns: Array<{ column: string; type: string; nulls: number }>; suite: { expectations: Array<{ expectation_type: string; kwargs: Record<string, unknown> }> } };
    assert.equal(report.rows, 200);
    assert.deepEqual(report.columns.map((c) => [c.column, c.type]), [['id', 'int'], ['status', 'str'], ['amount', 'float'], ['qty', 'int'], ['email', 'str'], ['created', 'str']]);
    const has = (type: string, column: string) => report.suite.expectations.find((e) => e.expectation_type === type && e.kwargs.column === column)?.kwargs;
    assert.ok(has('expect_column_values_to_be_unique', 'id'));
    assert.deepEqual(has('expect_column_values_to_be_in_set', 'status')?.value_set, STATUSES);
    assert.deepEqual(has('expect_column_values_to_not_be_null', 'amount'), { column: 'amount', mostly: 0.98 });
    assert.deepEqual(has('expect_column_values_to_be_between', 'qty'), { column: 'qty', min_value: 1, max_value: 5 });
    assert.deepEqual(has('expect_column_values_to_be_in_set', 'qty')?.value_set, [1, 2, 3, 4, 5]);
    assert.ok(has('expect_column_values_to_be_dateutil_parseable', 'created'));
    assert.deepEqual(has('expect_column_value_lengths_to_be_between', 'email'), { column: 'email', min_value: 17, max_value: 19 });
    // The suite written by --out is the same, passes on the profiled data and catches broken data.
    const suite = loadSuite(out);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).expectations, report.suite.expectations);
    const good = await readTable(data);
    assert.equal(validate(good.rows, suite, { columns: good.columns }).success, true);
    writeFileSync(join(dir, 'bad.csv'), csv(200, true));
    const bad = await readTable(join(dir, 'bad.csv'));
    const failed = validate(bad.rows, suite, { columns: bad.columns }).results.filter((r) => !r.success).map((r) => `${r.expectation_config.expectation_type}(${String(r.expectation_config.kwargs.column)})`);
    assert.deepEqual(failed, ['expect_column_values_to_be_unique(id)', 'expect_column_values_to_be_in_set(status)']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('riffle quality: usage errors exit 2', () => {
  const none = riffle(['quality']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /riffle quality profile/);
  const missing = riffle(['quality', 'profile', 'no/such/file.csv']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read/);
});

test('riffle quality checkpoint run (exit 0 / 1, --json) and riffle quality results (history newest first)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-checkpoint-cli-'));
  try {
    writeFileSync(join(dir, 'good.csv'), csv(50));
    writeFileSync(join(dir, 'bad.csv'), csv(50, true));
    writeFileSync(join(dir, 'orders.suite.json'), JSON.stringify({ expectation_suite_name: 'orders', expectations: [
      { expectation_type: 'expect_column_values_to_be_unique', kwargs: { column: 'id' } },
      { expectation_type: 'expect_column_values_to_be_in_set', kwargs: { column: 'status', value_set: STATUSES } },
    ] }));
    const cp = (data: string) => `name: orders_cp\ndata_asset: ${data}\nsuite: orders.suite.json\nactions:\n  - store_validation_result: { store: results }\n  - update_data_docs: { site: docs }\n`;
    writeFileSync(join(dir, 'good.yaml'), cp('good.csv'));
    writeFileSync(join(dir, 'bad.yaml'), cp('bad.csv'));
    const ok = riffle(['quality', 'checkpoint', 'run', join(dir, 'good.yaml'), '--run-name', 'r1']);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /pass\s+good\s+orders\s+2\/2\s+50/);
    assert.match(ok.stdout, /action store_validation_result: ok/);
    const bad = riffle(['quality', 'checkpoint', 'run', join(dir, 'bad.yaml'), '--run-name', 'r2', '--json']);
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    const result = JSON.parse(bad.stdout) as { success: boolean; run_id: { run_name: string }; run_results: Array<{ validation_result: { results: Array<{ success: boolean; result: { partial_unexpected_list?: unknown[] } }> } }> };
    assert.equal(result.success, false);
    assert.equal(result.run_id.run_name, 'r2');
    assert.deepEqual(result.run_results[0]!.validation_result.results[1]!.result.partial_unexpected_list, ['lost']);
    const text = riffle(['quality', 'checkpoint', 'run', join(dir, 'bad.yaml'), '--run-name', 'r3']);
    assert.equal(text.status, 1);
    assert.match(text.stdout, /bad: expect_column_values_to_be_in_set\(status\): 1 unexpected of 50/);
    const history = riffle(['quality', 'results', 'orders', '--store', join(dir, 'results'), '--json']);
    assert.equal(history.status, 0, history.stderr);
    const listed = JSON.parse(history.stdout) as { results: Array<{ run_name: string; success: boolean }> };
    assert.deepEqual(listed.results.map((r) => [r.run_name, r.success]).sort((a, b) => String(b[0]).localeCompare(String(a[0]))), [['r3', false], ['r2', false], ['r1', true]]);
    const table = riffle(['quality', 'results', 'orders', '--store', join(dir, 'results'), '--asset', 'good']);
    assert.match(table.stdout, /r1\s+good\s+pass\s+2\/2\s+50/);
    assert.doesNotMatch(table.stdout, /r2/);
    assert.match(readFileSync(join(dir, 'docs', 'index.html'), 'utf8'), /3 validations, 2 failed/);
    const missing = riffle(['quality', 'checkpoint', 'run', join(dir, 'nope.yaml')]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /nope.yaml: cannot read: no such file/);
    assert.equal(missing.status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an input with a header and no records is warned about by profile and contract test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-empty-input-'));
  try {
    const data = join(dir, 'orders.csv');
    writeFileSync(data, 'order_id,customer_id,order_date,status,total_amount,items\n');
    const profile = riffle(['quality', 'profile', data]);
    assert.equal(profile.status, 0, profile.stderr);
    assert.match(profile.stderr, /^warning: .*orders\.csv has no records/m);
    const contract = riffle(['contract', 'test', 'examples/contracts/orders.contract.yaml', '--data', data]);
    assert.match(contract.stderr, /^warning: .*orders\.csv has no records \(checks over rows passed vacuously\)/m);
    assert.match(contract.stdout, /: 0 rows/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
