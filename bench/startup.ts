// `npm run bench:startup`: how long Riffle takes to start, against `node -e 0` measured in the same run.
// Builds dist/ first when it is missing or older than the sources (the compiled CLI and root import are measured).
// Each command runs RUNS times (default 11, env RIFFLE_STARTUP_RUNS), interleaved so that load on the machine spreads
// evenly; the table shows medians and their excess over `node -e 0`, with the targets of issue 12:
// `riffle --help` ≤ 150 ms over, `import { Pipeline } from 'riffle'` ≤ 100 ms over. It also counts the modules each
// loads (test/package/module-recorder.mjs), and CPU times beside wall times. Exit status 1 when a target is missed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..');
const RUNS = Number(process.env.RIFFLE_STARTUP_RUNS ?? 11);
const RECORDER = pathToFileURL(join(ROOT, 'test/package/module-recorder.mjs')).href;

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  /** Allowed excess over `node -e 0`, in ms. */
  readonly target?: number;
}

const CASES: readonly Case[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'riffle --help (compiled)', args: ['bin/riffle.js', '--help'], target: 150 },
  { name: "import('riffle') (dist)", args: ['--input-type=module', '-e', "const { Pipeline } = await import('riffle'); if (typeof Pipeline !== 'function') process.exit(1);"], target: 100 },
  { name: 'riffle --version (compiled)', args: ['bin/riffle.js', '--version'] },
  { name: "import('riffle/lakehouse') (dist)", args: ['--input-type=module', '-e', "await import('riffle/lakehouse');"] },
  { name: 'riffle --help (sources, tsx)', args: ['--import', 'tsx', 'src/cli/main.ts', '--help'] },
];

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) newest = e.name === 'fixtures' ? newest : Math.max(newest, newestSource(path));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function ensureBuild(): void {
  const stamp = join(ROOT, 'dist/.build-stamp');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource(join(ROOT, 'src'))) return;
  console.log('dist/ is missing or older than src/: building (npm run build)…');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('the build failed: fix the type errors above first');
}

/** Wall time of one run, and its CPU time (user + system, from bash's `times`: less sensitive to a busy machine). */
function once(args: readonly string[]): { wall: number; cpu: number } {
  const start = process.hrtime.bigint();
  const script = '"$@" >/dev/null; rc=$?; times; exit $rc'; // the command's stderr stays on stderr
  const r = spawnSync('bash', ['-c', script, 'bench', process.execPath, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  // `times` prints the shell's user/system times, then its children's: "0m0.071s 0m0.012s".
  const children = r.stdout.trim().split('\n').at(-1) ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { wall, cpu: seconds.reduce((a, b) => a + b, 0) * 1000 };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function moduleCount(args: readonly string[], dir: string, label: string): number {
  const log = join(dir, `${label}.log`);
  spawnSync(process.execPath, ['--import', RECORDER, ...args], { cwd: ROOT, env: { ...process.env, RIFFLE_MODULE_LOG: log }, stdio: 'ignore' });
  return existsSync(log) ? new Set(readFileSync(log, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('node:'))).size : NaN;
}

ensureBuild();
const times = new Map<string, number[]>(CASES.map((c) => [c.name, []]));
const cpus = new Map<string, number[]>(CASES.map((c) => [c.name, []]));
for (const c of CASES) once(c.args); // warm the file cache (and tsx's transform cache) once
for (let i = 0; i < RUNS; i++) {
  for (const c of CASES) {
    const { wall, cpu } = once(c.args);
    times.get(c.name)!.push(wall);
    cpus.get(c.name)!.push(cpu);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'riffle-startup-'));
const base = median(times.get('node -e 0')!);
const baseCpu = median(cpus.get('node -e 0')!);
const rows = CASES.map((c, i) => {
  const m = median(times.get(c.name)!);
  const over = m - base;
  const cpuOver = median(cpus.get(c.name)!) - baseCpu;
  const modules = i === 0 ? 0 : moduleCount(c.args, dir, `case${i}`);
  return { c, m, over, cpuOver, modules, ok: c.target === undefined || over <= c.target };
});
rmSync(dir, { recursive: true, force: true });

const pad = (s: string, n: number) => s.padEnd(n);
const num = (x: number) => x.toFixed(1).padStart(8);
console.log(`node ${process.version}, ${RUNS} runs each, medians (ms)\n`);
console.log(`${pad('command', 36)}${'median'.padStart(8)}${'over node'.padStart(11)}${'target'.padStart(9)}${'cpu over'.padStart(10)}${'modules'.padStart(9)}`);
for (const r of rows) {
  const first = r.c === CASES[0];
  const target = r.c.target === undefined ? '' : `≤${r.c.target}`;
  const verdict = r.c.target === undefined ? '' : r.ok ? '  ok' : '  MISSED';
  const over = first ? '' : `+${r.over.toFixed(1)}`;
  const cpu = first ? '' : `+${r.cpuOver.toFixed(1)}`;
  console.log(`${pad(r.c.name, 36)}${num(r.m)}${over.padStart(11)}${target.padStart(9)}${cpu.padStart(10)}${String(r.modules || '').padStart(9)}${verdict}`);
}
console.log('\nover node: the median wall time minus that of `node -e 0` (the targets apply to it); cpu over: the same for');
console.log('user + system CPU time, a steadier figure on a busy machine. modules: files loaded besides node: builtins.');
console.log(`load average now: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs`);
if (rows.some((r) => !r.ok)) process.exit(1);
