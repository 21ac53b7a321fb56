import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from '../../model/index.ts';
import { BarrierTracker, WatermarkValve } from './watermark-valve.ts';

test('the output is the minimum over active channels and never goes back', () => {
  const v = new WatermarkValve(2);
  assert.equal(v.output, MIN_TIMESTAMP);
  assert.equal(v.watermark(0, 10), false, 'channel 1 is still at -inf');
  assert.equal(v.watermark(1, 5), true);
  assert.equal(v.output, 5);
  assert.equal(v.watermark(1, 3), false, 'a smaller watermark is ignored');
  assert.equal(v.watermark(1, 20), true);
  assert.equal(v.output, 10);
});

test('idle channels are left out; a channel back from idleness cannot pull the output back', () => {
  const v = new WatermarkValve(2);
  v.watermark(0, 5);
  assert.equal(v.idle(1, true), true, 'channel 1 idle: channel 0 alone decides');
  assert.equal(v.output, 5);
  v.watermark(0, 50);
  assert.equal(v.output, 50);
  v.idle(1, false);
  assert.equal(v.output, 50, 'channel 1 is behind (at -inf): not aligned, output stays');
  v.watermark(0, 70);
  assert.equal(v.output, 70, 'the unaligned channel does not hold the output');
  v.watermark(1, 60);
  assert.equal(v.output, 70);
  v.watermark(1, 80);
  v.watermark(0, 90);
  assert.equal(v.output, 80, 'aligned again once it caught up: it holds the output');
});

test('all channels idle: the valve is idle and its output stays', () => {
  const v = new WatermarkValve(2);
  v.watermark(0, 5);
  v.watermark(1, 7);
  v.idle(0, true);
  v.idle(1, true);
  assert.equal(v.isIdle, true);
  assert.equal(v.output, 7);
});

test('all channels idle, the one with the larger watermark first: the output moves to the largest (Flink\'s valve)', () => {
  const v = new WatermarkValve(2);
  v.watermark(0, 4900);
  v.idle(0, true);
  assert.equal(v.output, MIN_TIMESTAMP, 'channel 1 (at −∞) still active: it decides');
  v.idle(1, true);
  assert.equal(v.isIdle, true);
  assert.equal(v.output, 4900, 'all idle: not held at the last active channel\'s −∞');
  v.watermark(0, 5000);
  assert.equal(v.output, 5000, 'an idle channel advancing moves an all-idle valve');
  v.idle(1, false);
  v.watermark(0, 6000);
  assert.equal(v.output, 5000, 'channel 1 active again, behind: not aligned, and it cannot pull the output back');
});

test('ended channels count as +inf; the valve ends with its last channel', () => {
  const v = new WatermarkValve(2);
  v.watermark(0, 5);
  v.end(1);
  assert.equal(v.output, 5);
  assert.equal(v.ended, false);
  v.end(0);
  assert.equal(v.output, MAX_TIMESTAMP);
  assert.equal(v.ended, true);
  assert.equal(v.watermark(0, 6), false);
});

test('a barrier completes once every live channel delivered it', () => {
  const v = new WatermarkValve(3);
  const b = new BarrierTracker(3);
  const ended = (c: number) => v.isEnded(c);
  assert.equal(b.barrier(0, 1, ended), false);
  v.end(2);
  assert.equal(b.barrier(1, 1, ended), true);
});
