import type { BoundedWindow, WindowFn, WindowMerge } from '../model/index.ts';
import { stateTags, type StateInternals } from './state.ts';

/** The namespace of the active-window set: not a window key (interval keys contain ':', the global one is 'global'). */
export const ACTIVE_WINDOWS_NAMESPACE = 'active-windows';

/** An active window and its state address: the namespace its state lives in. */
export interface ActiveWindow {
  readonly window: BoundedWindow;
  readonly address: string;
}

const ACTIVE = stateTags.map<string, ActiveWindow>('windows/active');

/** A merge of the window function, with the active windows among its sources (in the merge's order). */
export interface PlannedMerge extends WindowMerge {
  readonly active: readonly ActiveWindow[];
}

/**
 * The windows of one key that are open for merging (as Beam's MergingActiveWindowSet), kept in the key's state. Only
 * merging window functions keep one; with non-merging ones every window is implicitly active. A window leaves the set
 * when its trigger finishes or it is garbage collected, so a closed session never absorbs new elements.
 *
 * Each active window has a state address: the namespace of its state. A window that has not merged is its own address.
 * With session windows a merged window keeps the address of one of its sources (Beam's state address windows), so
 * extending a session moves no state; see `WindowReducer.mergeWindows`. Windows that are not active (closed ones
 * awaiting garbage collection) keep their state under their own key.
 */
export class ActiveWindowSet {
  private readonly cell;

  constructor(state: StateInternals) {
    this.cell = state.state(ACTIVE_WINDOWS_NAMESPACE, ACTIVE);
  }

  has(key: string): boolean {
    return this.cell.has(key);
  }
  /** The state address of an active window; undefined when it is not active. */
  addressOf(key: string): string | undefined {
    return this.cell.get(key)?.address;
  }
  add(window: BoundedWindow, address: string = window.key): void {
    this.cell.set(window.key, { window, address });
  }
  remove(key: string): void {
    this.cell.delete(key);
  }
  /** Whether some active window other than `key` keeps its state at `key` (the address of a source it merged from). */
  isAddressOfOther(key: string): boolean {
    for (const [k, a] of this.cell.entries()) if (a.address === key && k !== key) return true;
    return false;
  }

  /**
   * Asks the window function which windows merge, given the new windows (none of them active). Returns the merges,
   * each with the active windows among its sources, and the map from every merged window's key to its result window.
   * The set itself is updated by the caller once each merge's state is in place.
   *
   * With session windows only the active windows that intersect a new window are offered: active sessions never
   * intersect each other (they would have merged), and a merge group is an interval covered by its members, so an
   * active window outside every new window is in no merge. The merges are the same as with the whole set.
   */
  planMerges(windowFn: WindowFn<any>, newWindows: readonly BoundedWindow[]): { merges: PlannedMerge[]; resultOf: Map<string, BoundedWindow> } {
    const byKey = new Map<string, ActiveWindow>();
    const candidates: BoundedWindow[] = [];
    const intervals = windowFn.mergesIntersectingIntervals;
    for (const [key, a] of this.cell.entries()) {
      if (intervals && !newWindows.some((w) => intersects(w, a.window))) continue;
      byKey.set(key, a);
      candidates.push(a.window);
    }
    for (const w of newWindows) candidates.push(w);
    const resultOf = new Map<string, BoundedWindow>();
    if (candidates.length < 2) return { merges: [], resultOf };
    const merges = windowFn.mergeWindows(candidates).map((m): PlannedMerge => {
      const active: ActiveWindow[] = [];
      for (const w of m.toMerge) {
        resultOf.set(w.key, m.result);
        const a = byKey.get(w.key);
        if (a !== undefined) active.push(a);
      }
      return { toMerge: m.toMerge, result: m.result, active };
    });
    return { merges, resultOf };
  }
}

/** Interval windows (sessions) that share an instant. */
function intersects(a: BoundedWindow, b: BoundedWindow): boolean {
  const x = a as unknown as { start: number; end: number };
  const y = b as unknown as { start: number; end: number };
  return x.start < y.end && y.start < x.end;
}
