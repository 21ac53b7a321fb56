// End-to-end: `riffle table` on what is not a table, a folder of the user's files, a log pointing outside the
// table and a damaged Parquet input — each a clear error and a non-zero exit, never a stack or a hang.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { parquetWriteBuffer } from 'hyparquet-writer';

const root = fileURLToPath(new URL('../..', import.meta.url));

function riffle(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'table', ...args], { cwd: root, env: { ...process.env, RIFFLE_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const noStack = (stderr: string): void => assert.doesNotMatch(stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `no stack trace: ${stderr}`);

describe('riffle table on bad paths and damaged inputs', { concurrency: 1 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-table-robust-'));
  writeFileSync(join(dir, 'in.csv'), 'id,name\n1,a\n2,b\n');

  it('table show on a CSV file says it is not a Delta table (no ENOTDIR stack)', async () => {
    const r = await riffle(['show', join(dir, 'in.csv')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /in\.csv is not a Delta table: it is a file/);
    assert.match(r.stderr, /riffle table write <folder> --from/);
    noStack(r.stderr);
  });

  it('table write into a folder of other files is refused and creates nothing', async () => {
    const user = join(dir, 'mine');
    mkdirSync(user);
    writeFileSync(join(user, 'notes.txt'), 'keep me');
    const r = await riffle(['write', user, '--from', join(dir, 'in.csv')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not empty and is not a table \(it holds notes\.txt\)/);
    assert.deepEqual(readdirSync(user), ['notes.txt']);
  });

  it('table show --json exits non-zero on a log that points outside the table; --allow-external-files reads absolute paths', async () => {
    const table = join(dir, 't');
    assert.equal((await riffle(['write', table, '--from', join(dir, 'in.csv')])).code, 0);
    const outside = join(dir, 'elsewhere');
    mkdirSync(outside);
    copyFileSync(join(table, readdirSync(table).find((f) => f.endsWith('.parquet'))!), join(outside, 'x.parquet'));
    const commit = join(table, '_delta_log', '00000000000000000001.json');
    const original = readFileSync(commit, 'utf8');
    writeFileSync(commit, original.replace(/"path":"[^"]+"/, '"path":"../elsewhere/x.parquet"'));
    const escape = await riffle(['show', table, '--json']);
    assert.notEqual(escape.code, 0);
    assert.match(escape.stderr, /points at data file '\.\.\/elsewhere\/x\.parquet', which leaves the table directory/);
    noStack(escape.stderr);
    writeFileSync(commit, original.replace(/"path":"[^"]+"/, `"path":"file://${outside}/x.parquet"`));
    const absolute = await riffle(['show', table, '--json']);
    assert.notEqual(absolute.code, 0);
    assert.match(absolute.stderr, /an absolute URI outside the table/);
    const allowed = await riffle(['show', table, '--json', '--allow-external-files']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(JSON.parse(allowed.stdout).rows.length, 2);
  });

  it('table write --from a damaged Parquet file fails at once, naming the file (it used to hang)', async () => {
    const bytes = new Uint8Array(parquetWriteBuffer({
      columnData: [{ name: 'x', data: Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? null : i)), type: 'INT32' }], codec: 'UNCOMPRESSED',
    }));
    // The first data page's definition levels start right after its header: make them one RLE run of 2^27 values.
    const meta = parquetMetadata(Uint8Array.from(bytes).buffer).row_groups[0].columns[0].meta_data!;
    const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: Number(meta.data_page_offset) };
    parquetHeader(reader);
    bytes.set([0x80, 0x80, 0x80, 0x80, 0x01], reader.offset);
    const damaged = join(dir, 'damaged.parquet');
    writeFileSync(damaged, bytes);
    const started = Date.now();
    const r = await riffle(['write', join(dir, 'from-damaged'), '--from', damaged]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Parquet file .*damaged\.parquet cannot be read/);
    noStack(r.stderr);
    assert.ok(Date.now() - started < 20_000);
  });
});
