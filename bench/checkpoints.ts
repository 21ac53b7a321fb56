/**
 * Checkpoint benchmark of issue 14 (not a test; never gates CI):
 * `npm run bench:checkpoints -- [--events N] [--queries 5,8,11] [--intervals 1s,10s] [--workers 1] [--json]
 *  [--no-recovery] [--no-armed] [--no-flink] [--flink-events N] [--flink-parallelism P] [--peer-timeout S]`.
 *
 * For each Nexmark query (default Q5, Q8, Q11) over the unbounded Nexmark source (bench/nexmark/stream-pipeline.ts,
 * not rate limited, so the run measures throughput), each in its own child process:
 *
 * 1. **Overhead**: the query without checkpoints, then with a checkpoint every interval (default 1 s and 10 s, into a
 *    fresh directory under the OS temp dir). Per run: events/s, CPU-seconds per million events (the process's user +
 *    system time, every thread), overhead % (CPU and wall, against the run without), checkpoints taken (the final
 *    one, taken once the input ended, is counted apart), mean/max checkpoint duration (from the request to its
 *    commits done: the engine's own span, read by wrapping `CheckpointCoordinator.completed`), the size of the last
 *    periodic checkpoint on disk (its directory: parts and `_metadata`), peak RSS, and the output count, which must
 *    be the same with and without checkpoints. Also (`--no-armed` skips it) with checkpoints on and an interval of
 *    24 h, which no run reaches ("armed"): what running checkpointable costs (keyed state in the checkpointable
 *    backend, sources stopping at batch boundaries, the final checkpoint) apart from taking periodic checkpoints.
 * 2. **Recovery** (`--no-recovery` skips it): the query with 1 s checkpoints (the smallest interval asked for), SIGKILLed
 *    once 2 checkpoints completed, then restarted with `resume` on the same directory: the time from the restart to
 *    the first event read (process start, loading, restoring included) and to the end, the events read again after
 *    the restored position, the resumed run's CPU-seconds, and the output count against the uninterrupted run's (the
 *    count is the `CountOutputs` step's metric, which a checkpoint restores: an exact count means nothing lost or
 *    repeated in that step).
 * 3. **Flink** (`--no-flink` skips it): Beam's own Nexmark queries on Beam's FlinkRunner (embedded Flink 1.16) in
 *    streaming mode over Beam's unbounded event source (bench/peers/beam-nexmark.sh --streaming, NexmarkPeer.java),
 *    without checkpointing and with `--checkpointingInterval` at the same intervals (filesystem state backend on
 *    local disk), `--flink-events` events (default 200,000: Flink runs about 10K events/s here), parallelism
 *    `--flink-parallelism` (default: the worker count). Its checkpoint count, sizes and durations are Flink's own
 *    (CheckpointCoordinator's "Completed checkpoint" log lines). A run's seconds and CPU are from the first event out
 *    of the source to the end (NexmarkPeer marks it; starting the mini cluster and deploying the job excluded).
 *    The comparison is of overheads (% over the same system's run without checkpoints), not of event counts.
 *
 * Prints markdown tables, or with `--json` one object `{ events, workers, riffle: [...], recovery: [...], flink: [...] }`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalRunner, Pipeline, type PipelineResult } from '../src/index.ts';
import { CheckpointCoordinator, METADATA_FILE, parseDuration } from '../src/runner/checkpoint/index.ts';
import { buildStreamQuery } from './nexmark/stream-pipeline.ts';

interface Options {
  events: number;
  queries: number[];
  intervalsMs: number[];
  workers: number;
  json: boolean;
  recovery: boolean;
  /** Also run with checkpoints on and an interval no run reaches (`--no-armed`: not). */
  armed: boolean;
  flink: boolean;
  flinkEvents: number;
  flinkParallelism: number | undefined;
  peerTimeout: number;
  /** `--child`: run one query and print its figures (the parent's protocol). */
  child: boolean;
  checkpointDir?: string;
  resume: boolean;
  announce: boolean;
}

