import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DagRun, TaskInstance } from '../api/types.ts';
import { buildGrid, cellState, GRID_GEOMETRY as G, hitCell, runSummary, visibleRows } from './grid-model.ts';

const run = (runId: string, logicalDate: string): DagRun => ({ dagId: 'd', runId, runType: 'scheduled', state: 'success', logicalDate, queuedAt: logicalDate, startDate: null, endDate: null, conf: {} });
const ti = (runId: string, taskId: string, state: string, start: string | null, mapIndex = -1): TaskInstance => ({ dagId: 'd', runId, taskId, mapIndex, state, tryNumber: 1, maxTries: 1, startDate: start, endDate: null, duration: null, error: null });

describe('DAG grid model', () => {
  const runs = [run('r2', '2026-12-02T00:00:00Z'), run('r1', '2026-12-01T00:00:00Z')];
  const instances = new Map([
    ['r1', [ti('r1', 'load', 'success', '2026-12-01T00:02:00Z'), ti('r1', 'extract', 'success', '2026-12-01T00:01:00Z')]],
    ['r2', [ti('r2', 'extract', 'failed', '2026-12-02T00:01:00Z'), ti('r2', 'load', 'upstream_failed', null),
      ti('r2', 'fan', 'success', '2026-12-02T00:03:00Z', 0), ti('r2', 'fan', 'failed', '2026-12-02T00:03:00Z', 1), ti('r2', 'never', 'none', null)]],
  ]);
  const g = buildGrid(runs, instances);

  it('orders runs oldest first and tasks by first start, never-started last', () => {
    assert.deepEqual(g.runs.map((r) => r.runId), ['r1', 'r2']);
    assert.deepEqual(g.tasks, ['extract', 'load', 'fan', 'never']);
  });
  it('holds each cell state, null where a run has no instance, and a mapped task by its worst instance', () => {
    assert.equal(cellState(g, 0, 0), 'success');
    assert.equal(cellState(g, 0, 1), 'failed');
    assert.equal(cellState(g, 1, 1), 'upstream_failed');
    assert.equal(cellState(g, 2, 0), null);
    assert.equal(cellState(g, 2, 1), 'failed');
    assert.equal(g.counts[2 * 2 + 1], 2);
    assert.deepEqual(runSummary(g, 1), { failed: 2, upstream_failed: 1, none: 1 });
  });
  it('hit-tests cells from pointer positions', () => {
    assert.equal(hitCell(g, G, G.labelWidth - 1, G.headerHeight + 1), null);
    assert.equal(hitCell(g, G, G.labelWidth + 1, G.headerHeight - 1), null);
    assert.deepEqual(hitCell(g, G, G.labelWidth + G.colWidth + 1, G.headerHeight + 2 * G.rowHeight + 1), { row: 2, col: 1 });
    assert.equal(hitCell(g, G, G.labelWidth + 2 * G.colWidth + 1, G.headerHeight + 1), null);
    assert.equal(hitCell(g, G, G.labelWidth + 1, G.headerHeight + 4 * G.rowHeight + 1), null);
  });
  it('builds a 1,000-task × 25-run grid quickly and shows only the visible rows', () => {
    const many = Array.from({ length: 25 }, (_, i) => run(`r${i}`, new Date(Date.UTC(2026, 0, 1 + i)).toISOString()));
    const tis = new Map(many.map((r, i) => [r.runId, Array.from({ length: 1000 }, (_, t) => ti(r.runId, `task_${t}`, t % 97 === 0 ? 'failed' : 'success', new Date(Date.UTC(2026, 0, 1 + i, 0, 0, t)).toISOString()))]));
    const started = performance.now();
    const big = buildGrid(many, tis);
    const ms = performance.now() - started;
    assert.equal(big.tasks.length, 1000);
    assert.equal(big.tasks[999], 'task_999');
    assert.ok(ms < 500, `built in ${ms.toFixed(0)} ms`);
    assert.deepEqual(visibleRows(big, G, 0, 600), { first: 0, last: Math.ceil((600 - G.headerHeight) / G.rowHeight) });
    const deep = visibleRows(big, G, G.headerHeight + 500 * G.rowHeight, 400);
    assert.equal(deep.first, 500);
    assert.equal(visibleRows(big, G, 1e9, 400).last, 999);
  });
});
