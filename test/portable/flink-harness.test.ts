// Riffle's SDK harness runs bundles on Flink: a translated Riffle pipeline (test/portable/fixtures/events-pipeline.ts:
// the sample events CSV read through the splittable read → map → flatMap → filter → a ParDo appending JSON lines) runs
// on Beam's Flink job server ([local]) with the harness started by Flink (PROCESS environment) or by Riffle's worker
// pool (EXTERNAL), and writes the same lines as the embedded engine; with a side input on the writer (read through the
// state API) too. A step the harness cannot run (a declared coder it cannot resolve yet) fails the job with an error naming it. Needs Java 17 and Maven: run by .ci/tiers/portable-flink.sh
// (RIFFLE_PORTABLE_FLINK=1); skipped otherwise.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalRunner, Pipeline } from '../../src/index.ts';
import { JobClient, jobStateName, startFlinkJobServer, startWorkerPool, translatePipeline, type HarnessEnvironment, type JobServer } from '../../src/runner/portable/index.ts';
import fixture from './fixtures/events-pipeline.ts';

const enabled = process.env.RIFFLE_PORTABLE_FLINK === '1';
const skip = !enabled && 'set RIFFLE_PORTABLE_FLINK=1 (.ci/tiers/portable-flink.sh)';
const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(import.meta.dirname, 'fixtures/events-pipeline.ts');
const INPUT = join(ROOT, 'examples/data/events.csv');
const tmp = mkdtempSync(join(tmpdir(), 'riffle-flink-harness-'));
let server: JobServer;
let jobs: JobClient;
let expected: string[];

async function embedded(output: string): Promise<string[]> {
  const p = Pipeline.create();
  await fixture.build(p, { input: INPUT, output, sideInput: false, stateful: false, declaredCoder: false });
  assert.equal((await new LocalRunner().run(p.graph, {})).state, 'DONE');
  return lines(output);
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').sort() : []);

before(async () => {
  if (!enabled) return;
  expected = await embedded(join(tmp, 'embedded.jsonl'));
  server = await startFlinkJobServer({ flinkMaster: '[local]' });
  jobs = new JobClient(server.jobEndpoint);
});

after(async () => {
  jobs?.close();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function translated(environment: HarnessEnvironment, params: Record<string, unknown>) {
  const p = Pipeline.create();
  await fixture.build(p, params as never);
  return translatePipeline(p.graph, { pipeline: { module: FIXTURE, params }, environment, files: [{ path: FIXTURE, stagedName: 'events-pipeline.ts' }] }).pipeline;
}

/** A PROCESS environment's command: the harness, with its stderr kept in `log` (Beam discards it otherwise). */
function harnessCommand(log: string): string {
  const command = join(tmp, 'riffle-harness.sh');
  writeFileSync(command, `#!/bin/sh\ncd '${ROOT}' && exec '${process.execPath}' --import tsx src/runner/portable/harness-main.ts "$@" 2>>'${log}'\n`);
  chmodSync(command, 0o755);
  return command;
}

async function run(environment: HarnessEnvironment, params: Record<string, unknown>, name: string) {
  const started = Date.now();
  const job = await jobs.submit(await translated(environment, params), { jobName: name, options: { parallelism: 1 }, files: [FIXTURE] });
  const messages: string[] = [];
  const events = (async () => {
    for await (const e of job.events()) if (e.kind === 'message') messages.push(e.message.messageText);
  })().catch(() => undefined);
  const seen: string[] = [];
  const final = jobStateName(await job.waitUntilFinish((s) => seen.push(jobStateName(s))));
  await Promise.race([events, new Promise((r) => setTimeout(r, 5_000))]);
  console.log(`${name}: ${seen.join(' → ')} in ${Date.now() - started} ms`);
  return { final, messages, ms: Date.now() - started };
}

test('a Riffle pipeline runs on Flink through the harness (PROCESS environment) with the embedded engine\'s output', { skip, timeout: 240_000 }, async () => {
  const log = join(tmp, 'harness.log');
  const output = join(tmp, 'flink-process.jsonl');
  const { final } = await run({ kind: 'process', command: harnessCommand(log) }, { input: INPUT, output, sideInput: false, stateful: false, declaredCoder: false }, 'riffle-harness-process');
  const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
  console.log(`the harness logged:\n${text.trim().split('\n').slice(-8).join('\n')}`);
  assert.equal(final, 'DONE');
  const got = lines(output);
  const same = got.filter((l, i) => l === expected[i]).length;
  console.log(`${expected.length} lines expected: ${same} equal, ${Math.max(got.length, expected.length) - same} different`);
  assert.ok(expected.length > 50, 'the fixture writes lines');
  assert.deepEqual(got, expected);
  assert.match(text, /connected to the control service/);
  // Its log also went to the runner through the Fn API logging service.
  assert.ok(server.recentLog().some((l) => l.includes('connected to the control service')), "the job server's log has the harness's lines");
});

test('the same pipeline through an EXTERNAL environment (Riffle\'s worker pool) writes the same lines, also with a side input', { skip, timeout: 240_000 }, async () => {
  const pool = await startWorkerPool({ log: () => undefined });
  try {
    const output = join(tmp, 'flink-external.jsonl');
    const { final } = await run({ kind: 'external', url: pool.endpoint }, { input: INPUT, output, sideInput: false, stateful: false, declaredCoder: false }, 'riffle-harness-external');
    assert.equal(final, 'DONE');
    assert.deepEqual(lines(output), expected);
    // The writer with a singleton side input: read through the runner's state API, the same lines.
    const withSide = join(tmp, 'flink-side-input.jsonl');
    assert.equal((await run({ kind: 'external', url: pool.endpoint }, { input: INPUT, output: withSide, sideInput: true, stateful: false, declaredCoder: false }, 'riffle-harness-side-input')).final, 'DONE');
    assert.deepEqual(lines(withSide), expected);
  } finally {
    await pool.stop();
  }
});

test('a step the harness cannot run fails the job with an error naming it', { skip, timeout: 240_000 }, async () => {
  const log = join(tmp, 'harness-refusal.log');
  const output = join(tmp, 'flink-refused.jsonl');
  const { final, messages, ms } = await run({ kind: 'process', command: harnessCommand(log) }, { input: INPUT, output, sideInput: false, stateful: false, declaredCoder: true }, 'riffle-harness-refusal');
  assert.equal(final, 'FAILED');
  // Fails at once, not after Beam's 3-minute wait for a data connection (the harness connects before it refuses).
  // (under a heavily loaded machine the whole job takes up to ~100 s; Beam's wait alone would be 180 s)
  assert.ok(ms < 170_000, `the job failed after ${ms} ms`);
  const said = [...messages, ...server.recentLog(), existsSync(log) ? readFileSync(log, 'utf8') : ''].join('\n');
  const line = said.split('\n').find((l) => l.includes("cannot use a declared coder yet (collection 'KeyPaid"));
  console.log(`refused: ${line?.trim()}`);
  assert.ok(line !== undefined, 'the error names the collection and why');
});
