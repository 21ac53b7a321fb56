import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeProgress, formatBytes, formatDuration, ProgressReporter } from './progress.ts';

function fakeSink(isTTY: boolean) {
  const writes: string[] = [];
  return { sink: { isTTY, write: (t: string) => void writes.push(t) }, writes };
}

const base = { phase: 'reading', elementsProcessed: 0, deadLetters: 0 } as const;
const p = (elementsRead: number, sourcesDone = 0) => ({ ...base, elementsRead, sourcesDone, sources: 2, bytesEstimated: 0 });

describe('ProgressReporter', () => {
  it('redraws one line on a terminal, at most once per interval, and clears it at the end', () => {
    let t = 0;
    const { sink, writes } = fakeSink(true);
    const r = new ProgressReporter(sink, { now: () => t, ttyIntervalMs: 100 });
    r.update(p(10));
    t = 50;
    r.update(p(20)); // too soon
    t = 1500;
    r.update(p(3000, 1));
    r.finish();
    assert.deepEqual(writes, ['\rread 10 elements · sources 0/2 done · 0ms\x1b[K', '\rread 3,000 elements · sources 1/2 done · 1.5s\x1b[K', '\r\x1b[K']);
  });

  it('prints whole lines elsewhere, none before the first interval, and clears nothing', () => {
    let t = 0;
    const { sink, writes } = fakeSink(false);
    const r = new ProgressReporter(sink, { now: () => t, lineIntervalMs: 5000 });
    r.update(p(10));
    t = 4000;
    r.update(p(20));
    t = 5000;
    r.update(p(30));
    t = 7000;
    r.tick();
    t = 10_000;
    r.tick();
    r.finish();
    assert.deepEqual(writes, ['read 30 elements · sources 0/2 done · 5.0s\n', 'read 30 elements · sources 0/2 done · 10.0s\n']);
  });

  it('shows nothing until the engine reports', () => {
    const { sink, writes } = fakeSink(true);
    const r = new ProgressReporter(sink, { now: () => 1e6 });
    r.tick();
    r.finish();
    assert.deepEqual(writes, []);
  });
});

describe('formatting', () => {
  it('describes progress with bytes when known', () => {
    assert.equal(describeProgress({ ...base, elementsRead: 1, sourcesDone: 1, sources: 1, bytesEstimated: 3 * 1024 * 1024 }, 61_000), 'read 1 element · sources 1/1 done · 3.0 MB · 1m01s');
  });
  it('names the stage at work once reading is done, and counts rejected records', () => {
    const finishing = { elementsRead: 5000, sourcesDone: 1, sources: 1, bytesEstimated: 9, phase: 'finishing', step: 'Count/Combine', elementsProcessed: 1234, deadLetters: 3 } as const;
    assert.equal(describeProgress(finishing, 2500), "read 5,000 elements · finishing 'Count/Combine' · 1,234 elements out · 3 rejected · 2.5s");
  });
  it('formats bytes and durations', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatDuration(850), '850ms');
    assert.equal(formatDuration(3_723_000), '1h02m');
  });
});
