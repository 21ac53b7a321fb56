import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from '../../model/index.ts';
import { PartitionWatermarks } from './partition-watermarks.ts';

describe('PartitionWatermarks', () => {
  it('is the minimum over partitions of (largest timestamp − maxDelay), never decreasing', () => {
    const w = new PartitionWatermarks({ maxDelayMs: 100, idleMs: 1000, brokerTime: false }, ['a', 'b'], 0);
    w.observe('a', 5000, 10);
    assert.equal(w.watermark(10), MIN_TIMESTAMP, 'b has not been read yet');
    w.observe('b', 3000, 20);
    assert.equal(w.watermark(20), 2900);
    w.observe('b', 2000, 30); // out of order within maxDelay: the partition's watermark stays
    assert.equal(w.partitionWatermark('b'), 2900);
    w.observe('b', 9000, 40);
    assert.equal(w.watermark(40), 4900);
  });

  it('leaves out a caught-up partition without records for idleMs; all idle → the largest; back from idle never moves it back', () => {
    const w = new PartitionWatermarks({ maxDelayMs: 0, idleMs: 1000, brokerTime: false }, ['a', 'b', 'c'], 0);
    w.observe('a', 5000, 0);
    w.observe('b', 7000, 0);
    w.setCaughtUp('c', true);
    assert.equal(w.watermark(500), MIN_TIMESTAMP, 'c is caught up but not idle yet');
    assert.equal(w.watermark(1000), 5000, 'c idle: min over a and b');
    w.setCaughtUp('a', true);
    w.setCaughtUp('b', true);
    assert.deepEqual([w.isIdle('a', 1000), w.isIdle('b', 999)], [true, false]);
    assert.equal(w.watermark(1000), 7000, 'only b counts');
    assert.equal(w.watermark(2000), 7000, 'all idle: the largest');
    w.observe('a', 5500, 2100); // a is active again, behind the watermark
    assert.equal(w.watermark(2100), 7000, 'never decreases (a\'s records before 7000 are late)');
  });

  it('with broker time (logAppend), an idle partition advances to now − idleMs and still counts', () => {
    const w = new PartitionWatermarks({ maxDelayMs: 0, idleMs: 1000, brokerTime: true }, ['a', 'b'], 50_000);
    w.observe('a', 50_000, 50_000);
    w.setCaughtUp('b', true);
    assert.equal(w.watermark(50_500), MIN_TIMESTAMP);
    assert.equal(w.watermark(60_000), 50_000, 'b idle: now − idleMs = 59000, a at 50000');
    w.setCaughtUp('a', true);
    assert.equal(w.watermark(70_000), 69_000);
  });

  it('done partitions (a bounded read) are left out; all done → MAX_TIMESTAMP', () => {
    const w = new PartitionWatermarks({ maxDelayMs: 0, idleMs: 1000, brokerTime: false }, ['a', 'b'], 0);
    w.observe('a', 100, 0);
    w.setDone('b');
    assert.equal(w.watermark(0), 100);
    w.setDone('a');
    assert.equal(w.watermark(0), MAX_TIMESTAMP);
  });
});
