// Prometheus (Debian's package, installed by .ci/tiers/server.sh when missing) scrapes riffle server's /metrics every
// second, and a PromQL query over its HTTP API returns a finished job's counters: the elements out of its Double step
// (quick.ts: 10) and the job count by state. `honor_labels: true` keeps the metrics' own `job` label (the job id),
// which Prometheus would otherwise rename to `exported_job` under its scrape job's name. Runs under
// RIFFLE_INTEGRATION=1 (the tier); skipped otherwise.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { call, makeProject, startTestServer, waitFor } from '../../../src/server/fixtures/test-server.ts';

const prometheus = process.env.RIFFLE_PROMETHEUS ?? '/usr/bin/prometheus';
const skip = process.env.RIFFLE_INTEGRATION !== '1' ? 'runs in the server tier (.ci/tiers/server.sh, RIFFLE_INTEGRATION=1)' : false;

/** A free loopback port (bound and released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

type Vector = { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };

test('Prometheus scrapes /metrics and a query returns the job’s counters', { skip, timeout: 120_000 }, async () => {
  assert.ok(existsSync(prometheus), `prometheus is missing at ${prometheus}: run .ci/tiers/server.sh (it installs Debian's prometheus)`);
  const { project, dir, cleanup } = makeProject('server-prometheus');
  const work = mkdtempSync(join(tmpdir(), 'riffle-prometheus-'));
  const server = await startTestServer(project, dir);
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const job = await call<{ id: string }>(server, 'POST', '/api/jobs', { body: { pipeline: 'quick.ts', params: { output: 'out/prom' } } });
    assert.equal(job.status, 201, job.text);
    await waitFor(async () => ((await call<{ state: string }>(server, 'GET', `/api/jobs/${job.body.id}`)).body.state === 'succeeded' ? true : undefined), 60_000, 'the job to succeed');
    const port = await freePort();
    writeFileSync(join(work, 'prometheus.yml'), [
      'global:', '  scrape_interval: 1s', '  evaluation_interval: 1s',
      'scrape_configs:', '  - job_name: riffle', '    honor_labels: true', '    metrics_path: /metrics',
      '    static_configs:', `      - targets: ['127.0.0.1:${server.port}']`, '',
    ].join('\n'));
    let log = '';
    child = spawn(prometheus, [`--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    const query = async (q: string): Promise<Vector['data']['result']> => {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => undefined);
      if (r === undefined || !r.ok) return [];
      const body = (await r.json()) as Vector;
      return body.status === 'success' ? body.data.result : [];
    };
    const out = await waitFor(async () => {
      if (child!.exitCode !== null) throw new Error(`prometheus exited (${child!.exitCode}):\n${log.slice(-2000)}`);
      const r = await query(`riffle_job_elements_total{job="${job.body.id}",step="Double",direction="out"}`);
      return r.length > 0 ? r : undefined;
    }, 60_000, 'Prometheus to scrape the job counters');
    assert.equal(out.length, 1);
    assert.equal(out[0]!.value[1], '10');
    assert.equal(out[0]!.metric.direction, 'out');
    const succeeded = await query('riffle_jobs{state="succeeded"}');
    assert.equal(succeeded[0]?.value[1], '1');
    const up = await query('up{job="riffle"}');
    assert.equal(up[0]?.value[1], '1', 'the scrape target is up');
    console.log(`prometheus scraped ${server.url}metrics: riffle_job_elements_total{job="${job.body.id}",step="Double",direction="out"} = ${out[0]!.value[1]}`);
  } finally {
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await server.close();
    cleanup();
    rmSync(work, { recursive: true, force: true });
  }
});
