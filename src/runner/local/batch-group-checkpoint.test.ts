// Checkpointed bounded runs keep the batch grouping path (issue 14): the table — and its spilled runs — are
// snapshotted per key group and restored, and a run that failed and resumed gives exactly the uninterrupted output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combine, coders, groupByKey, IntervalWindow, kv, LocalRunner, parDo, Pipeline, read, trigger, window, type BoundedSource, type BoundedWindow, type Coder, type LocalRunOptions, type SourceBatch, type WindowMerge } from '../../index.ts';
import { decodePart } from '../checkpoint/index.ts';

interface Ev {
  readonly user: string;
  readonly amount: number;
}

const BATCH = 25;

/** A deterministic bounded source of `n` events, 1 ms apart per batch, resumable, failing once at `failAt`. */
function events(n: number, opts: { failAt?: { at: number; fired: boolean }; progress?: boolean } = {}): BoundedSource<Ev> {
  const source: BoundedSource<Ev> = {
    kind: 'bounded',
    describe: () => `test-events(${n})`,
    estimateSizeBytes: async () => n * 32,
    split: async () => [source],
    read: () => batches(0),
    readFrom: (position) => batches(position as number),
  };
  async function* batches(from: number): AsyncIterable<SourceBatch<Ev>> {
    for (let i = from; i < n; i += BATCH) {
      await new Promise((r) => setTimeout(r, 1));
      const f = opts.failAt;
      if (f !== undefined && !f.fired && i >= f.at) {
        f.fired = true;
        throw new Error('injected failure');
      }
      const values: Ev[] = [];
      const timestamps: number[] = [];
      for (let j = i; j < Math.min(n, i + BATCH); j++) {
        values.push({ user: `u${(j * 7) % 41}`, amount: j % 13 });
        // Mostly in time order, each user's events bunched so that sessions merge.
        timestamps.push(j * 40 + ((j * 7) % 41) * 3);
      }
      yield { values, timestamps, position: i + BATCH, ...(opts.progress === true ? { watermark: i * 40 } : {}) };
    }
  }
  return source;
}

/** An interval window with a tag (as Nexmark's auction/bid windows carry an auction id): windows of a tag all merge. */
class TaggedWindow extends IntervalWindow {
  constructor(start: number, end: number, readonly tag: number) {
    super(start, end);
  }
  override get key(): string {
    return `${this.start}:${this.end}:${this.tag}`;
  }
}

const intervalCoder = coders.intervalWindow();
const taggedCoder: Coder<BoundedWindow> = {
  name: 'test-tagged-window',
  deterministic: true,
  encode(w, out) {
    intervalCoder.encode(w as TaggedWindow, out);
    out.varUint((w as TaggedWindow).tag);
  },
  decode(input) {
    const i = intervalCoder.decode(input);
    return new TaggedWindow(i.start, i.end, input.varUint());
  },
};

/** A custom merging window function whose merges join windows that do not intersect (it closes only at the end). */
const tagged = window.custom<KvOf>({
  name: 'test-tagged',
  windowCoder: taggedCoder,
  assign: (t, e) => [new TaggedWindow(t, t + 10, e.value % 3)],
  merge(windows): WindowMerge[] {
    const byTag = new Map<number, TaggedWindow[]>();
    for (const w of windows as TaggedWindow[]) byTag.set(w.tag, [...(byTag.get(w.tag) ?? []), w]);
    const merges: WindowMerge[] = [];
    for (const [tag, ws] of byTag) {
      if (ws.length < 2) continue;
      const result = new TaggedWindow(Math.min(...ws.map((w) => w.start)), Math.max(...ws.map((w) => w.end)), tag);
      merges.push({ toMerge: ws, result });
    }
    return merges;
  },
});

type KvOf = { key: string; value: number };

/** Fixed windows (a combine), sessions (groupByKey), the global window, and Nexmark's merging auction/bid windows. */
function build(p: Pipeline, source: BoundedSource<Ev>, out: string[]): void {
  const evs = p.apply('Read', read(source));
  const byUser = evs.map((e) => kv(e.user, e.amount), 'ByUser');
  byUser
    .apply('Fixed', window.into(window.fixed(1000)))
    .apply('Sum', combine.perKey(combine.sum()))
    .apply('OutSum', parDo<unknown, never>({ process: (v, ctx) => void out.push(`sum ${JSON.stringify(v)} @${ctx.window.maxTimestamp}`) }));
  byUser
    .apply('Sessions', window.into(window.sessions(150)))
    .apply('GroupSessions', groupByKey())
    .apply('OutSessions', parDo<unknown, never>({ process: (v, ctx) => void out.push(`session ${JSON.stringify(v)} @${ctx.window.key} ${ctx.timestamp}`) }));
  byUser.apply('GroupAll', groupByKey()).apply('OutAll', parDo<unknown, never>({ process: (v) => void out.push(`all ${JSON.stringify(v)}`) }));
  // A data-driven trigger: the deferred grouping (each key's input handed to the reducer at once), as Nexmark Q11.
  byUser
    .apply('CountSessions', window.into(window.sessions(150), { trigger: trigger.repeatedly(trigger.afterCount(4)), accumulation: 'discarding', allowedLateness: 100 }))
    .apply('CountPerUser', combine.perKey(combine.count<number>()))
    .apply('OutCount', parDo<unknown, never>({ process: (v, ctx) => void out.push(`count ${JSON.stringify(v)} @${ctx.window.key} ${ctx.pane.index}`) }));
  // A custom merging window function with a window coder (as Nexmark's WinningBids).
  byUser
    .apply('Tagged', window.into(tagged))
    .apply('GroupTagged', groupByKey())
    .apply('OutTagged', parDo<unknown, never>({ process: (v, ctx) => void out.push(`tagged ${JSON.stringify(v)} @${ctx.window.key}`) }));
}

