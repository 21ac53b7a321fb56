// `riffle run` of the rescale fixture (fixtures/rescale-pipeline.ts) as a child process, its committed output, and
// the uninterrupted run's output to compare with: shared by the worker-checkpoint, savepoint and object-store tests.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'src/cli/main.ts');
const pipeline = join(root, 'test/checkpoint/fixtures/rescale-pipeline.ts');

export interface FixtureRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface FixtureRunOptions {
  /** Sent once checkpoint `afterCheckpoint` (default 2) in `dir/c` is complete. */
  signal?: NodeJS.Signals;
  afterCheckpoint?: number;
  env?: Record<string, string>;
}

/** `riffle run` of the fixture writing to `dir/out` (4,000 events, 15 ms apart), with `args`. */
export function runFixture(dir: string, args: readonly string[], o: FixtureRunOptions = {}): Promise<FixtureRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', pipeline, `--output=${dir}/out`, '--no-progress', '--events=4000', '--delayMs=15', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...o.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let poll: NodeJS.Timeout | undefined;
    if (o.signal !== undefined) {
      const marker = join(dir, 'c', `chk-${o.afterCheckpoint ?? 2}`, '_metadata');
      poll = setInterval(() => {
        if (!existsSync(marker)) return;
        clearInterval(poll);
        child.kill(o.signal);
      }, 20);
    }
    child.on('error', fail);
    child.on('close', (code) => {
      clearInterval(poll);
      done({ code, stdout, stderr });
    });
  });
}

/** Every published line of `dir/out` (dot files are pending, unpublished), sorted; `only`: of one output. */
export function committed(dir: string, only?: 'sums' | 'totals'): string[] {
  const lines: string[] = [];
  for (const sub of ['sums', 'totals']) {
    if (only !== undefined && sub !== only) continue;
    const d = join(dir, 'out', sub);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (!f.startsWith('.')) for (const l of readFileSync(join(d, f), 'utf8').split('\n')) if (l !== '') lines.push(`${sub}: ${l}`);
  }
  return lines.sort();
}

const references = new Map<string, Promise<string[]>>();
/** The uninterrupted run's output (one thread, no checkpoints), run once per `base` directory. */
export function uninterrupted(base: string): Promise<string[]> {
  let r = references.get(base);
  if (r === undefined) {
    r = (async () => {
      const dir = join(base, 'reference');
      const run = await runFixture(dir, ['--workers', '1']);
      assert.equal(run.code, 0, run.stderr);
      const lines = committed(dir);
      assert.equal(lines.filter((l) => l.startsWith('totals')).length, 7);
      return lines;
    })();
    references.set(base, r);
  }
  return r;
}
