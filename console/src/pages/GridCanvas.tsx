/**
 * The DAG grid drawn on a canvas: only the rows in view are drawn (a 1,000-task DAG costs the same as a 40-task
 * one), the run headers and the task names stay in place while scrolling, and a click picks a task instance.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { cellState, GRID_GEOMETRY as G, hitCell, visibleRows, type GridModel } from '../dags/grid-model.ts';
import { stateColour } from '../dags/task-states.ts';

export interface Picked { row: number; col: number }

export function GridCanvas({ grid, picked, onPick, height = 560 }: { grid: GridModel; picked: Picked | null; onPick: (p: Picked | null) => void; height?: number }) {
  const scroller = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [hover, setHover] = useState<Picked | null>(null);
  const width = G.labelWidth + Math.max(1, grid.runs.length) * G.colWidth + 24;
  const contentHeight = G.headerHeight + grid.tasks.length * G.rowHeight + 8;
  const viewHeight = Math.min(height, contentHeight);

  const draw = useCallback(() => {
    const c = canvas.current;
    if (c === null) return;
    const started = performance.now();
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(width * dpr) || c.height !== Math.round(viewHeight * dpr)) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(viewHeight * dpr);
      c.style.width = `${width}px`;
      c.style.height = `${viewHeight}px`;
    }
    const ctx = c.getContext('2d');
    if (ctx === null) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, viewHeight);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    const { first, last } = visibleRows(grid, G, scrollTop, viewHeight);
    const cols = grid.runs.length;
    for (let row = first; row <= last; row++) {
      const y = G.headerHeight + row * G.rowHeight - scrollTop;
      if (y + G.rowHeight < G.headerHeight) continue;
      if (row % 2 === 1) {
        ctx.fillStyle = '#f8f9fb';
        ctx.fillRect(0, y, width, G.rowHeight);
      }
      if (hover?.row === row || picked?.row === row) {
        ctx.fillStyle = '#eaf1fd';
        ctx.fillRect(0, y, width, G.rowHeight);
      }
      ctx.fillStyle = '#1d232a';
      const name = grid.tasks[row]!;
      ctx.fillText(name.length > 36 ? `${name.slice(0, 35)}…` : name, 10, y + G.rowHeight / 2);
      for (let col = 0; col < cols; col++) {
        const s = cellState(grid, row, col);
        if (s === null) continue;
        const x = G.labelWidth + col * G.colWidth;
        ctx.fillStyle = stateColour(s);
        ctx.fillRect(x + 3, y + 4, G.colWidth - 6, G.rowHeight - 8);
        if (picked?.row === row && picked.col === col) {
          ctx.strokeStyle = '#0b57d0';
          ctx.lineWidth = 2;
          ctx.strokeRect(x + 1.5, y + 2.5, G.colWidth - 3, G.rowHeight - 5);
        }
      }
    }
    // Header: one bar per run (its duration relative to the longest) over its state colour.
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, G.headerHeight);
    ctx.fillStyle = '#5f6b7a';
    ctx.fillText('task \\ run', 10, G.headerHeight - 12);
    const lengths = grid.runs.map((r) => (r.startDate === null ? 0 : (r.endDate === null ? Date.now() : Date.parse(r.endDate)) - Date.parse(r.startDate)));
    const longest = Math.max(1, ...lengths);
    grid.runs.forEach((r, col) => {
      const x = G.labelWidth + col * G.colWidth;
      const h = Math.max(4, ((G.headerHeight - 14) * lengths[col]!) / longest);
      ctx.fillStyle = stateColour(r.state);
      ctx.fillRect(x + 3, G.headerHeight - 6 - h, G.colWidth - 6, h);
      if (picked?.col === col || hover?.col === col) {
        ctx.strokeStyle = '#0b57d0';
        ctx.lineWidth = 1;
        ctx.strokeRect(x + 1.5, 2.5, G.colWidth - 3, G.headerHeight - 6);
      }
    });
    ctx.strokeStyle = '#d5d9df';
    ctx.beginPath();
    ctx.moveTo(0, G.headerHeight - 0.5);
    ctx.lineTo(width, G.headerHeight - 0.5);
    ctx.moveTo(G.labelWidth - 0.5, 0);
    ctx.lineTo(G.labelWidth - 0.5, viewHeight);
    ctx.stroke();
    c.dataset.drawMs = (performance.now() - started).toFixed(1);
  }, [grid, scrollTop, viewHeight, width, hover, picked]);

  useEffect(draw, [draw]);

  const at = (e: React.MouseEvent): Picked | null => {
    const rect = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const y = e.clientY - rect.top;
    // The header stays at the top: a point in it is not a cell; below it, rows scroll.
    return y < G.headerHeight ? null : hitCell(grid, G, e.clientX - rect.left, y + scrollTop);
  };

  const hovered = hover !== null ? { task: grid.tasks[hover.row], run: grid.runs[hover.col], state: cellState(grid, hover.row, hover.col) } : null;
  return (
    <div className="grid-wrap">
      <div ref={scroller} className="grid-scroll" style={{ height: viewHeight }} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} data-testid="dag-grid" data-rows={grid.tasks.length} data-cols={grid.runs.length}>
        <div style={{ height: contentHeight, width, position: 'relative' }}>
          <canvas
            ref={canvas}
            style={{ position: 'sticky', top: 0, left: 0, display: 'block', cursor: hover ? 'pointer' : 'default' }}
            onMouseMove={(e) => setHover(at(e))}
            onMouseLeave={() => setHover(null)}
            onClick={(e) => onPick(at(e))}
          />
        </div>
      </div>
      <div className="grid-status small muted">{hovered ? <><b>{hovered.task}</b> in <span className="mono">{hovered.run?.runId}</span>: {hovered.state ?? 'no instance'}</> : `${grid.tasks.length} tasks × ${grid.runs.length} runs · click a cell for the task instance`}</div>
    </div>
  );
}
