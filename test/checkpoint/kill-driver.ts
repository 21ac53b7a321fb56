/**
 * The checkpoint kill test: runs `riffle run test/checkpoint/fixtures/kill-pipeline.ts --checkpoint-dir D
 * --checkpoint-interval I` and SIGKILLs it at random points (while it starts, restores, reads, checkpoints, commits,
 * finishes), resuming each time with `--resume`, until it completes; then compares the committed output (every line of
 * every published file) with an uninterrupted run's: lost and duplicated lines are counted.
 *
 *   node --import tsx test/checkpoint/kill-driver.ts [kills] [jobs in parallel]
 *
 * Prints `kills: N, jobs: J, lost: L, duplicated: D` and exits 1 unless both are 0.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(import.meta.dirname, '../..');
const pipeline = join(root, 'test/checkpoint/fixtures/kill-pipeline.ts');
const cli = join(root, 'src/cli/main.ts');

export interface KillReport {
  kills: number;
  jobs: number;
  lost: number;
  duplicated: number;
  resumedFromNothing: number;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

/** Worker threads of every run (the reference's too); `RIFFLE_KILL_WORKERS` or killTest's `workers`. */
let workers = Number(process.env.RIFFLE_KILL_WORKERS ?? 1);

function run(args: readonly string[], killAfterMs?: number): Promise<RunResult> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', pipeline, '--no-progress', '--workers', String(workers), ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = killAfterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : undefined;
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stderr, ms: Date.now() - started });
    });
  });
}

/** Every line of the published files under `dir` (sorted), dot files (unpublished) left out. */
function committed(dir: string): string[] {
  const lines: string[] = [];
  for (const sub of ['sums', 'totals']) {
    const d = join(dir, sub);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) {
      if (f.startsWith('.')) continue;
      for (const l of readFileSync(join(d, f), 'utf8').split('\n')) if (l !== '') lines.push(`${sub}: ${l}`);
    }
  }
  return lines.sort();
}

function compare(want: readonly string[], got: readonly string[]): { lost: number; duplicated: number } {
  const counts = new Map<string, number>();
  for (const l of want) counts.set(l, (counts.get(l) ?? 0) + 1);
  for (const l of got) counts.set(l, (counts.get(l) ?? 0) - 1);
  let lost = 0;
  let duplicated = 0;
  for (const n of counts.values()) {
    if (n > 0) lost += n;
    else if (n < 0) duplicated -= n;
  }
  return { lost, duplicated };
}

/** Kills `kills` times over jobs of `killsPerJob` kills each, `parallel` jobs at a time. */
export async function killTest(o: { kills: number; killsPerJob?: number; parallel?: number; events?: number; workers?: number; log?: (m: string) => void }): Promise<KillReport> {
  if (o.workers !== undefined) workers = o.workers;
  const work = mkdtempSync(join(tmpdir(), 'riffle-kill-'));
  const log = o.log ?? (() => {});
  const events = String(o.events ?? 3000);
  try {
    const ref = await run([`--output=${join(work, 'ref')}`, `--events=${events}`]);
    if (ref.code !== 0) throw new Error(`the uninterrupted run failed (${ref.code}): ${ref.stderr}`);
    const want = committed(join(work, 'ref'));
    const span = ref.ms;
    const perJob = o.killsPerJob ?? 10;
    const report: KillReport = { kills: 0, jobs: 0, lost: 0, duplicated: 0, resumedFromNothing: 0 };
    let next = 0;
    // Kills are counted as they land: a run that completes before its kill counts none, so jobs are started until
    // `o.kills` kills landed (a job in flight may add a few more).
    let planned = 0;
    const worker = async () => {
      while (planned < o.kills) {
        const j = next++;
        report.jobs++;
        const out = join(work, `job-${j}`);
        const args = [`--output=${out}`, `--events=${events}`, '--checkpoint-dir', join(work, `ck-${j}`), '--checkpoint-interval', '150ms'];
        const killsHere = Math.min(perJob, o.kills - planned);
        planned += killsHere;
        let landed = 0;
        let resume = false;
        let completed = false;
        for (let k = 0; k < killsHere; k++) {
          // Anywhere from the start-up to past the end of an uninterrupted run.
          const at = Math.floor(Math.random() * span * 1.1);
          const r = await run([...args, ...(resume ? ['--resume'] : [])], at);
          if (r.signal === 'SIGKILL') {
            report.kills++;
            landed++;
          } else if (r.code !== 0) throw new Error(`job ${j}: a run failed (${r.code}): ${r.stderr}`);
          else {
            // It completed before the kill: the job is done (running it again, above all without --resume, would
            // publish its output a second time).
            completed = true;
            planned -= killsHere - landed; // the kills it did not take are planned again
            break;
          }
          if (/starting from the beginning/.test(r.stderr)) report.resumedFromNothing++;
          resume = true;
        }
        if (!completed) {
          const last = await run([...args, ...(resume ? ['--resume'] : [])]);
          if (last.code !== 0) throw new Error(`job ${j}: the final run failed (${last.code}): ${last.stderr}`);
        }
        const diff = compare(want, committed(out));
        report.lost += diff.lost;
        report.duplicated += diff.duplicated;
        log(`job ${j}: ${landed} kills, lost ${diff.lost}, duplicated ${diff.duplicated}`);
      }
    };
    await Promise.all(Array.from({ length: o.parallel ?? 2 }, worker));
    return report;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const kills = Number(process.argv[2] ?? process.env.RIFFLE_KILLS ?? 100);
  const parallel = Number(process.argv[3] ?? 2);
  const started = Date.now();
  const r = await killTest({ kills, parallel, log: (m) => console.log(m) });
  console.log(`workers: ${workers}, kills: ${r.kills}, jobs: ${r.jobs}, lost: ${r.lost}, duplicated: ${r.duplicated} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.exit(r.lost === 0 && r.duplicated === 0 ? 0 : 1);
}
