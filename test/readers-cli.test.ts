/**
 * The CSV readers through the CLI: `riffle contract test` fails (exit 1, with the count) on a file with unreadable
 * records; `riffle table write --columns/--schema` keeps 007; schema files are validated; `riffle quality profile`
 * counts unreadable records in a warning and types columns by the shared rule.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const riffle = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, RIFFLE_DEBUG: '' } });
const dir = mkdtempSync(join(tmpdir(), 'riffle-readers-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CONTRACT = `contract_version: 1.0.0
dataset: orders
owner: team
schema:
  fields:
    - name: id
      type: long
      required: true
    - name: name
      type: string
      required: true
    - name: amount
      type: double
      required: true
`;

test('riffle contract test fails with the count when records cannot be read (an unterminated quote at line 153 of 301)', () => {
  const lines = ['id,name,amount'];
  for (let i = 1; i <= 300; i++) lines.push(i === 152 ? `${i},"broken,${i}` : `${i},name ${i},${i}.5`);
  writeFileSync(join(dir, 'orders.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'orders.contract.yaml'), CONTRACT);
  const r = riffle(['contract', 'test', join(dir, 'orders.contract.yaml'), '--data', join(dir, 'orders.csv'), '--json']);
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { rows: number; success: boolean; failed: string[]; malformed_records: { count: number; examples: Array<{ line: number }> } };
  assert.equal(out.success, false);
  assert.equal(out.rows, 299);
  assert.deepEqual(out.failed, ['readable records']);
  assert.equal(out.malformed_records.count, 1);
  assert.equal(out.malformed_records.examples[0]!.line, 153);
  const text = riffle(['contract', 'test', join(dir, 'orders.contract.yaml'), '--data', join(dir, 'orders.csv')]);
  assert.equal(text.status, 1);
  assert.match(text.stdout, /unreadable records: 1 .*the test fails/);
});

test('riffle table write --columns/--schema keep leading zeros; unknown types are rejected naming the key; bad UTF-8 refuses the input', () => {
  writeFileSync(join(dir, 'zips.csv'), 'id,zip,amount\n1,007,1.5\n2,01234,NaN\n3,12345,inf\n');
  const inferred = riffle(['table', 'write', join(dir, 't1'), '--from', join(dir, 'zips.csv')]);
  assert.equal(inferred.status, 0, inferred.stderr);
  const shown = JSON.parse(riffle(['table', 'show', join(dir, 't1'), '--json']).stdout) as { rows: Array<Record<string, unknown>> } | Array<Record<string, unknown>>;
  const rows = Array.isArray(shown) ? shown : shown.rows;
  assert.deepEqual(rows.map((r) => r.zip), ['007', '01234', '12345']); // leading zeros infer as text
  assert.deepEqual(rows.slice(0, 2).map((r) => r.amount), [1.5, null]); // NaN is pandas' NA: a null
  const declared = riffle(['table', 'write', join(dir, 't2'), '--from', join(dir, 'zips.csv'), '--columns', 'id:string,zip:long']);
  assert.equal(declared.status, 0, declared.stderr);
  const described = riffle(['table', 'describe', join(dir, 't2'), '--json']);
  assert.match(described.stdout, /"id"[^}]*"string"/);
  writeFileSync(join(dir, 'schema.yaml'), 'id: strng\n');
  const bad = riffle(['table', 'write', join(dir, 't3'), '--from', join(dir, 'zips.csv'), '--schema', join(dir, 'schema.yaml')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /column 'id' has unknown type "strng"/);
  writeFileSync(join(dir, 'utf8.csv'), Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xff]), Buffer.from('\n2,x\n')]));
  const refused = riffle(['table', 'write', join(dir, 't4'), '--from', join(dir, 'utf8.csv')]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /1 record could not be read, so nothing was written/);
  assert.match(refused.stderr, /utf8\.csv:2: invalid UTF-8/);
  const replaced = riffle(['table', 'write', join(dir, 't5'), '--from', join(dir, 'utf8.csv'), '--invalid-utf8', 'replace']);
  assert.equal(replaced.status, 0, replaced.stderr);
  const t5 = JSON.parse(riffle(['table', 'show', join(dir, 't5'), '--json']).stdout) as { rows: Array<Record<string, unknown>> } | Array<Record<string, unknown>>;
  assert.deepEqual((Array.isArray(t5) ? t5 : t5.rows).map((r) => r.b), ['\uFFFD', 'x']);
  assert.equal(riffle(['table', 'write', join(dir, 't6'), '--from', join(dir, 'utf8.csv'), '--invalid-utf8', 'keep']).status, 2);
});

test('riffle quality profile types by the shared rule and warns with the count of unreadable records', () => {
  writeFileSync(join(dir, 'scores.csv'), Buffer.concat([Buffer.from('score,zip\n1.5,007\nNaN,01234\nN/A,0\ninf,1\n"bad,2\n'), Buffer.from([0xfe]), Buffer.from(',3\n2.5,4\n')]));
  const r = riffle(['quality', 'profile', join(dir, 'scores.csv'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { rows: number; columns: Array<{ column: string; type: string }>; malformed_records: { count: number } };
  assert.equal(out.rows, 5);
  assert.deepEqual(out.columns.map((c) => [c.column, c.type]), [['score', 'float'], ['zip', 'str']]);
  assert.equal(out.malformed_records.count, 2);
  assert.match(r.stderr, /warning: 2 records could not be read/);
  const declared = riffle(['quality', 'profile', join(dir, 'scores.csv'), '--columns', 'zip:double', '--json']);
  assert.deepEqual((JSON.parse(declared.stdout) as { columns: Array<{ column: string; type: string }> }).columns.map((c) => c.type), ['float', 'int']); // 007 read as 7
});
