/**
 * The positions kill test: `riffle run test/checkpoint/fixtures/positions-pipeline.ts` (CSV files read by byte
 * offsets, a Delta table followed by io.delta.stream) with --checkpoint-dir/--checkpoint-interval, SIGKILLed at random
 * points and resumed with --resume until it completes; every CSV record and every Delta row must be in the committed
 * output exactly once.
 *
 *   node --import tsx test/checkpoint/positions-kill.ts [kills]
 *
 * Prints `kills: N, jobs: J, lost: L, duplicated: D` and exits 1 unless both are 0.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeltaTable } from '../../src/lakehouse/index.ts';

const root = resolve(import.meta.dirname, '../..');
const pipeline = join(root, 'test/checkpoint/fixtures/positions-pipeline.ts');
const cli = join(root, 'src/cli/main.ts');

export interface PositionsKillReport {
  kills: number;
  jobs: number;
  lost: number;
  duplicated: number;
}

function run(args: readonly string[], killAfterMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', pipeline, '--no-progress', '--workers', '1', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
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

function committed(dir: string): string[] {
  const lines: string[] = [];
  for (const sub of ['csv', 'delta']) {
    const d = join(dir, sub);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) {
      if (f.startsWith('.')) continue;
      for (const l of readFileSync(join(d, f), 'utf8').split('\n')) if (l !== '') lines.push(l);
    }
  }
  return lines;
}

/** The inputs: two CSV files whose notes hold quoted line ends, and a Delta table with `last` versions of rows. */
async function inputs(work: string, last: number): Promise<string[]> {
  const want: string[] = [];
  mkdirSync(join(work, 'in'));
  let id = 0;
  for (let f = 0; f < 2; f++) {
    const rows = ['id,note'];
    for (let i = 0; i < 800; i++, id++) {
      const note = i % 7 === 0 ? `line one\nline "two" of ${id}` : `note ${id}`;
      rows.push(`${id},"${note.replace(/"/g, '""')}"`);
      want.push(`csv ${id} ${JSON.stringify(note)}`);
    }
    writeFileSync(join(work, 'in', `part-${f}.csv`), rows.join('\r\n') + '\r\n');
  }
  const table = await DeltaTable.create(join(work, 'table'), { schema: { id: 'long', part: 'string' }, partitionBy: ['part'] });
  let n = 0;
  for (let v = 1; v <= last; v++) {
    await table.append(Array.from({ length: 150 }, () => ({ id: BigInt(n), part: `p${n++ % 2}` })));
  }
  for (let i = 0; i < n; i++) want.push(`delta ${i}`);
  return want;
}

function compare(want: readonly string[], got: readonly string[]): { lost: number; duplicated: number } {
  const counts = new Map<string, number>();
  for (const l of want) counts.set(l, (counts.get(l) ?? 0) + 1);
  for (const l of got) counts.set(l, (counts.get(l) ?? 0) - 1);
  let lost = 0;
  let duplicated = 0;
  for (const c of counts.values()) {
    if (c > 0) lost += c;
    else if (c < 0) duplicated -= c;
  }
  return { lost, duplicated };
}

/** Jobs of up to `killsPerJob` kills each, until `kills` kills landed. */
export async function positionsKillTest(o: { kills: number; killsPerJob?: number; log?: (m: string) => void }): Promise<PositionsKillReport> {
  const work = mkdtempSync(join(tmpdir(), 'riffle-positions-kill-'));
  const log = o.log ?? (() => {});
  const last = 6;
  try {
    const want = await inputs(work, last);
    const common = [`--csv=${join(work, 'in', '*.csv')}`, `--table=${join(work, 'table')}`, `--last=${last}`];
    const ref = await run([`--output=${join(work, 'ref')}`, ...common]);
    if (ref.code !== 0) throw new Error(`the uninterrupted run failed (${ref.code}): ${ref.stderr}`);
    const refDiff = compare(want, committed(join(work, 'ref')));
    if (refDiff.lost + refDiff.duplicated > 0) throw new Error(`the uninterrupted run's output is wrong: lost ${refDiff.lost}, duplicated ${refDiff.duplicated}`);
    const report: PositionsKillReport = { kills: 0, jobs: 0, lost: 0, duplicated: 0 };
    while (report.kills < o.kills) {
      const j = report.jobs++;
      const out = join(work, `job-${j}`);
      const args = [`--output=${out}`, ...common, '--checkpoint-dir', join(work, `ck-${j}`), '--checkpoint-interval', '100ms'];
      let resume = false;
      let done = false;
      for (let k = 0; k < (o.killsPerJob ?? 5) && report.kills < o.kills; k++) {
        const r = await run([...args, ...(resume ? ['--resume'] : [])], Math.floor(Math.random() * ref.ms * 1.1));
        if (r.signal === 'SIGKILL') report.kills++;
        else if (r.code !== 0) throw new Error(`job ${j}: a run failed (${r.code}): ${r.stderr}`);
        else {
          done = true;
          break;
        }
        resume = true;
      }
      if (!done) {
        const r = await run([...args, ...(resume ? ['--resume'] : [])]);
        if (r.code !== 0) throw new Error(`job ${j}: the final run failed (${r.code}): ${r.stderr}`);
      }
      const diff = compare(want, committed(out));
      report.lost += diff.lost;
      report.duplicated += diff.duplicated;
      log(`job ${j}: lost ${diff.lost}, duplicated ${diff.duplicated}`);
    }
    return report;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const kills = Number(process.argv[2] ?? 20);
  const r = await positionsKillTest({ kills, log: (m) => console.log(m) });
  console.log(`kills: ${r.kills}, jobs: ${r.jobs}, lost: ${r.lost}, duplicated: ${r.duplicated}`);
  if (r.lost > 0 || r.duplicated > 0) process.exit(1);
}
