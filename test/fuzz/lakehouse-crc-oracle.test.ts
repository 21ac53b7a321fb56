/**
 * Oracle for the page CRCs Riffle writes (src/lakehouse/parquet-crc.ts): pyarrow, with page checksum verification
 * on, reads every data and checkpoint file of a Riffle table, and refuses a copy with one flipped bit in a page.
 * Runs in `.ci/tiers/fuzz-lakehouse.sh` (RIFFLE_INTEGRATION=1, RIFFLE_PYTHON = a python with pyarrow).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DeltaTable } from '../../src/lakehouse/index.ts';

const PYTHON = process.env.RIFFLE_PYTHON;
const dir = mkdtempSync(join(tmpdir(), 'riffle-crc-oracle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SCRIPT = `
import sys, pyarrow.parquet as pq
for path in sys.argv[1:]:
    try:
        t = pq.read_table(path, page_checksum_verification=True)
        print("ok", t.num_rows, path)
    except Exception as e:
        print("refused", path, str(e).replace("\\n", " ")[:200])
`;

function pyarrow(paths: string[]): string[] {
  const r = spawnSync(PYTHON as string, ['-c', SCRIPT, ...paths], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

test('pyarrow verifies the CRCs of every page Riffle writes, and refuses a flipped bit', { skip: !process.env.RIFFLE_INTEGRATION || !PYTHON }, async () => {
  const table = await DeltaTable.create(join(dir, 't'), { schema: { id: 'long', s: 'string', x: 'double', p: 'string' }, partitionBy: ['p'], properties: { 'delta.checkpointInterval': '2' } });
  for (let v = 0; v < 3; v++) {
    await table.append(Array.from({ length: 50_000 }, (_, i) => ({ id: v * 50_000 + i, s: i % 9 ? `s${i % 101}` : null, x: i / 3, p: `p${i % 3}` })));
  }
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.parquet')) files.push(p);
    }
  };
  walk(table.path);
  assert.ok(files.some((f) => f.includes('.checkpoint.')), 'a checkpoint was written');
  for (const line of pyarrow(files)) assert.match(line, /^ok \d+ /);
  // The largest data file: a third of the way in is inside a data page (its footer is a few hundred bytes).
  const largest = files.filter((f) => !f.includes('_delta_log')).sort((a, b) => statSync(b).size - statSync(a).size)[0];
  const bytes = readFileSync(largest);
  bytes[Math.floor(bytes.length / 3)] ^= 0x08;
  const bad = join(dir, 'flipped.parquet');
  writeFileSync(bad, bytes);
  assert.match(pyarrow([bad])[0], /^refused .*(CRC|checksum)/i);
});
