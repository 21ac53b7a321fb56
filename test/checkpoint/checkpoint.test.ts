import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combine, io, kv, LocalRunner, Pipeline, read, RiffleError, window, writeTo, type KV, type LocalRunOptions, type UnboundedSource } from '../../src/index.ts';
import definition, { twoPhaseDirSink } from './fixtures/kill-pipeline.ts';
import { killTest } from './kill-driver.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'riffle-ckpt-'));
}

/** Every published line under `dir` (dot files are unpublished), sorted. */
function published(dir: string): string[] {
  const lines: string[] = [];
  if (!existsSync(dir)) return lines;
  for (const sub of readdirSync(dir, { withFileTypes: true })) {
    const d = sub.isDirectory() ? join(dir, sub.name) : dir;
    const files = sub.isDirectory() ? readdirSync(d) : [sub.name];
    for (const f of files) {
      if (f.startsWith('.')) continue;
      for (const l of readFileSync(join(d, f), 'utf8').split('\n')) if (l !== '') lines.push(`${sub.name}: ${l}`);
    }
  }
  return lines.sort();
}

async function runFixture(output: string, params: Record<string, unknown>, options: LocalRunOptions = {}) {
  const p = Pipeline.create();
  await definition.build(p, definition.parseParams({ output, delayMs: '0', ...params } as never));
  // One worker: checkpointed runs use one, and the reference run is the same job uninterrupted.
  return new LocalRunner().run(p.graph, { workers: 1, ...options, pipelineModule: { path: 'test/checkpoint/fixtures/kill-pipeline.ts', params: {} } });
}

