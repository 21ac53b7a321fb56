// End-to-end: `riffle dag test daily-etl 2024-01-01 --dags examples/dags` through the real CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'riffle-daily-etl-'));
after(() => rmSync(work, { recursive: true, force: true }));

function dagTest(...extra: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'dag', 'test', 'daily-etl', '2024-01-01', '--dags', 'examples/dags', `--workDir=${work}`, ...extra], { cwd: ROOT, encoding: 'utf8' });
  const states = Object.fromEntries([...r.stdout.matchAll(/^([\w.]+)\s+(success|failed|skipped|upstream_failed)\s/gm)].map((m) => [m[1], m[2]]));
  return { status: r.status, states, stdout: r.stdout, stderr: r.stderr };
}

describe('examples/dags/daily-etl.ts', () => {
  it('runs the small-volume path and succeeds', () => {
    const r = dagTest();
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.deepEqual(r.states, {
      wait_for_file: 'success', validate: 'success', choose_path: 'success', load_direct: 'success', load_in_chunks: 'skipped', join: 'success', aggregate: 'success',
      'checks.aggregates_written': 'success', 'checks.row_count': 'success', 'checks.only_refunds_negative': 'success', summary: 'success', cleanup: 'success',
    });
    assert.deepEqual(JSON.parse(readFileSync(join(work, '2024-01-01/metrics.json'), 'utf8')), { ds: '2024-01-01', rows: 296, invalid: 5, errorRate: 0.0166 });
    assert.ok(existsSync(join(work, '2024-01-01/aggregates')), 'the pipeline task wrote its output');
    assert.match(r.stdout, /dag daily-etl, logical date 2024-01-01: success/);
  });

  it('fails without retry above the error-rate threshold, and still cleans up', () => {
    const r = dagTest('--errorRateThreshold=0.01', '--bigVolume=100');
    assert.equal(r.status, 1);
    assert.equal(r.states.validate, 'failed');
    assert.equal(r.states.load_direct, 'upstream_failed');
    assert.equal(r.states.cleanup, 'success');
    assert.match(r.stdout, /error rate 1\.66% is above the threshold of 1%/);
  });
});
