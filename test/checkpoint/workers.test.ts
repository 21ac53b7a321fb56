// Checkpoints on worker threads (issue 14): `riffle run --workers 2` with checkpoints, SIGKILLed once a few
// checkpoints completed, resumed at 1 and at 3 workers (rescale); and a worker thread terminated mid-run (not the
// process): the job restarts by itself from its latest checkpoint. Each time the committed output equals an
// uninterrupted run's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'src/cli/main.ts');
const pipeline = join(root, 'test/checkpoint/fixtures/rescale-pipeline.ts');
const base = mkdtempSync(join(tmpdir(), 'riffle-ckw-'));
after(() => rmSync(base, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stderr: string;
}

/** `riffle run` of the fixture; `killAfterCheckpoint`: SIGKILL once that checkpoint is complete. */
function riffle(dir: string, args: readonly string[], o: { killAfterCheckpoint?: number; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', pipeline, `--output=${dir}/out`, '--no-progress', '--events=4000', '--delayMs=15', ...args], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...o.env },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let poll: NodeJS.Timeout | undefined;
    if (o.killAfterCheckpoint !== undefined) {
      const marker = join(dir, 'c', `chk-${o.killAfterCheckpoint}`, '_metadata');
      poll = setInterval(() => {
        if (existsSync(marker)) child.kill('SIGKILL');
      }, 20);
    }
    child.on('error', fail);
    child.on('close', (code) => {
      clearInterval(poll);
      done({ code, stderr });
    });
  });
}

/** Every published line (dot files are pending, unpublished), sorted. */
function committed(dir: string): string[] {
  const lines: string[] = [];
  for (const sub of ['sums', 'totals']) {
    const d = join(dir, 'out', sub);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (!f.startsWith('.')) for (const l of readFileSync(join(d, f), 'utf8').split('\n')) if (l !== '') lines.push(`${sub}: ${l}`);
  }
  return lines.sort();
}

let reference: Promise<string[]> | undefined;
/** The uninterrupted run's output (one thread, no checkpoints). */
function expected(): Promise<string[]> {
  return (reference ??= (async () => {
    const dir = join(base, 'reference');
    const r = await riffle(dir, ['--workers', '1']);
    assert.equal(r.code, 0, r.stderr);
    const lines = committed(dir);
    assert.equal(lines.filter((l) => l.startsWith('totals')).length, 7);
    return lines;
  })());
}

// The runs are children (mostly waiting on worker start-up): side by side.
describe('checkpoints on worker threads', { concurrency: true }, () => {
// npm test resumes at 3; the checkpoint-kill tier (RIFFLE_CHECKPOINT_FULL=1) at 1 as well.
for (const resumeAt of process.env.RIFFLE_CHECKPOINT_FULL === '1' ? [1, 3] : [3]) {
  test(`checkpointed on 2 workers, killed after its second checkpoint, resumed on ${resumeAt}: the same output as an uninterrupted run`, async () => {
    const dir = join(base, `rescale-${resumeAt}`);
    const first = await riffle(dir, ['--workers', '2', '--checkpoint-dir', join(dir, 'c'), '--checkpoint-interval', '100ms'], { killAfterCheckpoint: 2 });
    assert.equal(first.code, null, `the run was to be killed after checkpoint 2: ${first.stderr}`);
    const meta = JSON.parse(readFileSync(join(dir, 'c', 'chk-2', '_metadata'), 'utf8')) as { workers: number; parts: unknown[] };
    assert.equal(meta.workers, 2);
    const resumed = await riffle(dir, ['--workers', String(resumeAt), '--checkpoint-dir', join(dir, 'c'), '--checkpoint-interval', '100ms', '--resume']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming from checkpoint [2-9]/);
    assert.match(resumed.stderr, new RegExp(`taken on 2 workers: its state goes to ${resumeAt} by key group`));
    assert.deepEqual(committed(dir), await expected());
  });
}

test('a worker thread terminated mid-run (not the process): the job restarts by itself from its latest checkpoint, the same output', async () => {
  const dir = join(base, 'terminate');
  const r = await riffle(dir, ['--workers', '2', '--checkpoint-dir', join(dir, 'c'), '--checkpoint-interval', '100ms', '--restart', 'fixed-delay', '--max-restarts', '2'], {
    env: { RIFFLE_TEST_TERMINATE_WORKER: '1:2' },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /terminating worker 1 after 2 checkpoints/);
  assert.match(r.stderr, /worker 1 of 2 exited .*restarting from its latest checkpoint/s);
  assert.match(r.stderr, /resuming from checkpoint [2-9]/);
  assert.deepEqual(committed(dir), await expected());
});
});
