// File-sink kill test (issue 11 item 5): a pipeline writing 20 shards runs in a child process and is SIGKILLed at
// random points, alternately while it writes and while it commits (the commit is slowed by RIFFLE_COMMIT_DELAY_MS).
// After each kill, a read of the output that honours `_SUCCESS` sees the last complete run's 20 files or the killed
// run's 20 files — never nothing, a partial or a mixed set; after a full rerun no `.riffle-tmp-*` nor lock is left.
// RIFFLE_SINK_KILLS sets the number of kills (npm test: 2, one per phase; .ci/tiers/sink-kill.sh: 30). Every crash point
// of the protocol is also checked deterministically, in-process, by src/io/files/file-commit.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { expandPaths } from '../../src/io/files/index.ts';

const KILLS = Number(process.env.RIFFLE_SINK_KILLS ?? 2);
const ROWS = 2000;
const CHILD = join(import.meta.dirname, 'sink-kill-child.ts');
const COMMIT_DELAY_MS = 4;

interface Child {
  readonly pid: number;
  /** Resolves when the pipeline is about to run. */
  readonly started: Promise<void>;
  /** Resolves with the exit code, or the signal that ended it. */
  readonly ended: Promise<number | NodeJS.Signals>;
  kill(): void;
}

function runChild(out: string, gen: number): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, out, String(gen)], {
    env: { ...process.env, RIFFLE_COMMIT_DELAY_MS: String(COMMIT_DELAY_MS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const started = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('start') && resolve()));
  const ended = new Promise<number | NodeJS.Signals>((resolve) =>
    child.on('exit', (code, signal) => {
      if (code !== null && code !== 0) process.stderr.write(stderr);
      resolve(signal ?? code ?? -1);
    }),
  );
  return { pid: child.pid!, started, ended, kill: () => child.kill('SIGKILL') };
}

/**
 * What a reader honouring the marker sees of `<out>/part-*.jsonl`: rows, the generations they hold, and whether the
 * files are a whole shard set (`-SSSSS-of-NNNNN` for every S < N, once; about 20 — the runner decides the bundles).
 */
async function read(out: string): Promise<{ wholeShardSet: boolean; rows: number; gens: Set<number> }> {
  const paths = await expandPaths(join(out, 'part-*.jsonl'));
  const shards = paths.map((p) => /-(\d{5})-of-(\d{5})\.jsonl$/.exec(p)!).map((m) => [Number(m[1]), Number(m[2])] as const);
  const wholeShardSet = shards.every(([s, n], i) => s === i && n === shards.length);
  const gens = new Set<number>();
  let rows = 0;
  for (const p of paths) {
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      if (line === '') continue;
      gens.add((JSON.parse(line) as { gen: number }).gen);
      rows++;
    }
  }
  return { wholeShardSet, rows, gens };
}

/** Whether the child with this pid holds the directory's commit lock (its run id carries its pid). */
function holdsLock(out: string, pid: number): boolean {
  try {
    return readFileSync(join(out, '.riffle-commit.lock'), 'utf8').includes(`-${pid}.`);
  } catch {
    return false;
  }
}

/** Whether a kill hit a commit: the killed child left the lock, or renames pending after its commit point. */
function inCommit(out: string, pid: number): boolean {
  const m = JSON.parse(readFileSync(join(out, '_SUCCESS'), 'utf8')) as { sets: Array<{ pending?: unknown }> };
  return holdsLock(out, pid) || m.sets.some((s) => s.pending !== undefined);
}

const leftovers = (out: string) => readdirSync(out).filter((n) => n.startsWith('.'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`file sink: ${KILLS} SIGKILLs over writes and commits never expose a partial output`, { timeout: 60_000 + KILLS * 20_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'riffle-sink-kill-'));
  try {
    // A complete run first: the "old complete set", and the durations of the write and commit phases.
    const first = runChild(out, 0);
    await first.started;
    const t0 = Date.now();
    let lockAt = 0;
    while (lockAt === 0 && !(await Promise.race([first.ended.then(() => true), sleep(1).then(() => false)]))) {
      if (holdsLock(out, first.pid)) lockAt = Date.now();
    }
    assert.equal(await first.ended, 0);
    const writeMs = Math.max(20, (lockAt || Date.now()) - t0);
    const commitMs = Math.max(20, Date.now() - (lockAt || Date.now()));
    let committed = 0; // the generation readers should see when a kill leaves the old set
    assert.deepEqual(await read(out), { wholeShardSet: true, rows: ROWS, gens: new Set([0]) });

    let duringCommit = 0;
    let sawNew = 0;
    for (let k = 1; k <= KILLS; k++) {
      const child = runChild(out, k);
      await child.started;
      if (k % 2 === 1) {
        // Kill during the commit: wait for the lock, then a random part of the commit's duration.
        const deadline = Date.now() + 10 * (writeMs + commitMs) + 5000;
        while (!holdsLock(out, child.pid) && Date.now() < deadline) await sleep(1);
        await sleep(Math.random() * commitMs);
      } else {
        await sleep(Math.random() * writeMs);
      }
      child.kill();
      const ended = await child.ended;
      if (inCommit(out, child.pid)) duringCommit++;
      const seen = await read(out);
      assert.equal(seen.gens.size, 1, `kill ${k}: files of several runs visible: ${[...seen.gens]}`);
      const gen = [...seen.gens][0]!;
      assert.ok(gen === committed || gen === k, `kill ${k}: run ${gen} visible, expected ${committed} or ${k}`);
      assert.deepEqual({ wholeShardSet: seen.wholeShardSet, rows: seen.rows }, { wholeShardSet: true, rows: ROWS }, `kill ${k} (${String(ended)}): a partial set of run ${gen} is visible`);
      if (gen === k) sawNew++;
      committed = gen;
    }
    // A full rerun finishes whatever the kills left: the new complete set, no temp dir, no lock.
    const last = runChild(out, KILLS + 1);
    assert.equal(await last.ended, 0);
    assert.deepEqual(await read(out), { wholeShardSet: true, rows: ROWS, gens: new Set([KILLS + 1]) });
    assert.deepEqual(leftovers(out), []);
    assert.deepEqual(readdirSync(out).filter((n) => !n.startsWith('part-')), ['_SUCCESS']);
    process.stdout.write(
      `# sink-kill: ${KILLS} kills (write phase ~${writeMs} ms, commit ~${commitMs} ms): ${duringCommit} hit a commit; ` +
        `readers then saw the killed run's complete set ${sawNew} times, the previous complete set ${KILLS - sawNew} times\n`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
