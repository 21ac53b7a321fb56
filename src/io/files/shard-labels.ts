import { isIntervalWindow, type BoundedWindow, type PaneInfo } from '../../model/index.ts';

/**
 * The window part of a windowed output file name: `start-end` in ISO-8601 for interval windows, 'global' for the
 * global window (others: their key, with path separators replaced).
 *
 * @example
 *   windowLabel(new IntervalWindow(0, 60_000)) === '1970-01-01T00:00:00.000Z-1970-01-01T00:01:00.000Z'
 */
export function windowLabel(window: BoundedWindow): string {
  if (isIntervalWindow(window)) return `${iso(window.start)}-${iso(window.end)}`;
  return window.key.replace(/[/\\\0]/g, '_');
}

/**
 * The pane part of a windowed output file name: `pane-<index>-<timing>`, with `-final` for the window's last pane.
 *
 * @example
 *   paneLabel({ index: 2, timing: 'LATE', isLast: true, isFirst: false, nonSpeculativeIndex: 1 }) === 'pane-2-late-final'
 */
export function paneLabel(pane: PaneInfo): string {
  return `pane-${pane.index}-${pane.timing.toLowerCase()}${pane.isLast ? '-final' : ''}`;
}

function iso(t: number): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
}
