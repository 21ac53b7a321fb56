import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { COMMIT_MARKER, committedView, readCommitManifest } from './commit-manifest.ts';
import { commitFileSet, RunTempDir, removeDeadTempDirs, type CommitFile, type CommitStep, type FileSet } from './file-commit.ts';
import { expandPaths } from './glob.ts';
import { hostTag, newRunId, parseRunId, runIdLiveness } from './run-owner.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'riffle-commit-'));
const set = (dir: string): FileSet => ({ dir, base: 'part-', rest: '.jsonl' });
const names = (n: number) => Array.from({ length: n }, (_, i) => `part-${String(i).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.jsonl`);

/** Writes `n` temp files of run `tag` into a run temp dir; their content names the run. */
function stage(dir: string, n: number, tag: string, runId = newRunId()): { temp: RunTempDir; files: CommitFile[] } {
  const temp = RunTempDir.create(dir, runId);
  const files = names(n).map((name, i) => {
    const tempPath = join(temp.path, `t${i}.tmp`);
    writeFileSync(tempPath, `${tag}\n`);
    return { tempPath, name, count: 1, bytes: tag.length + 1 };
  });
  return { temp, files };
}

/** What a reader honouring the marker sees: name → content. */
function seen(dir: string): string[] {
  const { manifest } = readCommitManifest(dir);
  const listed = readdirSync(dir).filter((n) => !n.startsWith('.'));
  return committedView(manifest, listed, (rel) => existsSync(join(dir, rel)))
    .visible.map((n) => `${basename(n)}:${readFileSync(join(dir, n), 'utf8').trim()}`)
    .sort();
}

const expect = (n: number, tag: string) => names(n).map((name) => `${name}:${tag}`);

for (const [oldN, newN] of [
  [3, 3],
  [3, 2],
  [0, 4],
] as const) {
  test(`commit ${oldN} → ${newN} files: after every step, and after a crash at any step, readers see the old set whole until the commit point, then the new set whole`, async () => {
    // Steps: locked, guarded, renamed-one per file, renamed, committed, settled, cleaned; the last round crashes nowhere.
    const steps: CommitStep[] = ['locked', 'guarded', ...Array<CommitStep>(newN).fill('renamed-one'), 'renamed', 'committed', 'settled', 'cleaned'];
    for (let crashAt = 0; crashAt <= steps.length; crashAt++) {
      const dir = tmp();
      if (oldN > 0) {
        const old = stage(dir, oldN, 'old');
        commitFileSet(set(dir), old.files, { runId: old.temp.runId, tempDir: old.temp.path });
        old.temp.remove();
      }
      const before = seen(dir);
      assert.deepEqual(before, expect(oldN, 'old'));
      const next = stage(dir, newN, 'new');
      let calls = 0;
      let committed = false;
      const crash = new Error('crash');
      try {
        commitFileSet(set(dir), next.files, {
          runId: next.temp.runId,
          tempDir: next.temp.path,
          onStep: (step) => {
            committed ||= step === 'committed';
            assert.deepEqual(seen(dir), committed ? expect(newN, 'new') : before, `after ${step}`);
            if (calls++ === crashAt) throw crash;
          },
        });
      } catch (e) {
        if (e !== crash) throw e;
      }
      assert.equal(calls, Math.min(crashAt + 1, steps.length));
      assert.deepEqual(seen(dir), committed ? expect(newN, 'new') : before);
      // The same through expandPaths (pending files are read from the temp dir until moved).
      const globbed = await expandPaths(join(dir, 'part-*.jsonl')).catch((e: { code?: string }) => {
        if (e.code === 'CONFIG_INVALID') return []; // no file at all (a first commit, before its commit point)
        throw e;
      });
      assert.deepEqual(globbed.map((p) => `${basename(p)}:${readFileSync(p, 'utf8').trim()}`).sort(), committed ? expect(newN, 'new') : before);
      // The next run commits over whatever the crash left: exactly its files, no temp dir, no lock.
      const third = stage(dir, 2, 'third');
      commitFileSet(set(dir), third.files, { runId: third.temp.runId, tempDir: third.temp.path });
      third.temp.remove();
      next.temp.remove();
      assert.deepEqual(seen(dir), expect(2, 'third'));
      assert.deepEqual(readdirSync(dir).sort(), [COMMIT_MARKER, ...names(2)]);
    }
  });
}

test('a run adds to its own set (panes, a resumed run); another run replaces it', () => {
  const dir = tmp();
  const s: FileSet = { dir, base: 'w-', rest: '.txt' };
  const runId = newRunId();
  const temp = RunTempDir.create(dir, runId);
  const pane = (label: string, tag: string): CommitFile => {
    const tempPath = join(temp.path, `${label}.tmp`);
    writeFileSync(tempPath, tag);
    return { tempPath, name: `w-W-pane-0000${label}-early-00000-of-00001.txt`, count: 1, bytes: 1 };
  };
  commitFileSet(s, [pane('0', 'a')], { runId, tempDir: temp.path });
  const entry = commitFileSet(s, [pane('1', 'b')], { runId, tempDir: temp.path });
  assert.equal(entry.commits, 2);
  assert.deepEqual(
    entry.files.map((f) => f.name),
    ['w-W-pane-00000-early-00000-of-00001.txt', 'w-W-pane-00001-early-00000-of-00001.txt'],
  );
  const other = RunTempDir.create(dir);
  writeFileSync(join(other.path, 'x'), 'c');
  commitFileSet(s, [{ tempPath: join(other.path, 'x'), name: 'w-00000-of-00001.txt', count: 1, bytes: 1 }], { runId: other.runId, tempDir: other.path });
  temp.remove();
  other.remove();
  assert.deepEqual(readdirSync(dir).sort(), [COMMIT_MARKER, 'w-00000-of-00001.txt']);
});

