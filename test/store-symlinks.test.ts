// Every store Riffle keeps on disk refuses symbolic links where its files belong (issue 11.4): the orchestrator's
// command inbox and the quality results store here (the journal store in src/orchestrator/journal-store.test.ts),
// all through the shared helpers of src/model/safe-files.ts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openNoFollow, readFileNoFollow, safeSubdir, writeFileAtomic } from '../src/model/index.ts';
import { pendingCommands, submitCommand } from '../src/orchestrator/index.ts';
import { storeResult } from '../src/quality/index.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-links-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};
const victim = () => {
  const f = join(root, `victim${n++}`);
  writeFileSync(f, 'precious');
  return f;
};

describe('safe store files', () => {
  it('openNoFollow and readFileNoFollow refuse a link; writeFileAtomic replaces a link instead of writing through it', () => {
    const dir = fresh();
    const v = victim();
    symlinkSync(v, join(dir, 'f'));
    assert.throws(() => openNoFollow(join(dir, 'f'), 'a'), /is a symbolic link/);
    assert.throws(() => readFileNoFollow(join(dir, 'f')), /is a symbolic link/);
    writeFileAtomic(join(dir, 'f'), 'new');
    assert.equal(readFileSync(v, 'utf8'), 'precious');
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'new');
    assert.equal(readdirSync(dir).length, 1, 'no temp file left');
  });

  it('safeSubdir refuses a linked directory and a path that climbs out', () => {
    const dir = fresh();
    const elsewhere = fresh();
    symlinkSync(elsewhere, join(dir, 'sub'));
    assert.throws(() => safeSubdir(dir, 'sub', 'x'), /sub is a symbolic link/);
    assert.throws(() => safeSubdir(dir, '..', 'x'), /is outside/);
    assert.deepEqual(readdirSync(elsewhere), []);
  });

  it('the command inbox is never written through a linked inbox directory', () => {
    const dir = fresh();
    const elsewhere = fresh();
    symlinkSync(elsewhere, join(dir, 'inbox'));
    assert.throws(() => submitCommand(dir, { op: 'pause', dagId: 'd', paused: true }), /inbox is a symbolic link/);
    assert.deepEqual(readdirSync(elsewhere), []);
    const ok = fresh();
    const file = submitCommand(ok, { op: 'pause', dagId: 'd', paused: true });
    assert.deepEqual(pendingCommands(ok), [file]);
  });

  it('the quality results store is never written through a linked suite directory', () => {
    const store = fresh();
    const elsewhere = fresh();
    symlinkSync(elsewhere, join(store, 'orders'));
    const result = { success: true, results: [], statistics: { evaluated_expectations: 0, successful_expectations: 0, unsuccessful_expectations: 0, success_percent: 100 }, meta: { expectation_suite_name: 'orders', row_count: 0 } };
    assert.throws(() => storeResult(store, result as never, { run_name: 'r', run_time: '2024-01-01T00:00:00Z' }, 'a'), /orders is a symbolic link/);
    assert.deepEqual(readdirSync(elsewhere), []);
  });
});
