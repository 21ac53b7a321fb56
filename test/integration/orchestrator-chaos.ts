// Chaos harness for the orchestrator: `riffle scheduler` processes SIGKILLed at random points and restarted, over a
// DAG of 24 tasks with `retries: 0`, each of which sleeps a random 0.2–2 s and then appends one line to a body file.
// A scheduler's death is not a task's failure, so whatever the kills hit, every run must succeed, every task must
// have exactly one recorded success on try 1, and every task body must have completed exactly once (workers are not
// killed here: they outlive their schedulers; tasks write to the stdout and stderr pipes of schedulers that may be
// dead). Used by orchestrator-chaos.test.ts (small, in npm test) and by the
// chaos tier (.ci/tiers/orchestrator-chaos.sh: 20 kills, 3 runs).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitCodeOf } from '../../src/cli/cli-error.ts';
import type { CliIO } from '../../src/cli/cli-io.ts';
import { dagCommand } from '../../src/cli/dag-command.ts';
import { storeCommand } from '../../src/cli/store-command.ts';
import { openMetadataStore } from '../../src/orchestrator/index.ts';

const BIN = fileURLToPath(new URL('../../bin/riffle.js', import.meta.url));
const INDEX = JSON.stringify(new URL('../../src/orchestrator/index.ts', import.meta.url).href);

export interface ChaosOptions {
  /** SIGKILLs of the scheduler (each followed by a restart). */
  kills: number;
  /** DAG runs (manual, one per logical date). */
  runs: number;
  /** Tasks in the DAG, a multiple of 4 (default 24: 6 layers of 4). */
  tasks?: number;
  /** Where the store is: a directory (default: a fresh one) or a postgres:// URL. */
  store?: string;
  /** Seed of the kill times and task durations (printed, so that a failure can be replayed). */
  seed?: number;
  /**
   * A scheduler lives a random time in [minLifeMs, maxLifeMs] after it is ready (has taken the store over and made
   * its first pass) before its SIGKILL; one kill in four instead comes at a random point of its start-up. Timed
   * from readiness, not from spawn, so that the kills hit work whatever the machine's load.
   */
  minLifeMs?: number;
  maxLifeMs?: number;
  parallelism?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  kills: number;
  /** Kills that hit while at least one task attempt was running. */
  killsMidAttempt: number;
  ms: number;
  runStates: string[];
  /** Body completions per run/task. */
  bodies: Map<string, number>;
}

/** A small deterministic generator (mulberry32), so that a seed replays a run's timings. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes the chaos DAG: layers of 4 tasks, each depending on one or two tasks of the layer before. */
function writeDag(dir: string, seed: number, tasks: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'chaos.ts'), `import { appendFileSync } from 'node:fs';
import { dag } from ${INDEX};

export const chaos = dag({ id: 'chaos', schedule: null, startDate: '2024-01-01', maxActiveRuns: 16, defaultArgs: { retries: 0 } });
let s = ${seed} >>> 0;
const rand = () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const tasks = [];
for (let i = 0; i < ${tasks}; i++) {
  const id = 't' + String(i).padStart(2, '0');
  const t = chaos.task(id, async (ctx) => {
    // 0.2–2 s, different for every run and task (the run id is part of the delay).
    const h = [...(ctx.run_id + id)].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, ${seed});
    await new Promise((r) => setTimeout(r, 200 + (h % 1800)));
    // Output straight to the worker's stdout and stderr, whose reader (the scheduler) may be dead: EPIPE must not kill it.
    process.stdout.write('raw stdout ' + id + '\\n');
    process.stderr.write('raw stderr ' + id + '\\n');
    console.log('finishing', id);
    appendFileSync(process.env.RIFFLE_CHAOS_BODIES, JSON.stringify({ run: ctx.run_id, task: id, try: ctx.try_number, pid: process.pid }) + '\\n');
    return id;
  });
  if (i >= 4) {
    const layer = Math.floor(i / 4) - 1;
    const a = tasks[layer * 4 + Math.floor(rand() * 4)];
    const b = tasks[layer * 4 + Math.floor(rand() * 4)];
    a.then(t);
    if (b !== a) b.then(t);
  }
  tasks.push(t);
}
`);
}

async function cli(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  return run(dagCommand, args);
}

async function run(command: typeof dagCommand, args: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t), progress: { isTTY: false, write: () => undefined }, env: {}, cwd: process.cwd() };
  let status: number;
  try {
    status = await command(args, io);
  } catch (e) {
    err.push((e as Error).message);
    status = exitCodeOf(e);
  }
  return { status, out: out.join('\n'), err: err.join('\n') };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Attempts the store records as running (read-only: the scheduler holds the store). */
async function runningAttempts(location: string): Promise<number> {
  const meta = await openMetadataStore(location, { readOnly: true });
  try {
    return (await meta.listTaskInstances({ dagId: 'chaos', states: ['running'] })).length;
  } finally {
    await meta.close();
  }
}

