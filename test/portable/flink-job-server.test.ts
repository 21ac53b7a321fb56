// Beam's Flink job server from Maven Central's jars, driven through Riffle's Job API client: a translated Riffle
// pipeline is prepared, its module staged as an artifact, run on Flink's embedded cluster ([local]), and followed
// through the state and message streams: with a missing harness command the job FAILS where Flink starts it (Flink
// says so); a job waiting for its harness is cancelled. The harness running bundles: flink-harness.test.ts.
// Needs Java 17 and Maven: run by .ci/tiers/portable-flink.sh (RIFFLE_PORTABLE_FLINK=1); skipped otherwise.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, Pipeline } from '../../src/index.ts';
import { translatePipeline, type HarnessEnvironment } from '../../src/runner/portable/index.ts';
import { JobClient, jobStateName, startFlinkJobServer, type JobServer } from '../../src/runner/portable/index.ts';
import { JobState_Enum } from '../../src/runner/portable/gen/job_management/v1/beam_job_api_pb.ts';

const enabled = process.env.RIFFLE_PORTABLE_FLINK === '1';
const MODULE = import.meta.filename;
let server: JobServer;
let jobs: JobClient;
const tmp = mkdtempSync(join(tmpdir(), 'riffle-portable-flink-'));

before(async () => {
  if (!enabled) return;
  server = await startFlinkJobServer({ flinkMaster: '[local]' });
  console.log(`job server: jars fetched in ${server.fetchMs} ms (0: cached), Job API listening after ${server.startMs} ms on ${server.jobEndpoint}`);
  jobs = new JobClient(server.jobEndpoint);
});

after(async () => {
  jobs?.close();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function doublingPipeline(environment: HarnessEnvironment) {
  const p = Pipeline.create();
  p.apply('Numbers', create([1, 2, 3])).map((x: number) => x * 2, 'Double');
  return translatePipeline(p.graph, { pipeline: { module: 'pipeline.ts', params: {} }, environment, files: [{ path: MODULE, stagedName: 'pipeline.ts' }] }).pipeline;
}

async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

test('a translated pipeline is staged, run on Flink and fails where Flink starts the (missing) harness', { skip: !enabled && 'set RIFFLE_PORTABLE_FLINK=1 (.ci/tiers/portable-flink.sh)', timeout: 240_000 }, async () => {
  const harness = join(tmp, 'no-such-riffle-harness');
  const started = Date.now();
  const job = await jobs.submit(doublingPipeline({ kind: 'process', command: harness }), { jobName: 'riffle-double', options: { parallelism: 1 }, files: [MODULE] });
  console.log(`submitted ${job.jobId} in ${Date.now() - started} ms; staged ${job.staging.files} file(s), ${job.staging.bytes} bytes`);
  assert.deepEqual(job.staging, { files: 1, bytes: statSync(MODULE).size });
  const messages: string[] = [];
  const seen: string[] = [];
  const events = (async () => {
    for await (const e of job.events()) if (e.kind === 'message') messages.push(e.message.messageText);
  })();
  const final = await within(180_000, 'the job', job.waitUntilFinish((s) => seen.push(jobStateName(s))));
  await within(10_000, 'the message stream', events).catch(() => undefined);
  console.log(`states: ${seen.join(' → ')} after ${Date.now() - started} ms`);
  const said = [...messages, ...server.recentLog()].flatMap((m) => m.split('\n')).find((l) => l.includes('Cannot run program'));
  console.log(`Flink says: ${said?.trim() ?? '(nothing about the harness)'}`);
  assert.equal(jobStateName(final), 'FAILED');
  assert.ok(seen.includes('RUNNING'), 'Flink ran the job before it failed');
  assert.ok(
    messages.some((m) => m.includes(`Cannot run program "${harness}"`)) || server.recentLog().some((l) => l.includes(`Cannot run program "${harness}"`)),
    'Flink reports that it could not start the harness',
  );
});

test('a running job is cancelled', { skip: !enabled && 'set RIFFLE_PORTABLE_FLINK=1 (.ci/tiers/portable-flink.sh)', timeout: 240_000 }, async () => {
  // A "harness" that starts and never connects: Flink waits for it, so the job stays RUNNING until cancelled.
  const waiting = join(tmp, 'waiting-harness.sh');
  writeFileSync(waiting, '#!/bin/sh\nsleep 90\n');
  chmodSync(waiting, 0o755);
  const job = await jobs.submit(doublingPipeline({ kind: 'process', command: waiting }), { jobName: 'riffle-cancel', options: { parallelism: 1 }, files: [MODULE] });
  for await (const s of job.states()) if (s === JobState_Enum.RUNNING) break;
  const started = Date.now();
  await job.cancel();
  const final = await within(120_000, 'the cancellation', job.waitUntilFinish());
  console.log(`cancelled: ${jobStateName(final)} after ${Date.now() - started} ms`);
  assert.equal(jobStateName(final), 'CANCELLED');
});