async function run(n: number, opts: Parameters<typeof events>[1], runOptions: LocalRunOptions): Promise<{ out: string[]; spilled: number }> {
  const out: string[] = [];
  const p = Pipeline.create();
  build(p, events(n, opts), out);
  const r = await new LocalRunner().run(p.graph, { workers: 1, log: () => {}, ...runOptions });
  return { out: out.sort(), spilled: r.metrics.memory?.bytesSpilled ?? 0 };
}

/** Every grouping step's batch table in the newest complete checkpoint of `dir`. */
function checkpointedTables(dir: string): Array<{ step: string; groups: number; spill: boolean }> {
  return checkpointedParts(dir).tables;
}

function checkpointedParts(dir: string): { tables: Array<{ step: string; groups: number; spill: boolean }>; deferred: Array<{ step: string; groups: number }> } {
  const ids = readdirSync(dir).filter((d) => d.startsWith('chk-')).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  const newest = join(dir, ids[ids.length - 1]!);
  const tables: Array<{ step: string; groups: number; spill: boolean }> = [];
  const deferred: Array<{ step: string; groups: number }> = [];
  for (const f of readdirSync(newest).filter((x) => x.endsWith('.bin'))) {
    const part = decodePart(readFileSync(join(newest, f)), f);
    const state = part.state as { batch?: { groups: unknown[]; spill?: unknown }; deferred?: unknown[] } | undefined;
    if (state?.batch !== undefined) tables.push({ step: part.step, groups: state.batch.groups.length, spill: state.batch.spill !== undefined });
    if (state?.deferred !== undefined) deferred.push({ step: part.step, groups: state.deferred.length });
  }
  return { tables, deferred };
}

for (const spill of [false, true]) {
  test(`a checkpointed bounded run keeps the batch grouping${spill ? ' past its memory budget (spilled runs)' : ''}: failed and resumed, it equals an uninterrupted run`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riffle-batch-ckpt-'));
    try {
      const n = 4000;
      const memory: LocalRunOptions = spill ? { memoryBytes: 300_000 } : {};
      const ref = await run(n, {}, memory);
      assert.ok(ref.out.length > 300, `${ref.out.length} outputs`);
      const ck = join(dir, 'ck');
      const options: LocalRunOptions = { ...memory, checkpointDir: ck, checkpointIntervalMs: 15, checkpointsRetained: 2 };
      await assert.rejects(run(n, { failAt: { at: 3000, fired: false } }, options), /injected failure/);
      // The checkpoint holds the grouping tables themselves (the batch path was taken), per key group.
      const { tables, deferred } = checkpointedParts(ck);
      assert.deepEqual(deferred.map((d) => d.step), ['CountPerUser']);
      assert.ok(deferred[0]!.groups > 1);
      assert.deepEqual(tables.map((t) => t.step).sort(), ['GroupAll', 'GroupSessions', 'GroupTagged', 'Sum']);
      assert.ok(tables.every((t) => t.groups > 1), JSON.stringify(tables));
      if (spill) assert.ok(tables.some((t) => t.spill), `no table had spilled: ${JSON.stringify(tables)}`);
      const resumed = await run(n, {}, { ...options, resume: true });
      if (spill) assert.ok(resumed.spilled > 0);
      assert.deepEqual(resumed.out, ref.out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('with event-time progress, a resumed batch grouping emits each window once: what the failed run emitted before its checkpoint plus what the resumed run emits is the uninterrupted output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-batch-ckpt-'));
  try {
    const n = 4000;
    const progress = { deferredGroupingElements: 400 };
    const ref = await run(n, { progress: true }, progress);
    const ck = join(dir, 'ck');
    const options: LocalRunOptions = { ...progress, checkpointDir: ck, checkpointIntervalMs: 15, checkpointsRetained: 50 };
    const out: string[] = [];
    const p = Pipeline.create();
    build(p, events(n, { progress: true, failAt: { at: 3000, fired: false } }), out);
    await assert.rejects(new LocalRunner().run(p.graph, { workers: 1, log: () => {}, ...options }), /injected failure/);
    assert.equal(checkpointedTables(ck).length, 4);
    const resumed = await run(n, { progress: true }, { ...options, resume: true });
    // Windows that expired before the restored checkpoint are not emitted again; everything after is.
    for (const l of resumed.out) assert.ok(ref.out.includes(l), `not in the reference: ${l}`);
    const union = new Set([...out, ...resumed.out]);
    for (const l of ref.out) assert.ok(union.has(l), `lost: ${l}`);
    assert.ok(resumed.out.length < ref.out.length, 'windows closed before the checkpoint are not emitted again');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
