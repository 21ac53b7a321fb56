/**
 * Where a pane (one firing of a trigger for a key and window) stands among the firings of its window.
 * EARLY panes come before the watermark passes the end of the window, the ON_TIME pane when it does, LATE panes after.
 */
export type PaneTiming = 'EARLY' | 'ON_TIME' | 'LATE' | 'UNKNOWN';

export interface PaneInfo {
  readonly isFirst: boolean;
  readonly isLast: boolean;
  readonly timing: PaneTiming;
  /** 0 for the first pane of the window, incremented at each firing. */
  readonly index: number;
  /** Index among non-EARLY panes; -1 for EARLY panes. */
  readonly nonSpeculativeIndex: number;
}

/** The pane of elements that have not been through a trigger firing (e.g. straight from a source). */
export const NO_FIRING: PaneInfo = Object.freeze({ isFirst: true, isLast: true, timing: 'UNKNOWN', index: 0, nonSpeculativeIndex: 0 });

/** The only pane of a window whose trigger fired exactly once, on time (what batch produces by default). */
export const ON_TIME_AND_ONLY_FIRING: PaneInfo = Object.freeze({
  isFirst: true,
  isLast: true,
  timing: 'ON_TIME',
  index: 0,
  nonSpeculativeIndex: 0,
});

export function paneInfo(p: PaneInfo): PaneInfo {
  if (p.isFirst && p.isLast && p.timing === 'UNKNOWN') return NO_FIRING;
  // A literal, not `Object.freeze({ ...p })`: V8 (Node 20) gives each frozen spread copy a map of its own (about
  // 150 bytes more per pane, and a pane is kept per key and window), where frozen literals share one.
  return Object.freeze({ isFirst: p.isFirst, isLast: p.isLast, timing: p.timing, index: p.index, nonSpeculativeIndex: p.nonSpeculativeIndex });
}

export function formatPane(p: PaneInfo): string {
  return `${p.timing}#${p.index}${p.isLast ? ' last' : ''}`;
}
