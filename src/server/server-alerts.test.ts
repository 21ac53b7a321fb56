// riffle server alerts and quality routes: a rules file with a mistake stops the server (file, line, key); a failed
// job fires a job_failed alert delivered once to a webhook (a local HTTP server), listed as active and in the
// history; a quality_score_below alert from the results store; the quality routes (suites, results, one result,
// data docs index and page, a path leading out refused); every route needs a token (401); a job's dead letters
// browsed (counts, raw bytes) and replayed to a new file and through its pipeline again (403 for a viewer, audited).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { storeResult, suite, updateDataDocs, validate } from '../quality/index.ts';
import { call, makeProject, waitFor } from './fixtures/test-server.ts';
import { startRiffleServer, type RiffleServer } from './riffle-server.ts';

const { project, dir, cleanup } = makeProject('server-alerts');
const hooks: Array<{ status: string; rule: string; subject: string }> = [];
const hook = createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d));
  req.on('end', () => {
    hooks.push(JSON.parse(body) as { status: string; rule: string; subject: string });
    res.writeHead(200).end('{}');
  });
});
let server: RiffleServer;

before(async () => {
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook/secret-path`;
  const index = JSON.stringify(new URL('../index.ts', import.meta.url).href);
  writeFileSync(join(project, 'fail.ts'), `import { create, map, Pipeline } from ${index};
export default Pipeline.define({ params: {} }, (p) => { p.apply(create([1, 2])).apply(map((x: number) => { if (x > 0) throw new Error('kaput'); return x; }, 'Boom')); });
`);
  // A quality result (50%: one of two expectations fails) and its data docs page.
  const result = validate([{ id: 1 }, { id: null }], suite('orders', [{ expectation_type: 'expect_column_to_exist', kwargs: { column: 'id' } }, { expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: 'id' } }]));
  const runId = { run_name: 'nightly', run_time: '2026-12-07T10:00:00.000Z' };
  storeResult(join(project, 'quality/results'), result, runId, 'orders.csv');
  updateDataDocs(join(project, 'quality/docs'), result, runId, 'orders.csv');
  writeFileSync(join(dir, '..', 'alerts.yaml'), `interval: 200ms
channels:
  ops: { type: webhook, url: '${url}', retries: 1, backoff: 10ms }
rules:
  - { name: job-failed, kind: job_failed, severity: critical, channels: [ops] }
  - { name: quality, kind: quality_score_below, threshold: 90, severity: warning, channels: [ops] }
`);
  server = await startRiffleServer({ dir, projectDir: project, port: 0, adminToken: 'test-admin-token', version: 'test', log: () => undefined, alerts: join(dir, '..', 'alerts.yaml') });
});
after(async () => {
  await server.close();
  hook.close();
  cleanup();
});

describe('riffle server alerts', () => {
  it('refuses to start with a mistake in the rules file, naming file, line and key', async () => {
    const bad = join(dir, '..', 'bad-alerts.yaml');
    writeFileSync(bad, `rules:\n  - name: x\n    kind: job_failed\n    severity: critical\n    colour: red\n`);
    await assert.rejects(startTestServerWith(bad), (e: Error) => e.message.includes(`${bad}:5`) && /colour/.test(e.message));
  });

  it('fires job_failed once for a failed job, delivered to the webhook; quality_score_below from the results store', async () => {
    const job = await call<{ id: string }>(server, 'POST', '/api/jobs', { body: { pipeline: 'fail.ts' } });
    assert.ok(job.status === 201 || job.status === 400, job.text);
    const failedId = job.status === 201 ? job.body.id : undefined;
    assert.ok(failedId !== undefined, `the job ran: ${job.text}`);
    await waitFor(async () => (hooks.some((h) => h.rule === 'job-failed' && h.subject === failedId) ? true : undefined), 60_000, 'the job-failed notification');
    await waitFor(async () => (hooks.some((h) => h.rule === 'quality' && h.subject === 'orders') ? true : undefined), 10_000, 'the quality notification');
    await new Promise((r) => setTimeout(r, 600)); // three more evaluations: nothing new
    assert.equal(hooks.filter((h) => h.rule === 'job-failed').length, 1, JSON.stringify(hooks));
    const active = await call<{ alerts: Array<{ rule: string; subject: string; severity: string }> }>(server, 'GET', '/api/alerts/active');
    assert.deepEqual(active.body.alerts.map((a) => [a.rule, a.subject, a.severity]).sort(), [['job-failed', failedId, 'critical'], ['quality', 'orders', 'warning']]);
    const history = await call<{ alerts: Array<{ rule: string; status: string; deliveries: Array<{ ok: boolean }> }> }>(server, 'GET', '/api/alerts?status=firing&rule=job-failed');
    assert.deepEqual(history.body.alerts.map((a) => [a.rule, a.status, a.deliveries[0]?.ok]), [['job-failed', 'firing', true]]);
    const rules = await call<{ channels: Array<{ name: string; target: string }>; rules: Array<{ name: string }> }>(server, 'GET', '/api/alerts/rules');
    assert.deepEqual(rules.body.channels.map((c) => c.name), ['ops']);
    assert.doesNotMatch(rules.text, /secret-path/, 'a webhook URL is shown as its origin only');
    assert.equal((await call(server, 'GET', '/api/alerts?limit=0')).status, 400);
    for (const path of ['/api/alerts', '/api/alerts/active', '/api/alerts/rules', '/api/quality/suites']) assert.equal((await call(server, 'GET', path, { token: null })).status, 401, path);
  });

  it('serves quality results and data docs, and refuses paths that lead out', async () => {
    const suites = await call<{ suites: Array<{ suite: string; results: number; latest: { successPercent: number } }> }>(server, 'GET', '/api/quality/suites');
    assert.deepEqual(suites.body.suites.map((s) => [s.suite, s.results, s.latest.successPercent]), [['orders', 1, 50]]);
    const results = await call<{ results: Array<{ path: string; success: boolean; asset: string }> }>(server, 'GET', '/api/quality/suites/orders/results?limit=5');
    assert.deepEqual(results.body.results.map((r) => [r.asset, r.success]), [['orders.csv', false]]);
    const one = await call<{ success: boolean; results: unknown[] }>(server, 'GET', `/api/quality/result?path=${encodeURIComponent(results.body.results[0]!.path)}`);
    assert.deepEqual([one.status, one.body.success, one.body.results.length], [200, false, 2]);
    assert.equal((await call(server, 'GET', '/api/quality/result?path=../../alerts.yaml')).status, 400);
    assert.equal((await call(server, 'GET', '/api/quality/suites/nope/results')).status, 404);
    const docs = await call<{ pages: Array<{ page: string; suite: string }> }>(server, 'GET', '/api/quality/docs');
    assert.equal(docs.body.pages[0]?.suite, 'orders');
    const page = await call(server, 'GET', `/api/quality/docs/page?path=${encodeURIComponent(docs.body.pages[0]!.page)}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.text, /orders/);
    assert.equal((await call(server, 'GET', '/api/quality/docs/page?path=/etc/passwd')).status, 400);
  });
});

