// The run report and errors of a job on 2 workers read as on 1: user metrics gathered (counters and distributions
// summed, a gauge kept as a value — not summed over the workers that set it); a failing step's error is the worker's
// own message, then where it happened; past --max-errors the rejected records of every worker are in the job's one
// dead-letter file, which the error names; --max-errors counts the job's rejected records, not each worker's; the
// sources' input warnings come back from the workers that read them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const root = mkdtempSync(join(tmpdir(), 'riffle-report-workers-'));
after(() => rmSync(root, { recursive: true, force: true }));

const riffle = (args: readonly string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', ...args, '--no-progress'], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });

test('user metrics from 2 workers: counters and distributions summed, a gauge not', () => {
  const r = riffle(['src/cli/fixtures/word-lengths.ts', '--words=a,bb,cc,ddd,e', '--weight=0.5', '--min-length', '2', '--workers', '2']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^KeepLong +parDo +5 +3 +0 +0$/m);
  assert.match(r.stdout, /^KeepLong\/tooShort +2$/m);
  assert.match(r.stdout, /^KeepLong\/wordLength +5 +9 +1 +3 +1\.8$/m);
  assert.match(r.stdout, /^KeepLong\/weight +0\.5$/m);
  assert.match(r.stdout, /^workers +2$/m);
});

test('past --max-errors on 2 workers: the error is the job\'s, and every rejected record is in the job\'s file', () => {
  const dir = join(root, 'max-errors');
  const dead = join(dir, 'dead.jsonl');
  const r = riffle(['src/cli/fixtures/dead-letters.ts', '--count=300', '--max-errors', '2', '--dead-letter', dead, '--workers', '2']);
  assert.equal(r.status, 1, r.stderr);
  // The limit is the job's, whichever worker passed it: the error reads as on one thread.
  assert.match(r.stderr, /^error: more than 2 records were rejected \(the last at step 'ParseJson': .*\); the job was stopped\n {2}hint: the rejected records are in (.*)dead\.jsonl;/m);
  assert.doesNotMatch(r.stderr, /dead-w\d\.jsonl/);
  assert.ok(readFileSync(dead, 'utf8').trimEnd().split('\n').length >= 3);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('dead-w')), [], "the workers' files were gathered");
  assert.ok(existsSync(dead));
});

test('--max-errors is the job\'s limit on 2 workers: 10 rejected records in each worker fail a limit of 15', () => {
  // Each worker reads one part of 10 malformed lines: 10 is under the limit in either worker, 20 in the job is over it.
  const run = (name: string, max: number) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    return riffle(['test/workers/fixtures/split-rejects.ts', `--dir=${dir}`, '--bad=10', '--max-errors', String(max), '--dead-letter', join(dir, 'dead.jsonl'), '--workers', '2']);
  };
  const over = run('job-wide-15', 15);
  assert.equal(over.status, 1, over.stdout + over.stderr);
  assert.match(over.stderr, /^error: more than 15 records were rejected/m);
  const at = run('job-wide-20', 20);
  assert.equal(at.status, 0, at.stderr);
  assert.match(at.stdout, /^ParseJson +map +20 +0 +0 +20$/m);
});

test('input warnings on 2 workers: an empty file read by either worker is reported, once', () => {
  const dir = join(root, 'warnings');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'a.jsonl'), Array.from({ length: 200 }, (_, i) => `{"n":${i}}`).join('\n') + '\n');
  writeFileSync(join(dir, 'b.jsonl'), '');
  const r = riffle(['src/cli/fixtures/bad-jsonl.ts', `--input=${join(dir, '*.jsonl')}`, '--workers', '2', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { inputWarnings: { kind: string; file: string }[]; metrics: { gauges: Record<string, number> } };
  assert.equal(report.metrics.gauges.workers, 2);
  assert.deepEqual(report.inputWarnings.map((w) => [w.kind, w.file.split('/').at(-1)]), [['empty-file', 'b.jsonl']]);
  assert.match(r.stderr, /^warning: 1 input warning: .*b\.jsonl/m);
});