const QUERIES = [5, 8, 11];
const USAGE = 'usage: bench:checkpoints -- [--events N] [--queries 5,8,11] [--intervals 1s,10s] [--workers N] [--json] [--no-recovery] [--no-armed] [--no-flink] [--flink-events N] [--flink-parallelism P] [--peer-timeout S]';

function parseArgs(argv: string[]): Options {
  const opts: Options = { events: 2_000_000, queries: QUERIES, intervalsMs: [1000, 10_000], workers: 1, json: false, recovery: true, armed: true, flink: true, flinkEvents: 200_000, flinkParallelism: undefined, peerTimeout: 600, child: false, resume: false, announce: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--events') opts.events = Number(value());
    else if (flag === '--queries') opts.queries = value().split(',').map(Number);
    else if (flag === '--intervals') opts.intervalsMs = value().split(',').map((t) => parseDuration(t, '--intervals'));
    else if (flag === '--workers') opts.workers = Number(value());
    else if (flag === '--json') opts.json = true;
    else if (flag === '--no-recovery') opts.recovery = false;
    else if (flag === '--no-armed') opts.armed = false;
    else if (flag === '--no-flink') opts.flink = false;
    else if (flag === '--flink-events') opts.flinkEvents = Number(value());
    else if (flag === '--flink-parallelism') opts.flinkParallelism = Number(value());
    else if (flag === '--peer-timeout') opts.peerTimeout = Number(value());
    else if (flag === '--child') opts.child = true;
    else if (flag === '--checkpoint-dir') opts.checkpointDir = value();
    else if (flag === '--resume') opts.resume = true;
    else if (flag === '--announce') opts.announce = true;
    else throw new Error(`unknown option ${flag}; ${USAGE}`);
  }
  for (const [name, n] of [['--events', opts.events], ['--flink-events', opts.flinkEvents], ['--peer-timeout', opts.peerTimeout]] as const) {
    if (!(Number.isSafeInteger(n) && n > 0)) throw new Error(`${name} must be a positive integer, got ${n}`);
  }
  if (!(Number.isInteger(opts.workers) && opts.workers >= 1 && opts.workers <= 64)) throw new Error(`--workers takes a worker count from 1 to 64, got ${opts.workers}`);
  if (opts.flinkParallelism !== undefined && !(Number.isInteger(opts.flinkParallelism) && opts.flinkParallelism >= 1)) throw new Error(`--flink-parallelism takes a positive integer, got ${opts.flinkParallelism}`);
  for (const q of opts.queries) if (!(Number.isInteger(q) && q >= 0 && q <= 12)) throw new Error(`no Nexmark query ${q}; queries are 0-12`);
  if (opts.intervalsMs.length === 0) throw new Error(`--intervals needs at least one duration, e.g. 1s,10s`);
  return opts;
}

// ---- the child: one run of one query

/** One checkpoint as the engine completed it. */
interface CheckpointMark {
  readonly id: number;
  readonly ms: number;
  readonly bytes: number;
}

/** What a child run reports (its last stdout line, after `RESULT `). */
interface RunFigures {
  readonly query: number;
  readonly events: number;
  readonly intervalMs: number | null;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMB: number;
  readonly outputs: number;
  /** Every checkpoint completed, in order; the last is the final one (taken once the input ended). */
  readonly checkpoints: readonly CheckpointMark[];
  /** The last periodic checkpoint's directory on disk (parts and metadata), bytes; null when none is left. */
  readonly lastCheckpointDiskBytes: number | null;
}

/** Records each checkpoint the engine completes (one thread and worker pools both end a checkpoint there). */
function recordCheckpoints(): CheckpointMark[] {
  const marks: CheckpointMark[] = [];
  const completed = CheckpointCoordinator.prototype.completed;
  CheckpointCoordinator.prototype.completed = async function (this: CheckpointCoordinator, id: number, started: number, bytes: number) {
    await completed.call(this, id, started, bytes);
    marks.push({ id, ms: Date.now() - started, bytes });
  };
  return marks;
}

