import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DagRun, TaskInstance } from '../api/types.ts';
import { buildGantt, ticks } from './gantt-model.ts';

const T = (s: number) => new Date(Date.UTC(2026, 11, 7, 0, 0, s)).toISOString();
const run: DagRun = { dagId: 'd', runId: 'r', runType: 'manual', state: 'running', logicalDate: T(0), queuedAt: T(0), startDate: T(1), endDate: null, conf: {} };
const ti = (taskId: string, start: number | null, end: number | null, mapIndex = -1): TaskInstance =>
  ({ dagId: 'd', runId: 'r', taskId, mapIndex, state: end === null ? 'running' : 'success', tryNumber: 1, maxTries: 1, startDate: start === null ? null : T(start), endDate: end === null ? null : T(end), duration: null, error: null });

describe('Gantt model', () => {
  it('draws started instances by start, running ones up to now, and counts the others', () => {
    const now = Date.parse(T(30));
    const g = buildGantt(run, [ti('load', 10, 20), ti('extract', 2, 9), ti('fan', 12, null, 1), ti('later', null, null)], now);
    assert.deepEqual(g.bars.map((b) => b.label), ['extract', 'load', 'fan[1]']);
    assert.equal(g.notStarted, 1);
    assert.equal(g.from, Date.parse(T(1)));
    assert.equal(g.to, now);
    assert.equal(g.bars[2]!.running, true);
  });
  it('has an axis even with nothing started', () => {
    const g = buildGantt({ ...run, startDate: null }, [ti('x', null, null)], 5000);
    assert.deepEqual([g.from, g.to, g.bars.length], [5000, 5001, 0]);
  });
  it('picks round tick steps', () => {
    assert.deepEqual(ticks(0, 10_000, 5), [0, 2000, 4000, 6000, 8000, 10_000]);
    assert.deepEqual(ticks(0, 3_600_000, 8).slice(0, 3), [0, 600_000, 1_200_000]);
  });
});
