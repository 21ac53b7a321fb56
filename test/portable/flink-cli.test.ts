// `riffle run <pipeline.ts> --runner=flink --flink-master='[local]'`, exactly as the acceptance checks type it: the
// CLI fetches (cached) and starts Beam's Flink job server, Flink starts `riffle harness` (PROCESS environment), the
// job states are printed, exit 0 on DONE with the embedded engine's output; a step the harness refuses exits 1
// naming it. Needs Java 17 and Maven: run by .ci/tiers/portable-flink.sh (RIFFLE_PORTABLE_FLINK=1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const enabled = process.env.RIFFLE_PORTABLE_FLINK === '1';
const skip = !enabled && 'set RIFFLE_PORTABLE_FLINK=1 (.ci/tiers/portable-flink.sh)';
const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = 'test/portable/fixtures/events-pipeline.ts';

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').sort() : []);

function riffle(args: string[]) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/riffle.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

test("riffle run --runner=flink --flink-master='[local]' runs the pipeline on Flink with the embedded engine's output", { skip, timeout: 300_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'riffle-flink-cli-'));
  try {
    const local = riffle(['run', FIXTURE, `--output=${join(tmp, 'local.jsonl')}`, '--no-progress']);
    assert.equal(local.status, 0, local.stderr);
    const flink = riffle(['run', FIXTURE, `--output=${join(tmp, 'flink.jsonl')}`, '--runner=flink', '--flink-master=[local]']);
    console.log(`riffle run --runner=flink: exit ${flink.status} in ${flink.ms} ms\n${flink.stderr.trim()}`);
    assert.equal(flink.status, 0, flink.stderr);
    assert.match(flink.stderr, /flink: RUNNING/);
    assert.match(flink.stderr, /flink: DONE/);
    assert.match(flink.stdout, /DONE/);
    const expected = lines(join(tmp, 'local.jsonl'));
    assert.ok(expected.length > 50);
    assert.deepEqual(lines(join(tmp, 'flink.jsonl')), expected);
    // The step table (elements in/out, errors per step) from the harness's MonitoringInfos read through the Job API.
    const table = (out: string) => out.split('\n').filter((l) => /^(ReadEvents|Project|AddTax|Paid|WriteLines)\s+(read|map|flatMap|filter|parDo)\s+\d/.test(l)).map((l) => l.trim().split(/\s+/).join(' '));
    assert.deepEqual(table(flink.stdout), table(local.stdout));
    assert.ok(table(flink.stdout).includes('Paid filter 331 70 0 0'), flink.stdout);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a stateful DoFn (value and bag state, onWindowExpiration) on Flink writes what the embedded engine writes', { skip, timeout: 300_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'riffle-flink-cli-'));
  try {
    const local = riffle(['run', FIXTURE, `--output=${join(tmp, 'local.jsonl')}`, '--stateful', '--no-progress']);
    assert.equal(local.status, 0, local.stderr);
    const flink = riffle(['run', FIXTURE, `--output=${join(tmp, 'flink.jsonl')}`, '--stateful', '--runner=flink', '--flink-master=[local]', '--no-progress']);
    console.log(`riffle run --stateful --runner=flink: exit ${flink.status} in ${flink.ms} ms`);
    assert.equal(flink.status, 0, flink.stderr);
    const expected = lines(join(tmp, 'local.jsonl'));
    assert.ok(expected.length > 50);
    assert.ok(expected.every((l) => /"n":\d+/.test(l)), 'every line carries its country\'s count');
    assert.deepEqual(lines(join(tmp, 'flink.jsonl')), expected);
    const table = (out: string) => out.split('\n').filter((l) => /^(KeyByCountry|NumberPerCountry|WriteLines)\s+(read|map|flatMap|filter|parDo)\s+\d/.test(l)).map((l) => l.trim().split(/\s+/).join(' '));
    assert.deepEqual(table(flink.stdout), table(local.stdout));
    assert.ok(table(flink.stdout).includes('NumberPerCountry parDo 70 70 0 0'), flink.stdout);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
