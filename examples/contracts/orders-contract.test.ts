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
  const broken = base.replace(/ {4}- name: status\n[\s\S]*?allowed_values: \[[^\]]*\]\n/, '').replace('    - name: items', '    - name: channel\n      type: string\n      required: true\n\n    - name: items');
  writeFileSync(join(dir, 'broken.yaml'), broken);
  const bad = riffle('contract', 'diff', contract, join(dir, 'broken.yaml'));
  assert.equal(bad.status, 1, bad.stdout);
  assert.match(bad.stdout, /field removed\s+silver\.orders\s+status\s+BREAKING/);
  assert.match(bad.stdout, /required field added \(no default\)\s+silver\.orders\s+channel\s+BREAKING/);
});