function startTestServerWith(alerts: string): Promise<RiffleServer> {
  return startRiffleServer({ dir: join(dir, '..', 'other'), projectDir: project, port: 0, version: 'test', log: () => undefined, alerts });
}

describe('riffle server dead letters', () => {
  it('browses a job’s rejected records and replays them to a file and through the pipeline again', async () => {
    const index = JSON.stringify(new URL('../index.ts', import.meta.url).href);
    writeFileSync(join(project, 'dlq.ts'), `import { io, Pipeline } from ${index};
export default Pipeline.define({ params: { input: 'string', output: 'string' } }, (p, { input, output }) => { p.apply('Read', io.files.readJsonl(input)).apply('Write', io.files.writeJsonl(output + '/part')); });
`);
    writeFileSync(join(project, 'in.jsonl'), '{"a":1}\n{broken\n{"a":2}\nnot json\n');
    const r = await call<{ id: string }>(server, 'POST', '/api/jobs', { body: { pipeline: 'dlq.ts', params: { input: 'in.jsonl', output: 'out/dlq' } } });
    assert.equal(r.status, 201, r.text);
    await waitFor(async () => ((await call<{ state: string }>(server, 'GET', `/api/jobs/${r.body.id}`)).body.state === 'succeeded' ? true : undefined), 60_000, 'the job');
    const dl = await call<{ count: number; byStep: Record<string, number>; byReason: Array<{ reason: string; count: number }>; records: Array<{ index: number; step: string; element: unknown; raw: string | null; origin: { line?: number } | null }> }>(server, 'GET', `/api/jobs/${r.body.id}/dead-letters`);
    assert.equal(dl.status, 200, dl.text);
    assert.equal(dl.body.count, 2, dl.text);
    assert.deepEqual(Object.values(dl.body.byStep), [2]);
    const texts = dl.body.records.map((d) => (d.raw !== null ? Buffer.from(d.raw, 'base64').toString('utf8') : String(d.element)));
    assert.deepEqual(texts, ['{broken', 'not json']);
    assert.equal((await call(server, 'GET', `/api/jobs/${r.body.id}/dead-letters?limit=0`)).status, 400);

    const viewer = await call<{ token: string }>(server, 'POST', '/api/tokens', { body: { role: 'viewer' } });
    const denied = await call(server, 'POST', `/api/jobs/${r.body.id}/dead-letters/replay`, { token: viewer.body.token, body: { output: 'replay/x.jsonl' } });
    assert.equal(denied.status, 403);
    assert.equal((await call(server, 'POST', `/api/jobs/${r.body.id}/dead-letters/replay`, { body: { output: '../escape.jsonl' } })).status, 400);
    assert.equal((await call(server, 'POST', `/api/jobs/${r.body.id}/dead-letters/replay`, { body: { output: 'replay/x.jsonl', colour: 1 } })).status, 400);
    assert.equal((await call(server, 'POST', `/api/jobs/${r.body.id}/dead-letters/replay`, { body: { output: 'replay/x.jsonl', records: [7] } })).status, 400);
    const replay = await call<{ file: string; records: number; job: { id: string; params: Record<string, string> } | null }>(server, 'POST', `/api/jobs/${r.body.id}/dead-letters/replay`, { body: { records: [1], output: 'replay/one.jsonl', resubmit: { param: 'input' } } });
    assert.equal(replay.status, 201, replay.text);
    assert.deepEqual([replay.body.file, replay.body.records, replay.body.job?.params.input, replay.body.job?.params.output], ['replay/one.jsonl', 1, 'replay/one.jsonl', 'out/dlq']);
    assert.equal((await call(server, 'POST', `/api/jobs/${r.body.id}/dead-letters/replay`, { body: { output: 'replay/one.jsonl' } })).status, 409, 'never overwritten');
    const audit = readFileSync(join(dir, 'audit.jsonl'), 'utf8');
    assert.match(audit, new RegExp(`"target":"${r.body.id} -> replay/one.jsonl -> job-[^"]+ \\(1 records\\)"`));
  });
});
