// Checkpoints on worker threads (issue 14): `riffle run --workers 2` with checkpoints, SIGKILLed once a few
// checkpoints completed, resumed at 1 and at 3 workers (rescale); and a worker thread terminated mid-run (not the
// process): the job restarts by itself from its latest checkpoint. Each time the committed output equals an
// uninterrupted run's.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { committed, runFixture, uninterrupted } from './rescale-runs.ts';

const base = mkdtempSync(join(tmpdir(), 'riffle-ckw-'));
after(() => rmSync(base, { recursive: true, force: true }));

const riffle = runFixture;
const expected = (): Promise<string[]> => uninterrupted(base);

// The runs are children (mostly waiting on worker start-up): side by side.
describe('checkpoints on worker threads', { concurrency: true }, () => {
// npm test resumes at 3; the checkpoint-kill tier (RIFFLE_CHECKPOINT_FULL=1) at 1 as well.
for (const resumeAt of process.env.RIFFLE_CHECKPOINT_FULL === '1' ? [1, 3] : [3]) {
  test(`checkpointed on 2 workers, killed after its second checkpoint, resumed on ${resumeAt}: the same output as an uninterrupted run`, async () => {
    const dir = join(base, `rescale-${resumeAt}`);
    const first = await riffle(dir, ['--workers', '2', '--checkpoint-dir', join(dir, 'c'), '--checkpoint-interval', '100ms'], { signal: 'SIGKILL', afterCheckpoint: 2 });
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
