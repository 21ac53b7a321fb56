import { isIntervalWindow, type BoundedWindow, type PaneInfo } from '../../model/index.ts';

/**
 * The window part of a windowed output file name: `start-end` in ISO-8601 basic format (no ':', which some file
 * systems refuse), 'global' for the global window (others: their key, with path separators replaced).
 *
 * @example
 *   windowLabel(new IntervalWindow(0, 60_000)) === '19700101T000000.000Z-19700101T000100.000Z'
 */
export function windowLabel(window: BoundedWindow): string {
  if (isIntervalWindow(window)) return `${iso(window.start)}-${iso(window.end)}`;
  return window.key.replace(/[/\\\0]/g, '_');
}

/**
 * The pane part of a windowed output file name: `pane-<index>-<timing>`, with `-final` for the window's last pane.
 * The index is zero-padded so that file listings sort in pane order.
 *
 * @example
 *   paneLabel({ index: 2, timing: 'LATE', isLast: true, isFirst: false, nonSpeculativeIndex: 1 }) === 'pane-00002-late-final'
 */
export function paneLabel(pane: PaneInfo): string {
  return `pane-${String(pane.index).padStart(5, '0')}-${pane.timing.toLowerCase()}${pane.isLast ? '-final' : ''}`;
}

function iso(t: number): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString().replace(/[-:]/g, '');
}
