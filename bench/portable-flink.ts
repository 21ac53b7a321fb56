/**
 * Riffle on Flink through Beam's portability framework against Beam Java on the same Flink runner (issue 20's
 * benchmark; not a test, never gates CI):
 * `npm run bench:portable -- [--events N] [--queries 0,1,2] [--parallelism 1,2] [--json] [--timeout S] [--no-peer]`.
 *
 * For each parallelism and each Nexmark query, in the same run, one after the other:
 *
 * - **Riffle (harness)**: `riffle run test/portable/fixtures/nexmark-pipeline.ts --runner=flink --flink-master=[local]
 *   --parallelism P` (bench/nexmark's query over its bounded generator, results written as JSON lines): the CLI starts
 *   Beam's Flink job server (Beam 2.62.0, Flink 1.19, an embedded cluster in its JVM), Flink starts `riffle harness`
 *   processes (PROCESS environment) and runs the fused stages through them.
 * - **Beam Java**: Beam's own Nexmark query classes (beam-sdks-java-nexmark 2.60.0, the newest served here) on Beam's
 *   FlinkRunner from the same artifact the job server runs (`beam-runners-flink-1.19` 2.62.0, its Flink 1.19.0),
 *   embedded cluster, batch, `--parallelism P` (bench/peers/beam-nexmark.sh with those versions; its jars are cached
 *   apart from the default peer's, in ~/.cache/riffle-peers/flink-1.19).
 *
 * Per run: wall seconds of the whole command (process starts, the job server's start and Flink's scheduling included —
 * what a user waits for), the job's own seconds (Riffle: from Flink's RUNNING to DONE as the CLI reports them; Beam:
 * NexmarkPeer's run() to waitUntilFinish()), and CPU seconds of the whole process tree (the CLI, the job server JVM,
 * every harness process; the peer's script and JVM), read from /proc (bench/process-tree-cpu.ts). The ratio columns
 * are Riffle / Beam Java: the harness's overhead over Beam's own Java functions on the same runner (> 1 is slower).
 * The work differs in one respect: Riffle's fixture writes each result to a file, Beam's Nexmark counts them.
 *
 * Which queries: those the portable runner runs (Q0, Q1, Q2, Q3, Q5, Q7, Q8, Q10, Q11, Q12; Q4/Q6/Q9 need a custom
 * merging window function — see src/runner/portable/README.md). Default 0,1,2,3,5,7,8.
 * Prints a markdown table, or one JSON object with `--json`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchProcessTree, type TreeCpu } from './process-tree-cpu.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = 'test/portable/fixtures/nexmark-pipeline.ts';
const PEER_SCRIPT = join(ROOT, 'bench/peers/beam-nexmark.sh');
const RUNNABLE = new Set([0, 1, 2, 3, 5, 7, 8, 10, 11, 12]);
/** The peer on the job server's Flink runner (see the header). */
const PEER_ENV = {
  BEAM_VERSION: '2.60.0',
  FLINK_RUNNER: 'beam-runners-flink-1.19',
  FLINK_RUNNER_VERSION: '2.62.0',
  RIFFLE_PEERS_CACHE: join(process.env.RIFFLE_PEERS_CACHE ?? join(homedir(), '.cache', 'riffle-peers'), 'flink-1.19'),
};

interface Options {
  events: number;
  queries: number[];
  parallelisms: number[];
  json: boolean;
  timeoutS: number;
  peer: boolean;
}

/** One system's run of one query. */
interface Run {
  readonly wallSeconds: number;
  readonly jobSeconds?: number;
  readonly cpuSeconds: number;
  readonly cpuByCommand: Readonly<Record<string, number>>;
  readonly processes: number;
  readonly outputs?: number;
  readonly error?: string;
}

interface Row {
  readonly query: number;
  readonly parallelism: number;
  readonly riffle: Run;
  readonly beam?: Run;
}