/** Runs the chaos scenario (see above) and checks its outcome; returns what happened. */
export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const seed = o.seed ?? (Date.now() % 1_000_000);
  const log = o.log ?? (() => undefined);
  const rand = random(seed);
  const root = mkdtempSync(join(tmpdir(), 'riffle-chaos-'));
  const dags = join(root, 'dags');
  const store = o.store ?? join(root, 'store');
  const bodyFile = join(root, 'bodies.jsonl');
  const tasks = o.tasks ?? 24;
  writeDag(dags, seed, tasks);
  const started = Date.now();
  log(`chaos: seed ${seed}, ${o.kills} kills, ${o.runs} runs x ${tasks} tasks, in ${root}, store ${o.store ? 'postgres' : store}`);
  for (let r = 0; r < o.runs; r++) {
    const t = await cli('trigger', 'chaos', '--logical-date', `2024-01-${String(r + 1).padStart(2, '0')}`, '--dags', dags, '--store', store);
    assert.equal(t.status, 0, t.err);
  }
  const bodies = () => (existsSync(bodyFile) ? readFileSync(bodyFile, 'utf8').split('\n').filter(Boolean).length : 0);
  const schedulerArgs = ['scheduler', '--dags', dags, '--store', store, '--poll-ms', '100', '--parallelism', String(o.parallelism ?? 6)];
  const env = { ...process.env, RIFFLE_CHAOS_BODIES: bodyFile };
  let killsMidAttempt = 0;
  for (let k = 0; k < o.kills; k++) {
    const s = spawn(process.execPath, [BIN, ...schedulerArgs], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let ready = false;
    s.stderr!.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-4000);
      ready ||= /^scheduler \S+: \d+ dag/m.test(err);
    });
    const duringStart = rand() < 0.25;
    const life = duringStart ? 100 + rand() * 1500 : (o.minLifeMs ?? 0) + rand() * ((o.maxLifeMs ?? 3000) - (o.minLifeMs ?? 0));
    if (!duringStart) {
      for (let i = 0; i < 1200 && !ready && s.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, life));
    if (s.exitCode !== null) assert.fail(`scheduler ${k + 1} exited by itself (code ${s.exitCode}):\n${err}`);
    const running = await runningAttempts(store);
    s.kill('SIGKILL');
    if (running > 0) killsMidAttempt++;
    await exited(s);
    log(`kill ${k + 1}/${o.kills} ${Math.round(life)} ms after ${duringStart ? 'spawn' : 'ready'}, ${running} attempt(s) running; ${bodies()} bodies done`);
  }
  // The last scheduler runs until no run is queued or running.
  const last = spawn(process.execPath, [BIN, ...schedulerArgs, '--once', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  last.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  last.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-8000)));
  const timer = setTimeout(() => last.kill('SIGKILL'), 180_000);
  const code = await exited(last);
  clearTimeout(timer);
  assert.equal(code, 0, `the last scheduler (--once) exited with ${code}:\n${err}\n${out}`);

  // The store is readable, through the CLI and directly.
  const runs = await cli('runs', 'chaos', '--dags', dags, '--store', store, '--json');
  assert.equal(runs.status, 0, runs.err);
  const list = (JSON.parse(runs.out) as { runs: { runId: string; state: string }[] }).runs;
  assert.equal(list.length, o.runs);
  assert.deepEqual(list.map((r) => r.state), list.map(() => 'success'), `every run succeeds (seed ${seed})`);
  const meta = await openMetadataStore(store, { readOnly: true });
  const counts = new Map<string, number>();
  try {
    const tis = await meta.listTaskInstances({ dagId: 'chaos' });
    assert.equal(tis.length, o.runs * tasks);
    for (const ti of tis) {
      assert.deepEqual([ti.taskId, ti.state, ti.tryNumber], [ti.taskId, 'success', 1], `${ti.runId} ${ti.taskId}: one success, on try 1 (seed ${seed})`);
      counts.set(`${ti.runId}/${ti.taskId}`, 0);
    }
  } finally {
    await meta.close();
  }
  const lines = readFileSync(bodyFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { run: string; task: string; try: number; pid: number });
  for (const b of lines) counts.set(`${b.run}/${b.task}`, (counts.get(`${b.run}/${b.task}`) ?? 0) + 1);
  const wrong = [...counts].filter(([, n]) => n !== 1);
  assert.deepEqual(wrong, [], `every task body completed exactly once (seed ${seed})`);
  if (!o.store) {
    const check = await run(storeCommand, ['check', '--store', store]);
    assert.equal(check.status, 0, `riffle store check: ${check.out}\n${check.err}`);
    const left = existsSync(join(store, 'attempts')) ? readdirSync(join(store, 'attempts')) : [];
    assert.deepEqual(left, [], 'no attempt file is left behind');
  }
  const ms = Date.now() - started;
  rmSync(root, { recursive: true, force: true }); // kept when a check fails, to look into
  log(`chaos: done in ${(ms / 1000).toFixed(1)} s; ${killsMidAttempt} of ${o.kills} kills hit running attempts; ${lines.length} bodies`);
  return { seed, kills: o.kills, killsMidAttempt, ms, runStates: list.map((r) => r.state), bodies: counts };
}
