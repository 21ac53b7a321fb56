// The run report and errors of a job on 2 workers read as on 1: user metrics gathered (counters and distributions
// summed, a gauge kept as a value — not summed over the workers that set it); a failing step's error is the worker's
// own message, then where it happened; past --max-errors the rejected records of every worker are in the job's one
// dead-letter file, which the error names.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

test('past --max-errors on 2 workers: the error is the worker\'s own, and every rejected record is in the job\'s file', () => {
  const dir = join(root, 'max-errors');
  const dead = join(dir, 'dead.jsonl');
  const r = riffle(['src/cli/fixtures/dead-letters.ts', '--count=300', '--max-errors', '2', '--dead-letter', dead, '--workers', '2']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^error: more than 2 records were rejected \(the last at step 'ParseJson': .*\); the job was stopped \(in worker \d of 2\)\n {2}hint: the rejected records are in (.*)dead\.jsonl;/m);
  assert.doesNotMatch(r.stderr, /dead-w\d\.jsonl/);
  assert.ok(readFileSync(dead, 'utf8').trimEnd().split('\n').length >= 3);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('dead-w')), [], "the workers' files were gathered");
  assert.ok(existsSync(dead));
});