function usage(message: string): never {
  console.error(`${message}\nusage: npm run bench:portable -- [--events N] [--queries 0,1,2] [--parallelism 1,2] [--json] [--timeout S] [--no-peer]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { events: 1_000_000, queries: [0, 1, 2, 3, 5, 7, 8], parallelisms: [1], json: false, timeoutS: 1800, peer: true };
  const ints = (flag: string, v: string | undefined) => {
    const list = (v ?? '').split(',').map((x) => Number(x.trim()));
    if (v === undefined || list.some((n) => !Number.isSafeInteger(n) || n < 0)) usage(`${flag} takes whole numbers separated by commas (got '${v ?? ''}')`);
    return list;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--events': o.events = ints(flag, value())[0]!; break;
      case '--queries': o.queries = ints(flag, value()); break;
      case '--parallelism': o.parallelisms = ints(flag, value()); break;
      case '--timeout': o.timeoutS = ints(flag, value())[0]!; break;
      case '--json': o.json = true; break;
      case '--no-peer': o.peer = false; break;
      default: usage(`unknown option ${a}`);
    }
  }
  const bad = o.queries.filter((q) => !RUNNABLE.has(q));
  if (bad.length > 0) usage(`the portable runner does not run Nexmark ${bad.map((q) => `Q${q}`).join(', ')} (runnable: ${[...RUNNABLE].join(',')})`);
  if (o.events < 1 || o.parallelisms.some((p) => p < 1)) usage('--events and --parallelism take numbers ≥ 1');
  return o;
}

/** Runs a command, measuring its tree; resolves with its exit, output and figures. */
function measured(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutS: number): Promise<{ code: number | null; stdout: string; stderr: string; wallSeconds: number; cpu: TreeCpu }> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const meter = watchProcessTree(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  // On a timeout the whole group goes (the job server and harnesses with the CLI).
  const timer = setTimeout(() => {
    stderr += `\ntimeout after ${timeoutS} s`;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, timeoutS * 1000);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      const cpu = meter.stop();
      resolve({ code, stdout, stderr, wallSeconds: Number(process.hrtime.bigint() - started) / 1e9, cpu });
    });
  });
}

function countLines(dir: string, prefix: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    if (!f.startsWith(prefix) || !statSync(path).isFile()) continue;
    const text = readFileSync(path, 'utf8');
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  }
  return n;
}

async function runRiffle(q: number, parallelism: number, o: Options): Promise<Run> {
  const out = mkdtempSync(join(tmpdir(), 'riffle-bench-portable-'));
  try {
    const args = [join(ROOT, 'bin/riffle.js'), 'run', FIXTURE, `--query=${q}`, `--events=${o.events}`, `--output=${out}`, '--runner=flink', '--flink-master=[local]', `--parallelism=${parallelism}`];
    const r = await measured(process.execPath, args, { ...process.env, NO_COLOR: '1' }, o.timeoutS);
    const at = (state: string) => {
      const m = new RegExp(`flink: ${state} \\(([\\d.]+) s\\)`).exec(r.stderr);
      return m ? Number(m[1]) : undefined;
    };
    const running = at('RUNNING');
    const done = at('DONE');
    const base = { wallSeconds: r.wallSeconds, cpuSeconds: r.cpu.cpuSeconds, cpuByCommand: r.cpu.byCommand, processes: r.cpu.processes };
    if (r.code !== 0 || done === undefined) {
      const why = r.stderr.split('\n').filter((l) => /error|failed|timeout/i.test(l)).slice(0, 2).join(' | ') || `exit ${r.code}`;
      return { ...base, error: why };
    }
    return { ...base, ...(running !== undefined ? { jobSeconds: done - running } : {}), outputs: countLines(out, `q${q}`) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function runBeam(q: number, parallelism: number, o: Options): Promise<Run> {
  const args = [PEER_SCRIPT, '--runner', 'flink', '--events', String(o.events), '--queries', String(q), '--parallelism', String(parallelism)];
  const r = await measured('bash', args, { ...process.env, ...PEER_ENV }, o.timeoutS);
  const base = { wallSeconds: r.wallSeconds, cpuSeconds: r.cpu.cpuSeconds, cpuByCommand: r.cpu.byCommand, processes: r.cpu.processes };
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) return { ...base, error: `beam-nexmark.sh printed no result (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}` };
  const res = JSON.parse(line.slice('RESULT '.length)) as { seconds?: number; outputs?: number; error?: string };
  if (res.error !== undefined) return { ...base, error: res.error };
  return { ...base, ...(res.seconds !== undefined ? { jobSeconds: res.seconds } : {}), ...(res.outputs !== undefined ? { outputs: res.outputs } : {}) };
}

const f1 = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);

function table(rows: readonly Row[], o: Options): string {
  const lines = [
    `Nexmark, ${o.events.toLocaleString('en-US')} events, batch, Flink [local]. Riffle: riffle run --runner=flink (harness); Beam: Beam Java's Nexmark on the same FlinkRunner. Seconds; ratio = Riffle / Beam.`,
    '',
    '| query | P | Riffle wall | Riffle job | Riffle CPU | Beam wall | Beam job | Beam CPU | wall ratio | job ratio | CPU ratio | outputs (Riffle / Beam) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const b = r.beam;
    const outs = `${r.riffle.error ?? r.riffle.outputs ?? '–'} / ${b === undefined ? 'not run' : b.error ?? b.outputs ?? '–'}`;
    const ok = r.riffle.error === undefined && b !== undefined && b.error === undefined;
    lines.push(
      `| Q${r.query} | ${r.parallelism} | ${f1(r.riffle.wallSeconds)} | ${f1(r.riffle.jobSeconds)} | ${f1(r.riffle.cpuSeconds)} | ${f1(b?.wallSeconds)} | ${f1(b?.jobSeconds)} | ${f1(b?.cpuSeconds)} | ` +
        `${ok ? ratio(r.riffle.wallSeconds, b.wallSeconds) : '–'} | ${ok ? ratio(r.riffle.jobSeconds, b.jobSeconds) : '–'} | ${ok ? ratio(r.riffle.cpuSeconds, b.cpuSeconds) : '–'} | ${outs} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const rows: Row[] = [];
  for (const p of o.parallelisms) {
    for (const q of o.queries) {
      const riffle = await runRiffle(q, p, o);
      console.error(`Q${q} P${p} riffle: ${riffle.error ?? `${f1(riffle.wallSeconds)} s wall, ${f1(riffle.cpuSeconds)} CPU-s`} ${JSON.stringify(riffle.cpuByCommand)}`);
      const beam = o.peer ? await runBeam(q, p, o) : undefined;
      if (beam) console.error(`Q${q} P${p} beam:   ${beam.error ?? `${f1(beam.wallSeconds)} s wall, ${f1(beam.cpuSeconds)} CPU-s`} ${JSON.stringify(beam.cpuByCommand)}`);
      rows.push({ query: q, parallelism: p, riffle, ...(beam ? { beam } : {}) });
    }
  }
  if (o.json) console.log(JSON.stringify({ events: o.events, rows }, null, 2));
  else console.log(table(rows, o));
}

await main();