/** Bytes under `dir` (files, recursively). */
function du(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? du(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

async function child(opts: Options, intervalMs: number | undefined): Promise<RunFigures> {
  const id = opts.queries[0]!;
  const marks = recordCheckpoints();
  const p = Pipeline.create();
  buildStreamQuery(p, id, opts.events, opts.announce);
  const checkpointOptions = intervalMs !== undefined ? { checkpointDir: opts.checkpointDir!, checkpointIntervalMs: intervalMs, resume: opts.resume, log: () => {} } : {};
  const module = { path: fileURLToPath(new URL('./nexmark/stream-pipeline.ts', import.meta.url)), params: { query: id, events: opts.events, announce: opts.announce } };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result: PipelineResult = opts.workers === 1 ? await p.run({ workers: 1, ...checkpointOptions }) : await new LocalRunner().run(p.graph, { workers: opts.workers, pipelineModule: module, ...checkpointOptions });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const outputs = result.metrics.steps.find((s) => s.step === 'CountOutputs')?.elementsIn ?? -1;
  let lastCheckpointDiskBytes: number | null = null;
  const lastPeriodic = marks.at(-2);
  if (lastPeriodic !== undefined && opts.checkpointDir !== undefined) {
    const dir = join(opts.checkpointDir, `chk-${lastPeriodic.id}`);
    if (existsSync(join(dir, METADATA_FILE))) lastCheckpointDiskBytes = du(dir);
  }
  return {
    query: id,
    events: opts.events,
    intervalMs: intervalMs ?? null,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    outputs,
    checkpoints: marks,
    lastCheckpointDiskBytes,
  };
}

// ---- the parent

/** The heap of each child (as bench:nexmark's); RIFFLE_BENCH_HEAP_MB overrides it. */
const HEAP_MB = Number(process.env.RIFFLE_BENCH_HEAP_MB ?? 8192);

function childArgs(opts: Options, id: number, intervalMs: number | undefined, dir: string | undefined, extra: string[] = []): string[] {
  const heap = process.execArgv.some((a) => a.startsWith('--max-old-space-size')) ? [] : [`--max-old-space-size=${HEAP_MB}`];
  const self = fileURLToPath(import.meta.url);
  const checkpointing = intervalMs !== undefined ? ['--intervals', `${intervalMs}ms`, '--checkpoint-dir', dir!] : [];
  return [...heap, ...process.execArgv, self, '--child', '--queries', String(id), '--events', String(opts.events), '--workers', String(opts.workers), ...checkpointing, ...extra];
}

function resultOf(stdout: string): RunFigures | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  return line === undefined ? undefined : (JSON.parse(line.slice(7)) as RunFigures);
}

/** Runs one query in a child process (with checkpoints every `intervalMs` into a fresh directory, when given). */
function runChild(opts: Options, id: number, intervalMs: number | undefined): RunFigures {
  const dir = intervalMs !== undefined ? mkdtempSync(join(tmpdir(), `riffle-bench-ckpt-q${id}-`)) : undefined;
  try {
    const r = spawnSync(process.execPath, childArgs(opts, id, intervalMs, dir), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    const got = resultOf(r.stdout);
    if (r.status !== 0 || got === undefined) throw new Error(`Q${id}${intervalMs !== undefined ? ` with checkpoints every ${intervalMs} ms` : ''} failed (exit ${r.status ?? r.signal})`);
    return got;
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** Highest id of a complete checkpoint in `dir` (0: none yet). */
function completeCheckpoints(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const name of readdirSync(dir)) {
    const m = /^chk-(\d+)$/.exec(name);
    if (m !== null && existsSync(join(dir, name, METADATA_FILE))) n = Math.max(n, Number(m[1]));
  }
  return n;
}

interface Recovery {
  readonly query: number;
  readonly intervalMs: number;
  /** Complete checkpoints when the first run was killed (the newest one's id). */
  readonly killedAfterCheckpoints: number;
  readonly killedAtSeconds: number;
  /** The event position the resumed run restored (events read before the checkpoint it resumed from). */
  readonly resumedAtEvent: number;
  readonly toFirstReadSeconds: number;
  readonly toEndSeconds: number;
  readonly outputs: number;
  readonly expectedOutputs: number;
  /** The uninterrupted run's seconds and CPU-seconds at the same interval (the whole input). */
  readonly uninterruptedSeconds: number;
  readonly uninterruptedCpuSeconds: number;
  /** The resumed run's CPU-seconds (its run: restoring and the rest of the input). */
  readonly resumedCpuSeconds?: number;
  readonly error?: string;
}

/** Spawns a child, returning its stdout lines as they come and its end. */
function spawnChild(args: string[], onLine: (line: string) => void): { kill: () => void; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> } {
  const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  let pending = '';
  c.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve, reject) => {
    c.on('error', reject);
    c.on('close', (code, signal) => resolve({ code, signal, stdout }));
  });
  return { kill: () => c.kill('SIGKILL'), done };
}

/**
 * Kills the query's checkpointed run once 2 checkpoints completed (polling the directory every 20 ms), then resumes
 * it on the same directory and times the restart.
 */
async function recovery(opts: Options, id: number, intervalMs: number, expectedOutputs: number, uninterrupted: RunFigures): Promise<Recovery> {
  const dir = mkdtempSync(join(tmpdir(), `riffle-bench-recovery-q${id}-`));
  const base = { query: id, intervalMs, expectedOutputs, uninterruptedSeconds: uninterrupted.seconds, uninterruptedCpuSeconds: uninterrupted.cpuSeconds };
  try {
    const t0 = Date.now();
    const first = spawnChild(childArgs(opts, id, intervalMs, dir, ['--announce']), () => {});
    let killedAfter = 0;
    let ended = false;
    void first.done.then(() => (ended = true));
    while (!ended) {
      killedAfter = completeCheckpoints(dir);
      if (killedAfter >= 2) {
        first.kill();
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const killed = await first.done;
    const killedAtSeconds = (Date.now() - t0) / 1000;
    if (killed.signal !== 'SIGKILL') return { ...base, killedAfterCheckpoints: killedAfter, killedAtSeconds, resumedAtEvent: 0, toFirstReadSeconds: 0, toEndSeconds: 0, outputs: 0, error: `the run ended (exit ${killed.code}) before 2 checkpoints completed: give more --events` };
    const t1 = Date.now();
    let firstRead: number | undefined;
    let resumedAt = -1;
    const second = spawnChild(childArgs(opts, id, intervalMs, dir, ['--announce', '--resume']), (line) => {
      if (line.startsWith('FIRST_READ ') && firstRead === undefined) firstRead = Number(line.slice(11));
      else if (line.startsWith('OPEN ') && resumedAt < 0) resumedAt = Number(line.slice(5));
    });
    const r = await second.done;
    const toEndSeconds = (Date.now() - t1) / 1000;
    const got = resultOf(r.stdout);
    const figures = { killedAfterCheckpoints: killedAfter, killedAtSeconds, resumedAtEvent: resumedAt, toFirstReadSeconds: firstRead === undefined ? NaN : (firstRead - t1) / 1000, toEndSeconds };
    if (r.code !== 0 || got === undefined) return { ...base, ...figures, outputs: 0, error: `the resumed run failed (exit ${r.code ?? r.signal})` };
    if (resumedAt < 0) return { ...base, ...figures, resumedCpuSeconds: got.cpuSeconds, outputs: got.outputs, error: 'the run was killed after its input ended (its final checkpoint was the second): give more --events' };
    return { ...base, ...figures, resumedCpuSeconds: got.cpuSeconds, outputs: got.outputs, ...(got.outputs !== expectedOutputs ? { error: `the resumed run counted ${got.outputs} outputs, the uninterrupted run ${expectedOutputs}` } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- Flink

interface FlinkRun {
  readonly query: number;
  readonly intervalMs: number | null;
  readonly events: number;
  /** The run's wall and CPU seconds, from the first event out of the source to the end (what the tables show). */
  readonly seconds?: number;
  readonly cpuSeconds?: number;
  /** The same from `run()`: starting the mini cluster and deploying the job included. */
  readonly withStartSeconds?: number;
  readonly withStartCpuSeconds?: number;
  readonly outputs?: number;
  /** Flink's completed checkpoints: size (bytes) and duration (ms) from its log. */
  readonly checkpoints?: ReadonlyArray<{ bytes: number; ms: number }>;
  readonly error?: string;
}

const PEER_SCRIPT = fileURLToPath(new URL('./peers/beam-nexmark.sh', import.meta.url));

/** Runs Beam's query `id` on Flink in streaming mode, with checkpoints every `intervalMs` when given. */
function runFlink(opts: Options, id: number, intervalMs: number | undefined): FlinkRun {
  const events = opts.flinkEvents;
  const base = { query: id, intervalMs: intervalMs ?? null, events };
  const dir = intervalMs !== undefined ? mkdtempSync(join(tmpdir(), `riffle-bench-flink-q${id}-`)) : undefined;
  try {
    const parallelism = opts.flinkParallelism ?? opts.workers;
    const args = [PEER_SCRIPT, '--runner', 'flink', '--streaming', '--events', String(events), '--queries', String(id), '--parallelism', String(parallelism), '--timeout', String(opts.peerTimeout)];
    if (intervalMs !== undefined) args.push('--checkpoint-interval', String(intervalMs), '--checkpoint-dir', dir!);
    const r = spawnSync('bash', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (line === undefined) return { ...base, error: `beam-nexmark.sh printed no result (exit ${r.status ?? r.signal})` };
    const out = JSON.parse(line.slice(7)) as { seconds?: number; cpuSeconds?: number; fromFirstEventSeconds?: number; fromFirstEventCpuSeconds?: number; outputs?: number; error?: string };
    if (out.error !== undefined || out.fromFirstEventSeconds === undefined || out.fromFirstEventCpuSeconds === undefined) return { ...base, error: out.error ?? 'no figure from the first event' };
    const log = r.stdout.split('\n').find((l) => l.startsWith('LOG '))?.slice(4);
    const checkpoints: Array<{ bytes: number; ms: number }> = [];
    if (log !== undefined && existsSync(log)) {
      for (const m of readFileSync(log, 'utf8').matchAll(/Completed checkpoint \d+ for job \w+ \((\d+) bytes, checkpointDuration=(\d+) ms/g)) checkpoints.push({ bytes: Number(m[1]), ms: Number(m[2]) });
    }
    return { ...base, seconds: out.fromFirstEventSeconds, cpuSeconds: out.fromFirstEventCpuSeconds, withStartSeconds: out.seconds ?? NaN, withStartCpuSeconds: out.cpuSeconds ?? NaN, outputs: out.outputs ?? -1, checkpoints };
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

// ---- output

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
/** The interval of the "armed" runs: checkpoints on, none periodic. */
const ARMED_MS = 86_400_000;
const interval = (ms: number | null): string => (ms === null ? 'none' : ms === ARMED_MS ? 'armed (24 h)' : ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
const pct = (x: number, base: number): string => `${x >= base ? '+' : ''}${((x / base - 1) * 100).toFixed(1)}%`;
const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

function markdown(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(3, ...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w, c) => (c <= 1 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** The periodic checkpoints of a run (the final one, taken once the input ended, left out). */
const periodic = (r: RunFigures): readonly CheckpointMark[] => r.checkpoints.slice(0, -1);

function riffleTable(runs: RunFigures[]): string {
  const rows = [['query', 'checkpoints every', 'events/s', 'CPU s/M events', 'CPU overhead', 'wall overhead', 'checkpoints (+final)', 'mean ckpt ms', 'max ckpt ms', 'last ckpt size', 'peak RSS MB', 'outputs']];
  for (const r of runs) {
    const plain = runs.find((x) => x.query === r.query && x.intervalMs === null)!;
    const ck = periodic(r);
    const on = r.intervalMs !== null;
    rows.push([
      `Q${r.query}`,
      interval(r.intervalMs),
      fmt(r.events / r.seconds),
      ((r.cpuSeconds / r.events) * 1e6).toFixed(2),
      on ? pct(r.cpuSeconds, plain.cpuSeconds) : '',
      on ? pct(r.seconds, plain.seconds) : '',
      on ? `${ck.length} (+${r.checkpoints.length - ck.length})` : '',
      on && ck.length > 0 ? fmt(mean(ck.map((c) => c.ms))) : '',
      on && ck.length > 0 ? fmt(Math.max(...ck.map((c) => c.ms))) : '',
      on && r.lastCheckpointDiskBytes !== null ? bytes(r.lastCheckpointDiskBytes) : '',
      String(r.peakRssMB),
      `${r.outputs}${on && r.outputs !== plain.outputs ? ` ≠ ${plain.outputs}!` : ''}`,
    ]);
  }
  return markdown(rows);
}

function bytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${(n / 1024).toFixed(0)} KB`;
}

function recoveryTable(rs: Recovery[]): string {
  const rows = [['query', 'checkpoints every', 'killed after', 'resumed at event', 'restart → first event read', 'restart → end', 'uninterrupted run', 'CPU s resumed / uninterrupted', 'outputs', 'uninterrupted outputs', 'same']];
  for (const r of rs) {
    rows.push([`Q${r.query}`, interval(r.intervalMs), `${r.killedAfterCheckpoints} ckpts, ${r.killedAtSeconds.toFixed(1)} s`, r.resumedAtEvent < 0 ? '-' : fmt(r.resumedAtEvent), Number.isNaN(r.toFirstReadSeconds) ? '-' : `${r.toFirstReadSeconds.toFixed(2)} s`, `${r.toEndSeconds.toFixed(2)} s`, `${r.uninterruptedSeconds.toFixed(2)} s`, `${r.resumedCpuSeconds?.toFixed(1) ?? '-'} / ${r.uninterruptedCpuSeconds.toFixed(1)}`, String(r.outputs), String(r.expectedOutputs), r.error === undefined ? 'yes' : 'NO']);
  }
  return markdown(rows);
}

function flinkTable(runs: FlinkRun[], riffle: RunFigures[]): string {
  const rows = [['query', 'checkpoints every', 'Flink events/s', 'Flink CPU s/M events', 'Flink CPU overhead', 'Flink wall overhead', 'Flink ckpts', 'Flink mean/max ckpt ms', 'Flink last ckpt size', 'Riffle CPU overhead', 'Riffle wall overhead']];
  for (const r of runs) {
    const plain = runs.find((x) => x.query === r.query && x.intervalMs === null);
    const on = r.intervalMs !== null;
    const rp = riffle.find((x) => x.query === r.query && x.intervalMs === null);
    const rr = riffle.find((x) => x.query === r.query && x.intervalMs === r.intervalMs);
    if (r.error !== undefined) {
      rows.push([`Q${r.query}`, interval(r.intervalMs), r.error.startsWith('timeout') ? 'timeout' : 'failed', '', '', '', '', '', '', '', '']);
      continue;
    }
    const ok = on && plain?.seconds !== undefined;
    const ck = r.checkpoints ?? [];
    rows.push([
      `Q${r.query}`,
      interval(r.intervalMs),
      fmt(r.events / r.seconds!),
      ((r.cpuSeconds! / r.events) * 1e6).toFixed(2),
      ok ? pct(r.cpuSeconds!, plain.cpuSeconds!) : '',
      ok ? pct(r.seconds!, plain.seconds!) : '',
      on ? String(ck.length) : '',
      on && ck.length > 0 ? `${fmt(mean(ck.map((c) => c.ms)))} / ${fmt(Math.max(...ck.map((c) => c.ms)))}` : '',
      on && ck.length > 0 ? bytes(ck.at(-1)!.bytes) : '',
      on && rp && rr ? pct(rr.cpuSeconds, rp.cpuSeconds) : '',
      on && rp && rr ? pct(rr.seconds, rp.seconds) : '',
    ]);
  }
  return markdown(rows);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.child) {
    const figures = await child(opts, opts.checkpointDir !== undefined ? opts.intervalsMs[0] : undefined);
    process.stdout.write(`RESULT ${JSON.stringify(figures)}\n`);
    return;
  }
  const say = (m: string) => {
    if (!opts.json) process.stderr.write(m);
  };
  const riffle: RunFigures[] = [];
  for (const id of opts.queries) {
    for (const ms of [undefined, ...(opts.armed ? [ARMED_MS] : []), ...opts.intervalsMs]) {
      say(`Q${id}, checkpoints ${ms === undefined ? 'off' : ms === ARMED_MS ? 'armed (24 h interval)' : `every ${interval(ms)}`}… `);
      const r = runChild(opts, id, ms);
      riffle.push(r);
      say(`${fmt(r.events / r.seconds)} events/s, ${r.cpuSeconds.toFixed(1)} CPU s, ${r.checkpoints.length} checkpoints, ${r.outputs} outputs\n`);
    }
  }
  const recoveries: Recovery[] = [];
  if (opts.recovery) {
    const ms = Math.min(...opts.intervalsMs);
    for (const id of opts.queries) {
      say(`Q${id} recovery: kill after 2 checkpoints (every ${interval(ms)}), resume… `);
      const expected = riffle.find((r) => r.query === id && r.intervalMs === null)!.outputs;
      const r = await recovery(opts, id, ms, expected, riffle.find((x) => x.query === id && x.intervalMs === ms)!);
      recoveries.push(r);
      say(r.error ?? `first event read ${r.toFirstReadSeconds.toFixed(2)} s after the restart, ended ${r.toEndSeconds.toFixed(2)} s after it\n`);
      if (r.error !== undefined) say('\n');
    }
  }
  const flink: FlinkRun[] = [];
  if (opts.flink) {
    const fetched = spawnSync('bash', [PEER_SCRIPT, '--runner', 'flink', '--fetch-only'], { stdio: ['ignore', 'inherit', 'inherit'] });
    for (const id of opts.queries) {
      for (const ms of [undefined, ...opts.intervalsMs]) {
        if (fetched.status !== 0) {
          flink.push({ query: id, intervalMs: ms ?? null, events: opts.flinkEvents, error: `fetching the Flink peer failed (exit ${fetched.status ?? fetched.signal})` });
          continue;
        }
        say(`Flink Q${id}, checkpoints ${ms === undefined ? 'off' : `every ${interval(ms)}`}… `);
        const r = runFlink(opts, id, ms);
        flink.push(r);
        say(r.error ?? `${fmt(r.events / r.seconds!)} events/s, ${r.cpuSeconds!.toFixed(1)} CPU s, ${r.checkpoints?.length ?? 0} checkpoints, ${r.outputs} outputs`);
        say('\n');
      }
    }
  }
  if (opts.json) {
    console.log(JSON.stringify({ events: opts.events, workers: opts.workers, riffle, recovery: recoveries, flink }));
    return;
  }
  console.log(`\n### Riffle: Nexmark over the unbounded source, ${fmt(opts.events)} events, ${opts.workers} worker${opts.workers === 1 ? '' : 's'}\n`);
  console.log(riffleTable(riffle));
  console.log('\nOverheads are against the same query without checkpoints; checkpoint durations are from the request to its commits (periodic ones; the final one, taken once the input ended, is the +N); the size is the last periodic checkpoint\'s directory on disk.');
  if (recoveries.length > 0) {
    console.log(`\n### Recovery: SIGKILL after 2 checkpoints, restart with resume\n`);
    console.log(recoveryTable(recoveries));
    for (const r of recoveries) if (r.error !== undefined) console.log(`Q${r.query}: ${r.error}`);
  }
  if (flink.length > 0) {
    console.log(`\n### Flink: Beam's Nexmark on the FlinkRunner (Flink 1.16, streaming), ${fmt(opts.flinkEvents)} events, parallelism ${opts.flinkParallelism ?? opts.workers}\n`);
    console.log(flinkTable(flink, riffle));
    console.log(`\nFlink's figures are from the first event out of its source to the end (starting the mini cluster and deploying the job excluded; Riffle's child likewise times its run only); its checkpoint figures are its own (CheckpointCoordinator's log). Riffle's overheads (at ${fmt(opts.events)} events) are repeated beside Flink's.`);
    for (const r of flink) if (r.error !== undefined) console.log(`Flink Q${r.query} (${interval(r.intervalMs)}): ${r.error}`);
  }
}

await main();
