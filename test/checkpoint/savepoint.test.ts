// Savepoints and drain through `riffle run` (issue 14): SIGUSR1 stops a job on 2 workers with a savepoint (exit 0);
// --from-savepoint continues it on 3 workers with the same output as an uninterrupted run; a pipeline whose stateful
// step was renamed is refused naming the step, and runs with --allow-non-restored-state (the renamed step starts
// empty); SIGUSR2 drains a job (in one thread and on 2 workers): exit 0, and everything read reached both outputs.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { committed, runFixture, uninterrupted } from './rescale-runs.ts';

const base = mkdtempSync(join(tmpdir(), 'riffle-savepoint-'));
after(() => rmSync(base, { recursive: true, force: true }));

const riffle = runFixture;
const expected = (): Promise<string[]> => uninterrupted(base);

const checkpoints = (dir: string) => ['--checkpoint-dir', join(dir, 'c'), '--checkpoint-interval', '100ms'];

describe('savepoints and drain', { concurrency: true }, () => {
  test('SIGUSR1 stops with a savepoint; --from-savepoint on 3 workers gives the uninterrupted output; a renamed stateful step is refused unless --allow-non-restored-state', async () => {
    const dir = join(base, 'stop');
    const sp = join(dir, 'sp');
    const first = await riffle(dir, ['--workers', '2', ...checkpoints(dir), '--savepoint-dir', sp], { signal: 'SIGUSR1' });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /SIGUSR1: stopping the job with a savepoint/);
    assert.match(first.stderr, /savepoint \d+ written to .*chk-\d+; the job stops/);
    const saved = readdirSync(sp).filter((f) => f.startsWith('chk-'));
    assert.equal(saved.length, 1);
    assert.ok(existsSync(join(sp, saved[0]!, '_metadata')));
    // The changed pipeline gets a copy of the output so far (what the savepoint committed).
    const changed = join(base, 'changed');
    cpSync(join(dir, 'out'), join(changed, 'out'), { recursive: true });
    const [resumed, refused] = await Promise.all([
      riffle(dir, ['--workers', '3', '--from-savepoint', sp]),
      riffle(changed, ['--workers', '2', '--from-savepoint', sp, '--totalsName=Totals2']),
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming from savepoint \d+/);
    assert.deepEqual(committed(dir), await expected());
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /holds state of step 'RunningTotals', which this pipeline no longer has/);
    assert.match(refused.stderr, /--allow-non-restored-state/);
    const allowed = await riffle(changed, ['--workers', '2', '--from-savepoint', sp, '--totalsName=Totals2', '--allow-non-restored-state']);
    assert.equal(allowed.code, 0, allowed.stderr);
    // The windowed sums were restored (same as uninterrupted); the renamed step started empty: fewer elements counted.
    assert.deepEqual(committed(changed, 'sums'), (await expected()).filter((l) => l.startsWith('sums')));
    const counted = committed(changed, 'totals').filter((l) => l.includes('total k')).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    assert.ok(counted > 0 && counted < 4000, `the renamed step counted ${counted} of 4000 elements`);
  });

  // npm test drains on 2 workers; the checkpoint-kill tier (RIFFLE_CHECKPOINT_FULL=1) in one thread as well.
  for (const workers of process.env.RIFFLE_CHECKPOINT_FULL === '1' ? [1, 2] : [2]) {
    test(`SIGUSR2 drains a run on ${workers} worker${workers === 1 ? '' : 's'}: exit 0, every window fired, everything read reached both outputs`, async () => {
      const dir = join(base, `drain-${workers}`);
      const r = await riffle(dir, ['--workers', String(workers), ...checkpoints(dir), '--json'], { signal: 'SIGUSR2' });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /SIGUSR2: draining the job/);
      const report = JSON.parse(r.stdout) as { state: string; metrics: { steps: Array<{ step: string; elementsOut: number }> } };
      assert.equal(report.state, 'DONE');
      const read = report.metrics.steps.find((s) => s.step === 'Read')!.elementsOut;
      assert.ok(read > 0 && read < 4000, `read ${read} of 4000 before the drain`);
      const lines = committed(dir);
      const sumOf = (prefix: string, at: number) => lines.filter((l) => l.startsWith(prefix)).reduce((n, l) => n + Number(l.split(' ')[at]), 0);
      // Totals fire at the end of time (the drain's watermark): each key's count of what was read.
      assert.equal(sumOf('totals', 4), read);
      assert.equal(sumOf('totals', 3), sumOf('sums', 3));
    });
  }
});