test('a directory written by an earlier version (no manifest): the sink adopts and replaces its own old files, keeps everything else', async () => {
  const dir = tmp();
  for (const n of names(12)) writeFileSync(join(dir, n), 'legacy\n');
  const others = ['other-00000-of-00001.jsonl', 'notes.txt', 'part-00000-of-00001-v2.jsonl', 'part-00000-of-00001.jsonl.gz'];
  for (const n of others) writeFileSync(join(dir, n), 'mine\n');
  mkdirSync(join(dir, '.riffle-tmp-lq2k3x-0a1b2c3d4e5f')); // a temp dir of an earlier version, abandoned long ago
  utimesSync(join(dir, '.riffle-tmp-lq2k3x-0a1b2c3d4e5f'), new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
  const next = stage(dir, 15, 'new');
  commitFileSet(set(dir), next.files, { runId: next.temp.runId, tempDir: next.temp.path });
  next.temp.remove();
  assert.deepEqual(readdirSync(dir).sort(), [COMMIT_MARKER, ...others, ...names(15)].sort());
  const read = (await expandPaths(dir)).map((p) => p.slice(dir.length + 1));
  assert.deepEqual(read, [...others, ...names(15)].sort());
});

test('temp dirs: a dead run’s are removed, a live run’s kept; run ids carry their owner', () => {
  const dir = tmp();
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const dead = newRunId().replace(/-(\d+)\./, `-${child.stdout}.`);
  const live = RunTempDir.create(dir);
  mkdirSync(join(dir, `.riffle-tmp-${dead}`));
  writeFileSync(join(dir, `.riffle-tmp-${dead}`, 'x.tmp'), 'partial');
  mkdirSync(join(dir, '.riffle-tmp-fresh-legacy')); // owner unknown, touched recently: kept for now
  assert.equal(runIdLiveness(live.runId), 'alive');
  assert.equal(runIdLiveness(dead), 'dead');
  assert.equal(runIdLiveness('fresh-legacy'), 'unknown');
  assert.equal(parseRunId(live.runId)?.host, hostTag());
  assert.equal(parseRunId(live.runId)?.pid, process.pid);
  assert.deepEqual(removeDeadTempDirs(dir), [`.riffle-tmp-${dead}`]);
  assert.deepEqual(readdirSync(dir).sort(), ['.riffle-tmp-fresh-legacy', `.riffle-tmp-${live.runId}`].sort());
  // A dead run's temp dir that holds committed files still to be moved (a crash after the commit point) is kept.
  mkdirSync(join(dir, `.riffle-tmp-${dead}`));
  const entry = { base: 'part-', rest: '.jsonl', runId: dead, commits: 1, time: new Date().toISOString(), files: [] };
  writeFileSync(join(dir, COMMIT_MARKER), JSON.stringify({ format: 'riffle-files', version: 1, sets: [{ ...entry, pending: { dir: `.riffle-tmp-${dead}`, names: [] } }] }));
  assert.deepEqual(removeDeadTempDirs(dir), []);
});

test('a commit lock left by a dead process is broken', () => {
  const dir = tmp();
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(join(dir, '.riffle-commit.lock'), newRunId().replace(/-(\d+)\./, `-${child.stdout}.`));
  const next = stage(dir, 1, 'new');
  commitFileSet(set(dir), next.files, { runId: next.temp.runId, tempDir: next.temp.path });
  next.temp.remove();
  assert.deepEqual(readdirSync(dir).sort(), [COMMIT_MARKER, ...names(1)]);
});

test('readers: a foreign or empty _SUCCESS only hides itself; a damaged Riffle manifest or a missing committed file is a clear error', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'part-00000-of-00001.jsonl'), '{}\n');
  writeFileSync(join(dir, COMMIT_MARKER), '');
  assert.deepEqual(await expandPaths(join(dir, '*')), [join(dir, 'part-00000-of-00001.jsonl')]);
  writeFileSync(join(dir, COMMIT_MARKER), '{"format":"riffle-files","version":1,"sets":[{"base":1}]}');
  await assert.rejects(expandPaths(dir), (e: Error & { code?: string }) => e.code === 'FILE_MANIFEST_INVALID' && /_SUCCESS/.test(e.message));
  const entry = { base: 'part-', rest: '.jsonl', runId: 'r', commits: 1, time: new Date().toISOString() };
  writeFileSync(join(dir, COMMIT_MARKER), JSON.stringify({ format: 'riffle-files', version: 1, sets: [{ ...entry, files: [], pending: { dir: '../x', names: [] } }] }));
  await assert.rejects(expandPaths(dir), (e: Error & { code?: string }) => e.code === 'FILE_MANIFEST_INVALID'); // a pending dir outside the directory
  writeFileSync(join(dir, COMMIT_MARKER), JSON.stringify({ format: 'riffle-files', version: 1, sets: [{ ...entry, files: names(2).map((name) => ({ name, count: 1, bytes: 3 })) }] }));
  await assert.rejects(expandPaths(dir), (e: Error & { code?: string }) => e.code === 'FILE_SET_INCOMPLETE');
});
