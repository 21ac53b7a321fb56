/**
 * `npm run bench:server`: a bounded load test of `riffle server`: C concurrent API clients (default 200) each send
 * `GET /api/jobs` (with a viewer's bearer token) back to back for D seconds (default 60) over keep-alive
 * connections on loopback; the server runs as `riffle server` in its own process, over a directory seeded with J
 * finished job records (default 100, so that every answer lists them: about 60 KB of JSON). Prints requests per
 * second, latency percentiles (p50, p90, p99, max) and errors (non-200 answers and connection errors), and the
 * server's CPU seconds and peak RSS.
 *
 *   node --import tsx bench/server.ts [--clients 200] [--duration 60] [--jobs 100] [--json]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const value = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!(Number.isInteger(v) && v > 0)) throw new Error(`--${name} takes a whole number > 0 (got '${args[i + 1]}')`);
  return v;
};
const CLIENTS = value('clients', 200);
const DURATION_S = value('duration', 60);
const JOBS = value('jobs', 100);
const JSON_OUT = args.includes('--json');

/** Finished job records, as the server writes them (jobs/<id>/job.json). */
function seedJobs(dir: string): void {
  for (let i = 0; i < JOBS; i++) {
    const id = `job-20261207T000000Z-${i.toString(16).padStart(6, '0')}`;
    mkdirSync(join(dir, 'jobs', id), { recursive: true });
    const at = new Date(Date.UTC(2026, 11, 7, 0, 0, i)).toISOString();
    writeFileSync(join(dir, 'jobs', id, 'job.json'), JSON.stringify({
      id, pipeline: 'examples/quickstart.ts', params: { output: `out/q${i}` }, state: i % 10 === 0 ? 'failed' : 'succeeded', submittedBy: 'tok_bench', createdAt: at, startedAt: at, endedAt: at,
      pid: null, exitCode: i % 10 === 0 ? 1 : 0, signal: null, reason: i % 10 === 0 ? 'a step failed' : null, cancelRequestedAt: null, drainRequestedAt: null,
      counts: { elementsRead: 296, elementsProcessed: 640, deadLetters: 5 },
    }));
  }
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The server's CPU seconds and peak RSS (MiB) from /proc (Linux). */
function processFigures(pid: number): { cpuSeconds: number; peakRssMiB: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(stat[11]) + Number(stat[12]);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuSeconds: ticks / 100, peakRssMiB: hwm ? Number(hwm[1]) / 1024 : NaN };
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-bench-server-'));
  seedJobs(dir);
  const token = `bench-${Math.random().toString(36).slice(2)}`;
  const server = spawn(process.execPath, [join(root, 'bin/riffle.js'), 'server', '--port', '0', '--dir', dir, '--json'], { cwd: root, env: { ...process.env, RIFFLE_ADMIN_TOKEN: token }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      server.once('exit', (code) => reject(new Error(`riffle server exited with ${code}`)));
      createInterface({ input: server.stdout! }).once('line', resolve);
    });
    const url = new URL((JSON.parse(line) as { url: string }).url);
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const get = (): Promise<number> =>
      new Promise((resolve) => {
        const req = request({ host: url.hostname, port: url.port, path: '/api/jobs', agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
          res.once('error', () => resolve(0));
        });
        req.once('error', () => resolve(0));
        req.end();
      });
    // A check that the answer lists the seeded jobs, then the warm-up (1 s, not measured).
    const check = await fetch(new URL('/api/jobs', url), { headers: { authorization: `Bearer ${token}` } });
    const listed = ((await check.json()) as { jobs: unknown[] }).jobs.length;
    if (listed !== JOBS) throw new Error(`the server lists ${listed} jobs, not ${JOBS}`);
    const warmUntil = performance.now() + 1000;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < warmUntil) await get();
    }));

    const before = processFigures(server.pid!);
    const latencies: number[] = [];
    let errors = 0;
    const started = performance.now();
    const until = started + DURATION_S * 1000;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        const status = await get();
        latencies.push(performance.now() - t);
        if (status !== 200) errors++;
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const after = processFigures(server.pid!);
    agent.destroy();
    const sorted = Float64Array.from(latencies).sort();
    const result = {
      clients: CLIENTS, durationSeconds: Number(seconds.toFixed(1)), jobsListed: JOBS, requests: latencies.length, errors,
      requestsPerSecond: Math.round(latencies.length / seconds),
      latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN },
      server: before && after ? { cpuSeconds: Number((after.cpuSeconds - before.cpuSeconds).toFixed(1)), peakRssMiB: Math.round(after.peakRssMiB) } : null,
    };
    if (JSON_OUT) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    console.log(`riffle server: GET /api/jobs (${JOBS} jobs listed), ${CLIENTS} concurrent clients, ${result.durationSeconds} s, loopback`);
    console.log(`  requests      ${result.requests} (${result.requestsPerSecond}/s)`);
    console.log(`  errors        ${errors}`);
    console.log(`  latency       p50 ${ms(result.latencyMs.p50)}  p90 ${ms(result.latencyMs.p90)}  p99 ${ms(result.latencyMs.p99)}  max ${ms(result.latencyMs.max)}`);
    if (result.server) console.log(`  server        ${result.server.cpuSeconds} CPU s, peak RSS ${result.server.peakRssMiB} MiB`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
