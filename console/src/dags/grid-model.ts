/**
 * The DAG grid (runs × tasks, as Airflow's grid view) as plain data the canvas draws: columns are runs (oldest
 * left), rows are task ids, each cell the state of the task in that run (a mapped task's instances summarised by
 * the worst state). Cells are a flat array (row-major) so that a 1,000-task DAG is one allocation; `hitCell` turns
 * a pointer position into a cell.
 *
 * Row order: the server does not give a DAG's task dependencies yet, so tasks are ordered by when they first
 * started across the runs shown (never-started ones last), then by id — upstream tasks come first in practice.
 */
import type { DagRun, TaskInstance } from '../api/types.ts';
import { worse } from './task-states.ts';

export interface GridModel {
  runs: DagRun[];
  tasks: string[];
  /** `cells[row * runs.length + col]`: the state, or null when the run has no instance of the task. */
  cells: Array<string | null>;
  /** How many instances a cell summarises (mapped tasks have several). */
  counts: Uint16Array;
}

export function buildGrid(runs: readonly DagRun[], instances: ReadonlyMap<string, readonly TaskInstance[]>): GridModel {
  const ordered = [...runs].sort((a, b) => Date.parse(a.logicalDate) - Date.parse(b.logicalDate) || a.runId.localeCompare(b.runId));
  const firstStart = new Map<string, number>();
  for (const run of ordered) {
    for (const ti of instances.get(run.runId) ?? []) {
      const t = ti.startDate === null ? Number.POSITIVE_INFINITY : Date.parse(ti.startDate);
      const prev = firstStart.get(ti.taskId);
      if (prev === undefined || t < prev) firstStart.set(ti.taskId, t);
    }
  }
  const tasks = [...firstStart.keys()].sort((a, b) => {
    const ta = firstStart.get(a)!;
    const tb = firstStart.get(b)!;
    return ta === tb ? a.localeCompare(b, undefined, { numeric: true }) : ta < tb ? -1 : 1;
  });
  const rowOf = new Map(tasks.map((t, i) => [t, i]));
  const cols = ordered.length;
  const cells: Array<string | null> = new Array(tasks.length * cols).fill(null);
  const counts = new Uint16Array(tasks.length * cols);
  ordered.forEach((run, col) => {
    for (const ti of instances.get(run.runId) ?? []) {
      const i = rowOf.get(ti.taskId)! * cols + col;
      cells[i] = cells[i] === null ? ti.state : worse(cells[i]!, ti.state);
      counts[i] = Math.min(65535, counts[i]! + 1);
    }
  });
  return { runs: ordered, tasks, cells, counts };
}

export function cellState(g: GridModel, row: number, col: number): string | null {
  return g.cells[row * g.runs.length + col] ?? null;
}

/** The grid's geometry in CSS pixels: a task-name column, then one column per run. */
export interface GridGeometry {
  labelWidth: number;
  headerHeight: number;
  colWidth: number;
  rowHeight: number;
}

export const GRID_GEOMETRY: GridGeometry = { labelWidth: 260, headerHeight: 64, colWidth: 18, rowHeight: 20 };

/**
 * The cell under a point of the grid's content (x from its left edge, y from the top of the content, the header
 * included); null outside the cells.
 */
export function hitCell(g: GridModel, geo: GridGeometry, x: number, y: number): { row: number; col: number } | null {
  if (x < geo.labelWidth || y < geo.headerHeight) return null;
  const col = Math.floor((x - geo.labelWidth) / geo.colWidth);
  const row = Math.floor((y - geo.headerHeight) / geo.rowHeight);
  if (col < 0 || col >= g.runs.length || row < 0 || row >= g.tasks.length) return null;
  return { row, col };
}

/** The rows a viewport shows (scrollTop and height of the scrolling content, header included), with one spare. */
export function visibleRows(g: GridModel, geo: GridGeometry, scrollTop: number, height: number): { first: number; last: number } {
  const first = Math.max(0, Math.floor((scrollTop - geo.headerHeight) / geo.rowHeight));
  const last = Math.min(g.tasks.length - 1, Math.ceil((scrollTop + height - geo.headerHeight) / geo.rowHeight));
  return { first, last };
}

/** Per-run counts of task states (the run column's tooltip and the summary line). */
export function runSummary(g: GridModel, col: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let row = 0; row < g.tasks.length; row++) {
    const s = cellState(g, row, col);
    if (s !== null) out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}
