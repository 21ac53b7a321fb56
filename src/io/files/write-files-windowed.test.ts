import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTimestamped, IntervalWindow, io, Pipeline, testStream, trigger, window, type AccumulationMode } from '../../index.ts';
import { paneLabel, windowLabel } from './shard-labels.ts';
import type { WrittenFile } from './write-files.ts';

const sec = (s: number) => s * 1000;
const tmp = () => mkdtempSync(join(tmpdir(), 'riffle-write-w-'));
const W0 = '19700101T000000.000Z-19700101T000100.000Z';
const W1 = '19700101T000100.000Z-19700101T000200.000Z';

/** Window [0, 60s): a, b early (count 2), the on-time pane at watermark 61s, c late; window [60s, 120s): d. */
async function run(accumulation: AccumulationMode, numShards?: number): Promise<{ dir: string; files: Map<string, string>; written: WrittenFile[] }> {
  const dir = tmp();
  const p = Pipeline.create();
  const stream = testStream<string>()
    .addElements({ value: 'a', timestamp: sec(5) }, { value: 'b', timestamp: sec(6) })
    .addElements({ value: 'd', timestamp: sec(70) })
    .advanceWatermarkTo(sec(61))
    .addElements({ value: 'c', timestamp: sec(7) })
    .advanceWatermarkToInfinity();
  const written: WrittenFile[] = [];
  p.apply(stream)
    .apply(
      window.into<string>(window.fixed('1m'), {
        trigger: trigger.afterWatermark({ early: trigger.afterCount(2), late: trigger.afterCount(1) }),
        allowedLateness: '5m',
        accumulation,
      }),
    )
    .apply(io.files.writeText(join(dir, 'out'), { numShards }))
    .map((f) => written.push(f));
  await p.run();
  const files = new Map(readdirSync(dir).filter((f) => f !== '_SUCCESS').map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
  return { dir, files, written };
}

test('windowed write, accumulating panes: one file set per window and pane, each with everything so far', async () => {
  const { files, written } = await run('accumulating');
  assert.deepEqual(
    [...files].sort(),
    [
      [`out-${W0}-pane-00000-early-00000-of-00001.txt`, 'a\nb\n'],
      [`out-${W0}-pane-00001-on_time-00000-of-00001.txt`, 'a\nb\n'],
      [`out-${W0}-pane-00002-late-00000-of-00001.txt`, 'a\nb\nc\n'],
      [`out-${W1}-pane-00000-on_time-00000-of-00001.txt`, 'd\n'],
    ],
  );
  const late = written.find((f) => f.pane?.timing === 'LATE')!;
  assert.deepEqual({ window: late.window, pane: late.pane, count: late.count }, { window: W0, pane: { index: 2, timing: 'LATE', isLast: false }, count: 3 });
  assert.ok(late.path.endsWith(`out-${W0}-pane-00002-late-00000-of-00001.txt`));
});

test('windowed write, discarding panes: only the new elements (an empty on-time pane is an empty file)', async () => {
  const { files } = await run('discarding');
  assert.deepEqual(
    [...files].sort(),
    [
      [`out-${W0}-pane-00000-early-00000-of-00001.txt`, 'a\nb\n'],
      [`out-${W0}-pane-00001-on_time-00000-of-00001.txt`, ''],
      [`out-${W0}-pane-00002-late-00000-of-00001.txt`, 'c\n'],
      [`out-${W1}-pane-00000-on_time-00000-of-00001.txt`, 'd\n'],
    ],
  );
});

test('windowed write with numShards: each pane spread over that many files', async () => {
  const { files, written } = await run('accumulating', 2);
  assert.equal(files.size, 8);
  assert.equal(files.get(`out-${W0}-pane-00002-late-00000-of-00002.txt`), 'a\nc\n');
  assert.equal(files.get(`out-${W0}-pane-00002-late-00001-of-00002.txt`), 'b\n');
  assert.equal(files.get(`out-${W1}-pane-00000-on_time-00001-of-00002.txt`), '');
  assert.equal(written.length, 8);
});

test('bounded windowed input (default trigger): one final on-time pane per window', async () => {
  const dir = tmp();
  const p = Pipeline.create();
  p.apply(createTimestamped([{ value: { n: 1 }, timestamp: sec(1) }, { value: { n: 2 }, timestamp: sec(61) }]))
    .apply(window.into<{ n: number }>(window.fixed('1m')))
    .apply(io.files.writeJsonl(join(dir, 'w', 'n'), { compression: 'gzip' }));
  await p.run();
  assert.deepEqual(readdirSync(join(dir, 'w')).sort(), ['_SUCCESS', `n-${W0}-pane-00000-on_time-final-00000-of-00001.jsonl.gz`, `n-${W1}-pane-00000-on_time-final-00000-of-00001.jsonl.gz`]);
});

test('window and pane labels', () => {
  assert.equal(windowLabel(new IntervalWindow(0, sec(60))), W0);
  assert.equal(paneLabel({ index: 2, timing: 'LATE', isLast: true, isFirst: false, nonSpeculativeIndex: 1 }), 'pane-00002-late-final');
  assert.equal(paneLabel({ index: 0, timing: 'EARLY', isLast: false, isFirst: true, nonSpeculativeIndex: -1 }), 'pane-00000-early');
});

test('a windowed rerun replaces the previous run’s panes: its first pane starts a new set, later panes add to it', async () => {
  const dir = tmp();
  const once = async (values: Array<{ n: number; t: number }>) => {
    const p = Pipeline.create();
    p.apply(createTimestamped(values.map((v) => ({ value: v, timestamp: sec(v.t) }))))
      .apply(window.into<{ n: number; t: number }>(window.fixed('1m')))
      .apply(io.files.writeJsonl(join(dir, 'n')));
    await p.run();
    return readdirSync(dir).sort();
  };
  assert.equal((await once([{ n: 1, t: 1 }, { n: 2, t: 61 }])).length, 3);
  assert.deepEqual(await once([{ n: 3, t: 61 }, { n: 4, t: 121 }]), [
    '_SUCCESS',
    `n-${W1}-pane-00000-on_time-final-00000-of-00001.jsonl`,
    'n-19700101T000200.000Z-19700101T000300.000Z-pane-00000-on_time-final-00000-of-00001.jsonl',
  ]);
  assert.equal(readFileSync(join(dir, `n-${W1}-pane-00000-on_time-final-00000-of-00001.jsonl`), 'utf8'), '{"n":3,"t":61}\n');
});
