// riffle server jobs: a real job submitted → succeeded with its output, graph, logs and metrics; a parameter error
// refused before the job starts (400 with the key); cancel and drain; and a restart after the server was killed
// (SIGKILL) while a job ran: the job is listed failed ("lost"), the finished ones with their final state.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { ADMIN, call, makeProject, startTestServer, waitFor } from './fixtures/test-server.ts';
import type { JobRecord } from './job-record.ts';
import type { RiffleServer } from './riffle-server.ts';
import { RIFFLE_BIN } from './riffle-child.ts';

const { project, dir, cleanup } = makeProject('server-jobs');
let server: RiffleServer;
before(async () => {
  server = await startTestServer(project, dir);
});
after(async () => {
  await server.close();
  cleanup();
});

type ErrorBody = { error: { code: string; message: string; key?: string | null; expected?: string | null; file?: string | null } };
const ended = (s: RiffleServer, id: string) =>
  waitFor(async () => {
    const r = await call<JobRecord>(s, 'GET', `/api/jobs/${id}`);
    return ['succeeded', 'failed', 'cancelled'].includes(r.body.state) ? r.body : undefined;
  }, 45_000, `job ${id} to end`);

describe('riffle server jobs', () => {
  it('runs a submitted pipeline to success: output files, graph with per-step metrics, logs, metrics', async () => {
    const r = await call<JobRecord>(server, 'POST', '/api/jobs', { body: { pipeline: 'quick.ts', params: { output: 'out/quick', n: 25 } } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.state, 'running');
    assert.equal(r.body.pipeline, 'quick.ts');
    assert.ok(r.body.startedAt !== null && r.body.submittedBy?.startsWith('tok_env_'));
    const job = await ended(server, r.body.id);
    assert.deepEqual([job.state, job.exitCode, job.reason], ['succeeded', 0, null], JSON.stringify(job));
    const files = readdirSync(join(project, 'out/quick')).filter((f) => f.endsWith('.jsonl'));
    const lines = files.flatMap((f) => readFileSync(join(project, 'out/quick', f), 'utf8').trim().split('\n'));
    assert.equal(lines.length, 25);
    assert.deepEqual(JSON.parse(lines.find((l) => l.includes('"x":7'))!), { x: 7, y: 14 });

    const graph = await call<{ steps: Array<{ name: string; kind: string; metrics: { elementsIn: number; elementsOut: number } | null }>; edges: Array<{ from: string; to: string }>; result: { state: string } }>(server, 'GET', `/api/jobs/${job.id}/graph`);
    assert.equal(graph.status, 200);
    const double = graph.body.steps.find((s) => s.name === 'Double');
    assert.deepEqual([double?.kind, double?.metrics?.elementsIn, double?.metrics?.elementsOut], ['map', 25, 25]);
    assert.ok(graph.body.edges.some((e) => e.to === 'Double'), 'an edge into Double');
    assert.ok(graph.body.edges.some((e) => e.from === 'Double' && e.to.startsWith('Write/')), 'an edge out of Double');
    assert.equal(graph.body.result.state, 'DONE');

    const logs = await call<{ text: string; complete: boolean; nextOffset: number; size: number }>(server, 'GET', `/api/jobs/${job.id}/logs?limit=5`);
    assert.deepEqual([logs.status, logs.body.complete, logs.body.nextOffset <= 5], [200, true, true]);
    const metrics = await call(server, 'GET', '/metrics', { token: null });
    assert.match(metrics.text, new RegExp(`^riffle_job_elements_total\\{job="${job.id}",step="Double",direction="out"\\} 25$`, 'm'));
    assert.match(metrics.text, /^riffle_jobs\{state="succeeded"\} 1$/m);
    const lineage = await call<{ events: Array<{ eventType: string; run: { runId: string }; job: { namespace: string; name: string }; outputs: Array<{ namespace: string; name: string }> }> }>(server, 'GET', `/api/lineage?job=${job.id}`);
    assert.deepEqual(lineage.body.events.map((e) => e.eventType), ['START', 'COMPLETE']);
    assert.equal(new Set(lineage.body.events.map((e) => e.run.runId)).size, 1);
    assert.deepEqual(lineage.body.events[1]!.job, { namespace: 'riffle', name: 'quick.ts', facets: {} });
    assert.deepEqual(lineage.body.events[1]!.outputs.map((d) => [d.namespace, d.name]), [['file', join(project, 'out/quick/part')]]);
    const list = await call<{ jobs: JobRecord[] }>(server, 'GET', '/api/jobs?state=succeeded');
    assert.deepEqual(list.body.jobs.map((j) => j.id), [job.id]);
    assert.equal((await call<ErrorBody>(server, 'POST', `/api/jobs/${job.id}/cancel`)).body.error.code, 'JOB_ENDED');
    assert.equal((await call(server, 'POST', `/api/jobs/${job.id}/drain`)).status, 409);
  });

  it("describes a template's parameters, and refuses a module that is not a pipeline", async () => {
    const r = await call<{ pipeline: string; description: string; params: Array<{ name: string; type: string; default: unknown; required: boolean }> }>(server, 'GET', '/api/templates/describe?pipeline=quick.ts');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.pipeline, r.body.description], ['quick.ts', 'doubles 0..n-1 into JSON Lines']);
    assert.deepEqual(r.body.params.map((p) => [p.name, p.type, p.default, p.required]), [['output', 'string', null, true], ['n', 'integer', 10, false]]);
    const notPipeline = await call<ErrorBody>(server, 'GET', '/api/templates/describe?pipeline=dags/demo.ts');
    assert.deepEqual([notPipeline.status, notPipeline.body.error.file, notPipeline.body.error.key], [400, 'dags/demo.ts', 'pipeline']);
    assert.match(notPipeline.body.error.message, /is not a pipeline module/);
    assert.equal((await call(server, 'GET', '/api/templates/describe?pipeline=nope.ts')).status, 404);
  });

  it('refuses bad parameters before the job starts: 400 with the file, the key and what is expected', async () => {
    let r = await call<ErrorBody>(server, 'POST', '/api/jobs', { body: { pipeline: 'quick.ts', params: { output: 'out/x', n: 'many' } } });
    assert.equal(r.status, 400, r.text);
    assert.deepEqual([r.body.error.file, r.body.error.key], ['quick.ts', 'params.n']);
    assert.match(r.body.error.message, /parameter --n: expected an integer, got 'many'/);
    assert.match(r.body.error.expected ?? '', /--output=<string>/);
    r = await call<ErrorBody>(server, 'POST', '/api/jobs', { body: { pipeline: 'quick.ts', params: { output: 'out/x', colour: 'red' } } });
    assert.deepEqual([r.status, r.body.error.key], [400, 'params.colour']);
    const jobs = await call<{ jobs: JobRecord[] }>(server, 'GET', '/api/jobs');
    assert.ok(jobs.body.jobs.every((j) => j.pipeline !== 'quick.ts' || j.params.output !== 'out/x'), 'no record of refused submissions');
  });

  it('cancels a long job', async () => {
    const r = await call<JobRecord>(server, 'POST', '/api/jobs', { body: { pipeline: 'slow.ts', params: { elements: 1_000_000 } } });
    assert.equal(r.status, 201, r.text);
    await waitFor(async () => ((await call<{ text: string }>(server, 'GET', `/api/jobs/${r.body.id}/logs`)).body.text.includes('slow: started') ? true : undefined), 20_000, 'the job to start');
    const c = await call<JobRecord>(server, 'POST', `/api/jobs/${r.body.id}/cancel`, { token: ADMIN });
    assert.equal(c.status, 202);
    assert.ok(c.body.cancelRequestedAt !== null);
    const job = await ended(server, r.body.id);
    assert.deepEqual([job.state, job.exitCode, job.reason], ['cancelled', 143, 'cancelled through the API']);
    const lineage = await call<{ events: Array<{ eventType: string }> }>(server, 'GET', `/api/lineage?job=${job.id}`);
    assert.deepEqual(lineage.body.events.map((e) => e.eventType), ['START', 'ABORT']);
  });

  it('drains a long job: reading stops, what was read is finished, and the job succeeds', async () => {
    const r = await call<JobRecord>(server, 'POST', '/api/jobs', { body: { pipeline: 'slow.ts', params: { elements: 1_000_000 } } });
    assert.equal(r.status, 201, r.text);
    await waitFor(async () => ((await call<{ text: string }>(server, 'GET', `/api/jobs/${r.body.id}/logs`)).body.text.includes('slow: started') ? true : undefined), 20_000, 'the job to start');
    // Live step figures while it runs: the graph's Busy step, its history (two points at least), /metrics.
    type Figures = { elementsIn: number; live: boolean; watermark: string | null; inPerSecond: number | null };
    const busy = await waitFor(async () => {
      const g = await call<{ steps: Array<{ name: string; metrics: Figures | null }> }>(server, 'GET', `/api/jobs/${r.body.id}/graph`);
      const m = g.body.steps.find((s) => s.name === 'Busy')?.metrics;
      return m !== null && m !== undefined && m.elementsIn > 0 && m.inPerSecond !== null ? m : undefined;
    }, 20_000, 'live step figures');
    assert.deepEqual([busy.live, busy.watermark], [true, null]);
    const history = await call<{ job: string; steps: Array<{ step: string; points: Array<{ at: string; elementsIn: number; inPerSecond: number | null }> }> }>(server, 'GET', `/api/jobs/${r.body.id}/metrics?step=Busy`);
    assert.equal(history.status, 200, history.text);
    assert.deepEqual(history.body.steps.map((s) => s.step), ['Busy']);
    assert.ok(history.body.steps[0]!.points.length >= 2, history.text);
    assert.ok((await call(server, 'GET', `/api/jobs/${r.body.id}/metrics?limit=0`)).status === 400);
    const scrape = await call(server, 'GET', '/metrics', { token: null });
    assert.match(scrape.text, new RegExp(`^riffle_step_elements\\{job="${r.body.id}",step="Busy",direction="in"\\} [1-9]\\d*$`, 'm'));
    assert.match(scrape.text, new RegExp(`^riffle_step_throughput\\{job="${r.body.id}",step="Busy",direction="in"\\} `, 'm'));
    const d = await call<JobRecord>(server, 'POST', `/api/jobs/${r.body.id}/drain`);
    assert.deepEqual([d.status, d.body.state], [202, 'draining']);
    assert.equal((await call(server, 'POST', `/api/jobs/${r.body.id}/drain`)).status, 202, 'a second drain changes nothing');
    const job = await ended(server, r.body.id);
    assert.deepEqual([job.state, job.exitCode], ['succeeded', 0], JSON.stringify(job));
    assert.ok(job.drainRequestedAt !== null);
    assert.ok(job.counts !== null && job.counts.elementsRead > 0 && job.counts.elementsRead < 1_000_000, JSON.stringify(job.counts));
    const final = await call<{ steps: Array<{ name: string; metrics: Figures & { inputEnded: boolean } | null }> }>(server, 'GET', `/api/jobs/${r.body.id}/graph`);
    const m = final.body.steps.find((s) => s.name === 'Busy')?.metrics;
    assert.deepEqual([m?.live, m?.inputEnded, m?.elementsIn], [false, true, job.counts.elementsRead]);
    assert.doesNotMatch((await call(server, 'GET', '/metrics', { token: null })).text, new RegExp(`riffle_step_elements\\{job="${r.body.id}"`), 'series go when the job ends');
  });

  it('lists jobs with their final state after a restart; a job running when the server was killed is failed (lost)', async () => {
    const dir2 = join(dir, '..', 'server2');
    const child = spawn(process.execPath, [RIFFLE_BIN, 'server', '--port', '0', '--dir', dir2, '--project', project, '--json'], { env: { ...process.env, RIFFLE_ADMIN_TOKEN: ADMIN }, stdio: ['ignore', 'pipe', 'inherit'] });
    const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
    const { url, adminToken } = JSON.parse(first) as { url: string; adminToken: string };
    assert.match(adminToken, /^tok_env_/);
    const remote = { url } as RiffleServer;
    const done = await call<JobRecord>(remote, 'POST', '/api/jobs', { body: { pipeline: 'quick.ts', params: { output: 'out/restart' } } });
    assert.equal(done.status, 201, done.text);
    await ended(remote, done.body.id);
    const running = await call<JobRecord>(remote, 'POST', '/api/jobs', { body: { pipeline: 'slow.ts' } });
    assert.equal(running.status, 201, running.text);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    if (running.body.pid !== null) process.kill(running.body.pid, 'SIGKILL'); // the orphaned job

    const again = await startTestServer(project, dir2);
    try {
      const list = await call<{ jobs: JobRecord[] }>(again, 'GET', '/api/jobs');
      const byId = new Map(list.body.jobs.map((j) => [j.id, j]));
      assert.equal(byId.get(done.body.id)?.state, 'succeeded');
      const lost = byId.get(running.body.id)!;
      assert.equal(lost.state, 'failed');
      assert.match(lost.reason ?? '', /^lost: the server stopped while the job was running/);
      assert.ok(existsSync(join(dir2, 'jobs', running.body.id, 'job.json')));
    } finally {
      await again.close();
    }
  });
});
