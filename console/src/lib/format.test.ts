import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ago, backlog, between, bytes, count, duration, rate, time } from './format.ts';

describe('console formatting', () => {
  it('counts', () => {
    assert.deepEqual([0, 999, 1000, 1250, 12_345, 3_400_000, 1.1e9, -2500].map(count), ['0', '999', '1k', '1.3k', '12k', '3.4M', '1.1G', '-2.5k']);
    assert.equal(count(null), '–');
    assert.equal(count(Number.NaN), '–');
  });
  it('rates', () => {
    assert.deepEqual([0, 2.25, 15, 1500].map(rate), ['0/s', '2.3/s', '15/s', '1.5k/s']);
  });
  it('durations', () => {
    assert.deepEqual([850, 1234, 12_345, 245_000, 7_380_000, 3 * 86400_000 + 4 * 3600_000].map(duration), ['850 ms', '1.23 s', '12.3 s', '4m 05s', '2h 03m', '3d 04h']);
    assert.equal(duration(-1), '–');
    assert.equal(duration(null), '–');
  });
  it('between two times, and until now while running', () => {
    assert.equal(between('2026-12-07T16:00:00Z', '2026-12-07T16:00:05Z'), 5000);
    assert.equal(between('2026-12-07T16:00:00Z', null, Date.parse('2026-12-07T16:01:00Z')), 60_000);
    assert.equal(between(null, null), null);
  });
  it('times, absolute and relative', () => {
    assert.match(time('2026-12-07T16:00:03.000Z'), /^2026-12-0[78] \d\d:00:03$/);
    assert.equal(time(null), '–');
    assert.equal(time('not a time'), 'not a time');
    const now = Date.parse('2026-12-07T16:00:00Z');
    assert.deepEqual(['2026-12-07T15:59:48Z', '2026-12-07T15:56:00Z', '2026-12-07T13:00:00Z', '2026-12-05T16:00:00Z'].map((t) => ago(t, now)), ['12 s ago', '4 min ago', '3 h ago', '2 d ago']);
  });
  it('bytes', () => {
    assert.deepEqual([512, 1536, 3.2 * 1024 * 1024, 200 * 1024 ** 3].map(bytes), ['512 B', '1.5 KiB', '3.2 MiB', '200 GiB']);
  });
  it('backlog', () => {
    assert.deepEqual([backlog(1250, 'elements'), backlog(1536, 'bytes'), backlog(null, null), backlog(5, null)], ['1.3k', '1.5 KiB', '–', '–']);
  });
});
