// End-to-end: `riffle contract test` on the seed's orders contract with a good and a bad daily file, and
// `riffle contract diff` on a widening and a breaking change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const riffle = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
const contract = 'examples/contracts/orders.contract.yaml';

test('contract test passes on the good file (exit 0)', () => {
  const r = riffle('contract', 'test', contract, '--data', 'examples/data/orders-good.csv');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /passed: 26 checks/);
});

test('contract test fails on the bad file, listing each failed check with its observed value', () => {
  const r = riffle('contract', 'test', contract, '--data', 'examples/data/orders-bad.csv');
  assert.equal(r.status, 1);
  assert.match(r.stdout, /failed: 10 of 26 checks/);
  assert.match(r.stdout, /schema: customer_id is long: 1 unexpected of 6 .*"not-a-number"/);
  assert.match(r.stdout, /status in enum: 1 unexpected of 6 .*"lost"/);
  assert.match(r.stdout, /total_amount range: 2 unexpected of 6 .*-5, 1500000/);
  assert.match(r.stdout, /validity: order_id matches pattern: .*"ORDER-0002"/);
});

test('contract test --json gives the same verdicts as JSON', () => {
  const r = riffle('contract', 'test', contract, '--data', 'examples/data/orders-bad.csv', '--json');
  assert.equal(r.status, 1);
  const out = JSON.parse(r.stdout) as { success: boolean; failed: string[]; checks: Array<{ check: string; success: boolean; result: { partial_unexpected_list?: unknown[] } }> };
  assert.equal(out.success, false);
  assert.equal(out.failed.length, 10);
  const enumCheck = out.checks.find((c) => c.check === 'status in enum')!;
  assert.deepEqual(enumCheck.result.partial_unexpected_list, ['lost']);
  const good = JSON.parse(riffle('contract', 'test', contract, '--data', 'examples/data/orders-good.csv', '--json').stdout) as { success: boolean };
  assert.equal(good.success, true);
});

test('contract diff: widening and optional fields are compatible; removed and new required fields break', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-contract-'));
  const base = readFileSync(contract, 'utf8');
  const widened = base.replace('type: long\n', 'type: double\n').replace('    - name: items', '    - name: coupon\n      type: string\n      required: false\n\n    - name: items');
  writeFileSync(join(dir, 'widened.yaml'), widened);
  const ok = riffle('contract', 'diff', contract, join(dir, 'widened.yaml'), '--json');
  assert.equal(ok.status, 0, ok.stdout);
  const okDiff = JSON.parse(ok.stdout) as { breaking: boolean; changes: Array<{ change: string; breaking: boolean }> };
  assert.deepEqual(okDiff.changes.map((c) => [c.change, c.breaking]), [['type long → double (widening)', false], ['optional field added', false]]);
  // Removing a field also removes it from the completeness rule (a rule on a field the contract does not declare is
  // an invalid contract: exit 2, see below).
  const broken = base.replace(/ {4}- name: status\n[\s\S]*?allowed_values: \[[^\]]*\]\n/, '').replace('order_date, status]', 'order_date]').replace('    - name: items', '    - name: channel\n      type: string\n      required: true\n\n    - name: items');
  writeFileSync(join(dir, 'broken.yaml'), broken);
  const bad = riffle('contract', 'diff', contract, join(dir, 'broken.yaml'));
  assert.equal(bad.status, 1, bad.stdout);
  assert.match(bad.stdout, /field removed\s+silver\.orders\s+status\s+BREAKING/);
  assert.match(bad.stdout, /required field added \(no default\)\s+silver\.orders\s+channel\s+BREAKING/);
});

test('an invalid contract is rejected before any data is read (exit 2): file, line, key, what is expected, did you mean', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-contract-invalid-'));
  const base = readFileSync(contract, 'utf8');
  const typo = base
    .replace('      type: string\n      required: true\n      description: Unique', '      type: strng\n      requird: true\n      description: Unique')
    .replace('allowed_values: [pending', 'allowed_value: [pending')
    .replace('quality_sla:', 'quality_slas:');
  writeFileSync(join(dir, 'typo.yaml'), typo);
  for (const args of [['test', join(dir, 'typo.yaml'), '--data', 'examples/data/orders-good.csv'], ['diff', contract, join(dir, 'typo.yaml')]]) {
    const r = riffle('contract', ...args);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /typo\.yaml:13:13: schema\.fields\[0\]\.type: unknown type `strng` \(did you mean `string`\?\)/);
    assert.match(r.stderr, /typo\.yaml:14:7: schema\.fields\[0\]\.requird: unknown key `requird` \(did you mean `required`\?\)/);
    assert.match(r.stderr, /schema\.fields\[3\]\.allowed_value: unknown key `allowed_value` \(did you mean `allowed_values`\?\)/);
    assert.match(r.stderr, /quality_slas: unknown key `quality_slas` \(did you mean `quality_sla`\?\)/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('contract test on a Delta table: the latest version fails after a bad append, --version 1 still passes', async () => {
  const { DeltaTable } = await import('../../src/lakehouse/index.ts');
  const dir = mkdtempSync(join(tmpdir(), 'riffle-contract-delta-'));
  const path = join(dir, 'orders');
  const table = await DeltaTable.create(path, { schema: { order_id: 'string', customer_id: 'long', order_date: 'timestamp', status: 'string', total_amount: 'double', items: 'string' } });
  const [header, ...lines] = readFileSync('examples/data/orders-good.csv', 'utf8').trim().split('\n');
  assert.equal(header, 'order_id,customer_id,order_date,status,total_amount,items');
  const rows = lines.map((l) => {
    const m = /^([^,]+),(\d+),([^,]+),([^,]+),([^,]+),"(.*)"$/.exec(l)!;
    return { order_id: m[1]!, customer_id: Number(m[2]), order_date: new Date(m[3]!), status: m[4]!, total_amount: Number(m[5]), items: m[6]!.replace(/""/g, '"') };
  });
  await table.append(rows);
  const ok = riffle('contract', 'test', contract, '--data', path, '--json');
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  const okOut = JSON.parse(ok.stdout) as { rows: number; data: { kind: string } };
  assert.equal(okOut.rows, rows.length);
  assert.equal(okOut.data.kind, 'delta');
  await table.append([{ ...rows[0]!, order_id: 'ORDER-0002', status: 'lost' }]);
  const bad = riffle('contract', 'test', contract, '--data', path);
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /Delta table\)/);
  assert.match(bad.stdout, /status in enum: 1 unexpected of \d+ .*"lost"/);
  assert.match(bad.stdout, /validity: order_id matches pattern: .*"ORDER-0002"/);
  // The freshness SLA is measured on the table's last commit (a file has no commit time: skipped there).
  assert.match(bad.stdout, /pass\s+freshness: max delay 30 min\s+last commit [\d.]+ min ago/);
  assert.doesNotMatch(bad.stdout, /skipped: freshness/);
  const v1 = riffle('contract', 'test', contract, '--data', path, '--version', '1');
  assert.equal(v1.status, 0, v1.stdout + v1.stderr);
  assert.match(v1.stdout, /Delta table v1/);
});
