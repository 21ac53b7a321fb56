import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DeltaTable, DeltaTableError } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-logclean-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `t${n++}`);
const DAY = 86_400_000;
const commits = (t: DeltaTable): string[] => readdirSync(join(t.path, '_delta_log')).filter((f) => /^\d{20}\.json$/.test(f)).sort();

/** Ages the log files of versions < `upTo` to `days` days ago. */
function age(t: DeltaTable, upTo: number, days: number): void {
  const when = (Date.now() - days * DAY) / 1000;
  for (const f of readdirSync(join(t.path, '_delta_log'))) {
    const m = /^(\d{20})\./.exec(f);
    if (m && Number(m[1]) < upTo) utimesSync(join(t.path, '_delta_log', f), when, when);
  }
}

test('after a checkpoint, commits older than delta.logRetentionDuration before the newest old checkpoint are deleted', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long' }, properties: { 'delta.checkpointInterval': '3', 'delta.logRetentionDuration': 'interval 2 days' } });
  for (let i = 1; i <= 5; i++) await table.append([{ id: i }]); // checkpoint at 3
  age(table, 5, 3); // versions 0..4 (and checkpoint 3) are 3 days old
  assert.equal(commits(table).length, 6, 'nothing expired is deleted before the next checkpoint');
  await table.append([{ id: 6 }]); // version 6 → checkpoint 6 → cleanup
  assert.deepEqual(commits(table).map((f) => Number(f.slice(0, 20))), [3, 4, 5, 6], 'versions before checkpoint 3 are gone');
  assert.ok(readdirSync(join(table.path, '_delta_log')).includes('00000000000000000003.checkpoint.parquet'));
  // Retained versions still read; expired ones say why they cannot.
  assert.equal((await table.read({ version: 4 })).length, 4);
  assert.equal((await table.read()).length, 6);
  await assert.rejects(table.read({ version: 1 }), (e: unknown) => e instanceof DeltaTableError && e.code === 'DELTA_VERSION_NOT_FOUND');
  assert.deepEqual((await table.history()).map((h) => h.version), [6, 5, 4, 3]);
});

test('young log files and tables with delta.enableExpiredLogCleanup=false keep every commit', async () => {
  const young = await DeltaTable.create(fresh(), { schema: { id: 'long' }, properties: { 'delta.checkpointInterval': '2' } });
  for (let i = 1; i <= 4; i++) await young.append([{ id: i }]);
  assert.equal(commits(young).length, 5, 'default 30-day retention: nothing is old enough');
  const off = await DeltaTable.create(fresh(), { schema: { id: 'long' }, properties: { 'delta.checkpointInterval': '2', 'delta.logRetentionDuration': 'interval 1 day', 'delta.enableExpiredLogCleanup': 'false' } });
  for (let i = 1; i <= 3; i++) await off.append([{ id: i }]);
  age(off, 4, 5);
  await off.append([{ id: 4 }]);
  assert.equal(commits(off).length, 5);
  await assert.rejects(DeltaTable.create(fresh(), { schema: { id: 'long' }, properties: { 'delta.logRetentionDuration': '30 dayz' } }), /not an interval/);
});