test('a task failure restarts the job from its latest checkpoint: the same output as an uninterrupted run', async () => {
  const dir = tmp();
  try {
    await runFixture(join(dir, 'ref'), { events: '2000' });
    const want = published(join(dir, 'ref'));
    assert.ok(want.length > 100);
    const log: string[] = [];
    const r = await runFixture(join(dir, 'out'), { events: '2000', failAt: '1500', delayMs: '1' }, {
      checkpointDir: join(dir, 'ck'), checkpointIntervalMs: 20, restart: { kind: 'fixed-delay', maxRestarts: 1, delayMs: 10 }, log: (m) => log.push(m),
    });
    assert.equal(r.state, 'DONE');
    assert.ok(log.some((m) => /restarting from its latest checkpoint/.test(m)), log.join('\n'));
    assert.ok(log.some((m) => /resuming from checkpoint \d+/.test(m)), log.join('\n'));
    assert.deepEqual(published(join(dir, 'out')), want);
    // The last 3 complete checkpoints are kept, nothing half-written.
    const left = readdirSync(join(dir, 'ck'));
    assert.ok(left.length <= 3 && left.every((d) => existsSync(join(dir, 'ck', d, '_metadata'))), left.join(','));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a source without positions resumes by reading again and dropping what it pushed', async () => {
  const dir = tmp();
  try {
    await runFixture(join(dir, 'ref'), { events: '1500', positions: 'false' });
    const r = await runFixture(join(dir, 'out'), { events: '1500', positions: 'false', failAt: '1000', delayMs: '1' }, {
      checkpointDir: join(dir, 'ck'), checkpointIntervalMs: 20, restart: { kind: 'exponential-backoff', maxRestarts: 2, delayMs: 5 }, log: () => {},
    });
    assert.equal(r.state, 'DONE');
    assert.deepEqual(published(join(dir, 'out')), published(join(dir, 'ref')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without a restart strategy the failure ends the run; --resume continues it; a damaged checkpoint is skipped for the one before', async () => {
  const dir = tmp();
  try {
    await runFixture(join(dir, 'ref'), { events: '2000' });
    const ck = join(dir, 'ck');
    const opts = { checkpointDir: ck, checkpointIntervalMs: 20, checkpointsRetained: 5, log: () => {} };
    await assert.rejects(runFixture(join(dir, 'out'), { events: '2000', failAt: '1800', delayMs: '1' }, opts), /injected failure/);
    const ids = readdirSync(ck).map((d) => Number(d.slice(4))).sort((a, b) => a - b);
    assert.ok(ids.length >= 2, `checkpoints: ${ids.join(',')}`);
    // Damage the newest checkpoint's first part, and leave a partial one (no metadata) after it.
    const newest = ids[ids.length - 1]!;
    writeFileSync(join(ck, `chk-${newest}`, 'op-0.bin'), 'garbage');
    rmSync(join(ck, `chk-${newest + 1}`), { recursive: true, force: true });
    const log: string[] = [];
    const r = await runFixture(join(dir, 'out'), { events: '2000' }, { ...opts, resume: true, log: (m) => log.push(m) });
    assert.equal(r.state, 'DONE');
    assert.ok(log.some((m) => new RegExp(`chk-${newest} .*damaged`).test(m)), log.join('\n'));
    assert.ok(log.some((m) => new RegExp(`resuming from checkpoint ${ids[ids.length - 2]}`).test(m)), log.join('\n'));
    // Nothing is lost. What the damaged checkpoint's sinks had committed is written again (a sink cannot take back
    // what it published), as the message said: the output is the reference plus exactly those files' lines.
    const got = published(join(dir, 'out'));
    const counts = new Map<string, number>();
    for (const l of got) counts.set(l, (counts.get(l) ?? 0) + 1);
    for (const l of published(join(dir, 'ref'))) {
      assert.ok((counts.get(l) ?? 0) > 0, `lost: ${l}`);
      counts.set(l, counts.get(l)! - 1);
    }
    const again = ['sums', 'totals'].flatMap((s) => {
      const f = join(dir, 'out', s, `part-${String(newest).padStart(6, '0')}-w0.txt`);
      return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').map((l) => `${s}: ${l}`) : [];
    });
    assert.equal([...counts.values()].reduce((a, b) => a + b, 0), again.length);
    assert.ok(log.some((m) => /may be written again/.test(m)), log.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--resume with no complete checkpoint starts from the beginning and says so; a directory of another pipeline is refused', async () => {
  const dir = tmp();
  try {
    const log: string[] = [];
    const ck = join(dir, 'ck');
    const r = await runFixture(join(dir, 'out'), { events: '300' }, { checkpointDir: ck, resume: true, log: (m) => log.push(m) });
    assert.equal(r.state, 'DONE');
    assert.ok(log.some((m) => /no complete checkpoint in .*: starting from the beginning/.test(m)), log.join('\n'));
    // Leave a checkpoint behind (a failed run), then point another pipeline at the directory.
    await assert.rejects(runFixture(join(dir, 'out2'), { events: '2000', failAt: '1900', delayMs: '1' }, { checkpointDir: ck, checkpointIntervalMs: 20, log: () => {} }), /injected failure/);
    const other = Pipeline.create();
    other.apply(io.files.readText(join(dir, 'out', 'sums', '*'))).apply(writeTo(twoPhaseDirSink(join(dir, 'other'))));
    await assert.rejects(new LocalRunner().run(other.graph, { checkpointDir: ck, resume: true, log: () => {} }), (e: unknown) => {
      assert.ok(e instanceof RiffleError && e.code === 'CHECKPOINT_MISMATCH', String(e));
      assert.match(e.message, /holds checkpoints of another pipeline/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file source resumes from its position (file and record): the same lines as an uninterrupted run', async () => {
  const dir = tmp();
  try {
    for (let f = 0; f < 3; f++) writeFileSync(join(dir, `in-${f}.txt`), Array.from({ length: 3000 }, (_, i) => `f${f} line ${i}`).join('\n') + '\n');
    let seen = 0;
    const build = (out: string, failAt: number) => {
      const p = Pipeline.create();
      p.apply(io.files.readText(join(dir, 'in-*.txt'), { batchSize: 100 }))
        .map((l: string) => {
          if (++seen === failAt) throw new Error('injected');
          return l.toUpperCase();
        })
        .apply(writeTo(twoPhaseDirSink(out)));
      return p;
    };
    const ck = join(dir, 'ck');
    await assert.rejects(new LocalRunner().run(build(join(dir, 'out'), 7000).graph, { checkpointDir: ck, checkpointIntervalMs: 5, log: () => {} }), /injected/);
    const parts = JSON.parse(readFileSync(join(ck, readdirSync(ck).sort().at(-1)!, '_metadata'), 'utf8')) as { parts: unknown[] };
    assert.ok(parts.parts.length > 0);
    const r = await new LocalRunner().run(build(join(dir, 'out'), -1).graph, { checkpointDir: ck, resume: true, log: () => {} });
    assert.equal(r.state, 'DONE');
    const got = published(join(dir, 'out')).map((l) => l.replace(/^[^:]+: /, '')).sort();

    const want = [0, 1, 2].flatMap((f) => Array.from({ length: 3000 }, (_, i) => `F${f} LINE ${i}`)).sort();
    assert.deepEqual(got, want);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a run that died after a checkpoint completed and before its sinks committed: the resumed run commits it (nothing lost)', async () => {
  const dir = tmp();
  try {
    await runFixture(join(dir, 'ref'), { events: '1500' });
    const want = published(join(dir, 'ref'));
    assert.ok(want.length > 100);
    // Checkpoint 1 a periodic one (20 ms), then the final checkpoint (an interval longer than the run): it holds every line.
    for (const [name, interval, delayMs] of [['periodic', 20, '1'], ['final', 3_600_000, '0']] as const) {
      const out = join(dir, name);
      const ck = join(dir, `ck-${name}`);
      const log: string[] = [];
      const opts = { checkpointDir: ck, checkpointIntervalMs: interval, log: (m: string) => log.push(m) };
      // The sinks' commit of checkpoint 1 throws: its metadata is written, its pending files are not published.
      await assert.rejects(runFixture(out, { events: '1500', delayMs, failCommit: '1' }, opts), /injected crash before the commit of checkpoint 1/);
      assert.ok(existsSync(join(ck, 'chk-1', '_metadata')), name);
      // No checkpoint after the one whose commit failed (its commit would have published past checkpoint 1's files).
      assert.deepEqual(readdirSync(ck).filter((d) => /^chk-\d+$/.test(d) && d !== 'chk-1'), [], name);
      for (const sink of ['sums', 'totals']) assert.ok(existsSync(join(out, sink, '.pending-1-w0')), `${name}: ${readdirSync(join(out, sink)).join(',')}`);
      const r = await runFixture(out, { events: '1500', delayMs }, { ...opts, resume: true });
      assert.equal(r.state, 'DONE');
      assert.ok(log.some((m) => /resuming from checkpoint 1 /.test(m)), log.join('\n'));
      assert.deepEqual(published(out), want, name);
      // Every pending file was published or removed once a later checkpoint committed.
      for (const sink of ['sums', 'totals']) assert.deepEqual(readdirSync(join(out, sink)).filter((f) => f.startsWith('.')), [], name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('riffle run killed with SIGKILL at random points and resumed: 0 lost, 0 duplicated (3 kills; the tier runs 100)', async () => {
  const r = await killTest({ kills: 3, killsPerJob: 3, parallel: 1, events: 1500 });
  assert.equal(r.lost, 0);
  assert.equal(r.duplicated, 0);
});

test('the Nexmark generator resumes at a batch position with exactly the events after it', async () => {
  const { nexmarkBounded } = await import('../../bench/nexmark/sources.ts');
  const { defaultConfig } = await import('../../bench/nexmark/config.ts');
  const source = nexmarkBounded(defaultConfig({ numEvents: 3000 }), { batchSize: 97 });
  const all: unknown[] = [];
  const positions: Array<{ at: number; position: unknown; watermark: number | undefined }> = [];
  for await (const b of source.read()) {
    all.push(...b.values);
    positions.push({ at: all.length, position: b.position, watermark: b.watermark });
  }
  assert.equal(all.length, 3000);
  for (const p of [positions[0]!, positions[7]!, positions[positions.length - 2]!]) {
    const rest: unknown[] = [];
    const marks: Array<number | undefined> = [];
    for await (const b of source.readFrom!(p.position)) {
      rest.push(...b.values);
      marks.push(b.watermark);
    }
    assert.deepEqual(rest, all.slice(p.at));
    assert.deepEqual(marks, positions.slice(positions.indexOf(p) + 1).map((q) => q.watermark));
  }
});

test('a cancelled run (Ctrl-C, SIGTERM) keeps its last checkpoint: --resume continues it', async () => {
  const dir = tmp();
  try {
    await runFixture(join(dir, 'ref'), { events: '3000' });
    const ck = join(dir, 'ck');
    const cancel = new AbortController();
    const run = runFixture(join(dir, 'out'), { events: '3000', delayMs: '2' }, { checkpointDir: ck, checkpointIntervalMs: 20, signal: cancel.signal, log: () => {} });
    while (!existsSync(ck) || !readdirSync(ck).some((d) => existsSync(join(ck, d, '_metadata')))) await new Promise((r) => setTimeout(r, 10));
    cancel.abort();
    assert.equal((await run).state, 'CANCELLED');
    const log: string[] = [];
    const r = await runFixture(join(dir, 'out'), { events: '3000' }, { checkpointDir: ck, resume: true, log: (m) => log.push(m) });
    assert.equal(r.state, 'DONE');
    assert.ok(log.some((m) => /resuming from checkpoint/.test(m)), log.join('\n'));
    assert.deepEqual(published(join(dir, 'out')), published(join(dir, 'ref')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unbounded source restarts at its checkpointed position; completed checkpoints finalize its positions in order', async () => {
  const dir = tmp();
  try {
    const finalized: number[] = [];
    const source = (n: number): UnboundedSource<KV<string, number>, number> => ({
      kind: 'unbounded',
      describe: () => `counter(${n})`,
      async open(position) {
        let next = position ?? 0;
        return {
          async next() {
            if (next >= n) return null;
            await new Promise((r) => setTimeout(r, 1));
            const values: KV<string, number>[] = [];
            const timestamps: number[] = [];
            for (const end = Math.min(n, next + 25); next < end; next++) {
              values.push(kv(`k${next % 3}`, next));
              timestamps.push(next * 10);
            }
            return { values, timestamps };
          },
          position: () => next,
          watermark: () => (next >= n ? Infinity : next * 10),
          async finalizeCheckpoint(p: number) {
            finalized.push(p);
          },
          async close() {},
        };
      },
    });
    let seen = 0;
    const build = (out: string, failAt: number) => {
      const p = Pipeline.create();
      p.apply(read(source(2000)))
        .map((e: KV<string, number>) => {
          if (++seen === failAt) throw new Error('injected');
          return e;
        })
        .apply(window.into<KV<string, number>>(window.fixed('1s')))
        .apply(combine.perKey(combine.sum((v: number) => v)))
        .map((s: KV<string, number>) => `${s.key} ${s.value}`)
        .apply(writeTo(twoPhaseDirSink(out)));
      return p;
    };
    await new LocalRunner().run(build(join(dir, 'ref'), -1).graph, {});
    seen = 0;
    const log: string[] = [];
    const r = await new LocalRunner().run(build(join(dir, 'out'), 1500).graph, { checkpointDir: join(dir, 'ck'), checkpointIntervalMs: 10, log: (m) => log.push(m), pollIntervalMs: 1 });
    assert.equal(r.state, 'DONE');
    // The default for a job reading an unbounded source: fixed-delay restarts.
    assert.ok(log.some((m) => /restarting from its latest checkpoint .*restart 1 of 3/.test(m)), log.join('\n'));
    const lines = (d: string) => published(d).map((l) => l.replace(/^[^:]+: /, '')).sort();
    assert.deepEqual(lines(join(dir, 'out')), lines(join(dir, 'ref')));
    assert.ok(finalized.length >= 2, `finalized ${finalized.join(',')}`);
    // In checkpoint order within each attempt; the restart goes back at most to the last finalized position.
    let drops = 0;
    for (let i = 1; i < finalized.length; i++) if (finalized[i]! < finalized[i - 1]!) drops++;
    assert.ok(drops === 0, `order ${finalized.join(',')}`);
    // Only positions of completed checkpoints, which are multiples of the source's batches.
    assert.ok(finalized.every((p) => p % 25 === 0 && p <= 2000), `finalized ${finalized.join(',')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('riffle run refuses checkpoint flags it cannot use before any work (exit 2, what to write instead)', async () => {
  const { spawnSync } = await import('node:child_process');
  const dir = tmp();
  try {
    const riffle = (...args: string[]) => spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, '../../src/cli/main.ts'), 'run', join(import.meta.dirname, 'fixtures/kill-pipeline.ts'), `--output=${join(dir, 'out')}`, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, RIFFLE_CHECKPOINT_DIR: '' } });
    const noDir = riffle('--checkpoint-interval', '10s');
    assert.equal(noDir.status, 2, noDir.stderr);
    assert.match(noDir.stderr, /checkpoints need a directory: --checkpoint-dir DIR/);
    const badInterval = riffle('--checkpoint-dir', join(dir, 'ck'), '--checkpoint-interval', 'soon');
    assert.equal(badInterval.status, 2, badInterval.stderr);
    assert.match(badInterval.stderr, /--checkpoint-interval takes a duration such as 500ms, 10s or 2m \(got 'soon'\)/);
    assert.equal(existsSync(join(dir, 'out')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
