import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapStatistics } from 'node:v8';
import { ConfigError } from '../../model/index.ts';
import { DEFAULT_HEAP_FRACTION, defaultJobMemory, MemoryBudget, parseSize } from './memory-budget.ts';

describe('parseSize', () => {
  it('reads bytes and binary units', () => {
    assert.equal(parseSize('64m'), 64 * 1024 * 1024);
    assert.equal(parseSize('1g'), 1024 ** 3);
    assert.equal(parseSize('512k'), 512 * 1024);
    assert.equal(parseSize('1.5GiB'), 1.5 * 1024 ** 3);
    assert.equal(parseSize(' 2 MB '), 2 * 1024 * 1024);
    assert.equal(parseSize('1000'), 1000);
    assert.equal(parseSize(4096), 4096);
  });

  it('rejects anything else with a ConfigError that names the option and says what to give', () => {
    for (const bad of ['', 'lots', '64x', '-1m', '0', '1e3', 'm', '1 g b', 0, -5, NaN, Infinity]) {
      assert.throws(
        () => parseSize(bad as string | number, '--memory'),
        (e: unknown) => e instanceof ConfigError && /--memory .* is not a size/.test(e.message) && /'64m'/.test(e.message),
        `should reject ${String(bad)}`,
      );
    }
  });
});

describe('MemoryBudget', () => {
  it('defaults to a fraction of the heap limit', () => {
    const limit = getHeapStatistics().heap_size_limit;
    assert.equal(MemoryBudget.forJob().limit, defaultJobMemory());
    assert.equal(defaultJobMemory(), Math.floor(limit * DEFAULT_HEAP_FRACTION));
    assert.ok(DEFAULT_HEAP_FRACTION > 0 && DEFAULT_HEAP_FRACTION <= 0.5);
  });

  it('splits among workers and operators; a reservation must fit every ancestor', () => {
    const job = MemoryBudget.forJob(parseSize('1m'));
    const [w0, w1] = job.split(2);
    assert.equal(w0!.limit, 512 * 1024);
    const a = w0!.child('gbk', 0.75);
    const b = w0!.child('state', 0.75);
    assert.equal(a.tryReserve(300 * 1024), true);
    assert.equal(b.tryReserve(300 * 1024), false, 'the worker has only 212k left');
    assert.equal(b.tryReserve(200 * 1024), true);
    assert.equal(w1!.tryReserve(512 * 1024), true);
    assert.equal(job.bytesInMemory, 1012 * 1024);
    a.release(300 * 1024);
    assert.equal(w0!.bytesInMemory, 200 * 1024);
    a.recordSpill(1000, 2);
    const m = job.metricsTree();
    assert.equal(m['job']!.bytesSpilled, 1000);
    assert.equal(m['job']!.runsWritten, 2);
    assert.equal(m['job/worker 0/gbk']!.peakBytesInMemory, 300 * 1024);
    assert.equal(m['job/worker 1']!.bytesSpilled, 0);
  });

  it('refuses a bad number of workers', () => {
    assert.throws(() => MemoryBudget.of('1m').split(0), ConfigError);
  });
});
