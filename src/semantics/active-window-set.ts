import type { BoundedWindow, WindowFn, WindowMerge } from '../model/index.ts';
import { stateTags, type StateInternals } from './state.ts';

/** The namespace of the active-window set: not a window key (interval keys contain ':', the global one is 'global'). */
export const ACTIVE_WINDOWS_NAMESPACE = 'active-windows';
const ACTIVE = stateTags.map<string, BoundedWindow>('windows/active');

/**
 * The windows of one key that are open for merging (as Beam's MergingActiveWindowSet), kept in the key's state. Only
 * merging window functions keep one; with non-merging ones every window is implicitly active. A window leaves the set
 * when its trigger finishes or it is garbage collected, so a closed session never absorbs new elements.
 */
export class ActiveWindowSet {
  constructor(private readonly state: StateInternals) {}

  private cell() {
    return this.state.state(ACTIVE_WINDOWS_NAMESPACE, ACTIVE);
  }
  has(namespace: string): boolean {
    return this.cell().has(namespace);
  }
  add(window: BoundedWindow): void {
    this.cell().set(window.key, window);
  }
  remove(namespace: string): void {
    this.cell().delete(namespace);
  }
  windows(): BoundedWindow[] {
    return [...this.cell().entries()].map(([, w]) => w);
  }

  /**
   * Adds the new windows and asks the window function which windows merge. Returns the merges (each with the active
   * windows among its sources) and the map from every merged window's key to its result window. The set itself is
   * updated by the caller once each merge's state has moved.
   */
  planMerges(windowFn: WindowFn<any>, newWindows: Iterable<BoundedWindow>): { merges: Array<WindowMerge & { active: string[] }>; resultOf: Map<string, BoundedWindow> } {
    const all = new Map<string, BoundedWindow>();
    for (const w of this.windows()) all.set(w.key, w);
    const wasActive = new Set(all.keys());
    for (const w of newWindows) all.set(w.key, w);
    const resultOf = new Map<string, BoundedWindow>();
    const merges = windowFn.mergeWindows([...all.values()]).map((m) => {
      for (const w of m.toMerge) resultOf.set(w.key, m.result);
      return { ...m, active: m.toMerge.map((w) => w.key).filter((k) => wasActive.has(k)) };
    });
    return { merges, resultOf };
  }
}
