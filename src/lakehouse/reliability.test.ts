import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { ConcurrentModificationError, DeltaTable } from './index.ts';
import { vacuumTable } from './vacuum.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-delta-rel-'));
after(() => rmSync(root, { recursive: true, force: true }));
const worker = fileURLToPath(new URL('./reliability-worker.ts', import.meta.url));
const schema = { id: { type: 'long', nullable: false }, worker: 'integer' } as const;

function run(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out }));
  });
}

test('a writer failing after writing data files, before its commit, leaves the table at its last version', async () => {
  const path = join(root, 'failed');
  const table = await DeltaTable.create(path, { schema });
  await table.append([{ id: 1, worker: 0 }]);
  const tx = await table.startTransaction();
  const orphans = await tx.writeRows([{ id: 2, worker: 0 }]);
  // …the writer dies here: no commit.
  assert.ok(existsSync(join(path, orphans[0].path)));
  assert.equal(await table.version(), 1);
  assert.deepEqual(await table.read(), [{ id: 1n, worker: 0 }]);
  const snap = await table.snapshot();
  assert.ok(snap.files.every((f) => existsSync(f.absolutePath) && f.path !== orphans[0].path));
  await table.append([{ id: 3, worker: 0 }]);
  assert.deepEqual((await table.read()).map((r) => r.id).sort(), [1n, 3n]);
});

test('a process killed mid-commit leaves the table readable at the last version, with no referenced orphan', async () => {
  const path = join(root, 'killed');
  const table = await DeltaTable.create(path, { schema });
  await table.append([{ id: 1, worker: 0 }]);
  const { signal, out } = await run(['crash', path]);
  assert.equal(signal, 'SIGKILL');
  const { orphans } = JSON.parse(out) as { orphans: string[] };
  assert.ok(existsSync(join(path, orphans[0])), 'the killed writer did write its data file');
  assert.equal(await table.version(), 1);
  assert.deepEqual(await table.read(), [{ id: 1n, worker: 0 }]);
  const snap = await table.snapshot();
  assert.ok(snap.files.every((f) => !orphans.includes(f.path) && existsSync(f.absolutePath)));
  assert.equal((await table.append([{ id: 2, worker: 0 }]) as { version: number }).version, 2);
  // Vacuum removes the orphan once it is older than the retention (here: looking from 8 days ahead), never the log's
  // leftover temporary file, and the table still reads.
  const { filesDeleted } = await vacuumTable(table.log, {}, Date.now() + 8 * 86_400_000);
  assert.deepEqual(filesDeleted, orphans);
  assert.ok(!existsSync(join(path, orphans[0])));
  assert.ok(readdirSync(join(path, '_delta_log')).some((f) => f.endsWith('.crashed.json.tmp')));
  assert.deepEqual((await table.read()).map((r) => r.id).sort(), [1n, 2n]);
});

test('two processes appending concurrently (20 appends each) lose no rows', async () => {
  const path = join(root, 'concurrent');
  await DeltaTable.create(path, { schema });
  const results = await Promise.all([run(['append', path, '1', '20', '5']), run(['append', path, '2', '20', '5'])]);
  for (const r of results) assert.equal(r.code, 0, r.out);
  const table = await DeltaTable.open(path);
  assert.equal(await table.version(), 40);
  const rows = await table.read();
  assert.equal(rows.length, 200);
  assert.equal(new Set(rows.map((r) => r.id)).size, 200);
  const history = await table.history();
  assert.equal(history.filter((h) => h.commitInfo.isBlindAppend === true).length, 40);
  // The checkpoints written under contention are complete: a snapshot from the last one agrees.
  assert.equal((await table.read({ version: 40, where: { worker: 2 } })).length, 100);
});

test('concurrent blind appends from one read version both commit; an overwrite that read stale data conflicts', async () => {
  const table = await DeltaTable.create(join(root, 'conflict'), { schema });
  const a = await table.startTransaction();
  const b = await table.startTransaction();
  const overwrite = await table.startTransaction();
  overwrite.readTable();
  await a.writeRows([{ id: 1, worker: 1 }]);
  await b.writeRows([{ id: 2, worker: 2 }]);
  await overwrite.writeRows([{ id: 3, worker: 3 }]);
  assert.deepEqual(await a.commit({ operation: 'WRITE' }), { version: 1, attempts: 1 });
  assert.deepEqual(await b.commit({ operation: 'WRITE' }), { version: 2, attempts: 2 });
  await assert.rejects(overwrite.commit({ operation: 'WRITE' }), (e: unknown) =>
    e instanceof ConcurrentModificationError && e.conflict === 'concurrentAppend' && e.winningVersion === 1);
  assert.deepEqual((await table.read()).map((r) => r.id).sort(), [1n, 2n]);
});
