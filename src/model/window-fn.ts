import { GLOBAL_WINDOWS, GlobalWindow, IntervalWindow, type BoundedWindow } from './window.ts';
import { parseDuration, type DurationLike, type Instant } from './time.ts';
import type { Coder } from './coder.ts';

/** One merge decided by a merging WindowFn: the windows in `toMerge` become `result`. */
export interface WindowMerge {
  readonly toMerge: readonly BoundedWindow[];
  readonly result: BoundedWindow;
}

/**
 * How elements are assigned to windows (and, for merging window functions such as sessions, how windows merge).
 * Window functions are values: pure, deterministic, comparable through `describe()`.
 */
export interface WindowFn<T = unknown> {
  /** For descriptions and serialization only: ask the capabilities below instead of branching on the kind. */
  readonly kind: 'global' | 'fixed' | 'sliding' | 'sessions' | 'custom';
  readonly isMerging: boolean;
  /** Every element goes to the one global window (grouping then needs no window bookkeeping at all). */
  readonly isGlobal: boolean;
  /** Each element is assigned exactly one window (fixed, sessions, global; sliding only when size = period). */
  readonly assignsSingleWindow: boolean;
  /**
   * Merges are exactly the unions of intersecting interval windows (sessions): an active window that intersects no
   * new window takes part in no merge, and a merged window may keep the state of one of its members.
   */
  readonly mergesIntersectingIntervals: boolean;
  /** The windows an element with this timestamp belongs to. */
  assignWindows(timestamp: Instant, element: T): readonly BoundedWindow[];
  /** For merging window functions: the merges to apply to this set of active windows (none when nothing overlaps). */
  mergeWindows(windows: readonly BoundedWindow[]): WindowMerge[];
  /** Side inputs: the window of this (side input's) window function that a main-input window reads. */
  getSideInputWindow(mainWindow: BoundedWindow): BoundedWindow;
  /** Output-time transform applied by the 'earliestTransformed' timestamp combiner (identity by default). */
  assignOutputTime(window: BoundedWindow, timestamp: Instant): Instant;
  /** A stable description, e.g. `fixed(60000)`; equal descriptions mean compatible window functions. */
  describe(): string;
  /**
   * How a custom window function's windows are encoded: they cross worker threads only with it (global and interval
   * windows need none; a window carrying more than its interval, e.g. a subclass of IntervalWindow, must have one).
   */
  readonly windowCoder?: Coder<BoundedWindow>;
}

const NO_MERGES: WindowMerge[] = [];

function mod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r;
}

class GlobalWindows implements WindowFn {
  readonly kind = 'global';
  readonly isMerging = false;
  readonly isGlobal = true;
  readonly assignsSingleWindow = true;
  readonly mergesIntersectingIntervals = false;
  assignWindows(): readonly BoundedWindow[] {
    return GLOBAL_WINDOWS;
  }
  mergeWindows(): WindowMerge[] {
    return NO_MERGES;
  }
  getSideInputWindow(): BoundedWindow {
    return GlobalWindow.INSTANCE;
  }
  assignOutputTime(_w: BoundedWindow, t: Instant): Instant {
    return t;
  }
  describe(): string {
    return 'global';
  }
}

/** Fixed (tumbling) windows: [offset + k·size, offset + (k+1)·size). */
export class FixedWindows implements WindowFn {
  readonly kind = 'fixed';
  readonly isMerging = false;
  readonly isGlobal = false;
  readonly assignsSingleWindow = true;
  readonly mergesIntersectingIntervals = false;
  // Consecutive elements mostly fall in the same window: reuse it instead of allocating one per element.
  private last: IntervalWindow | undefined;
  private lastList: readonly BoundedWindow[] = [];
  constructor(
    readonly size: number,
    readonly offset = 0,
  ) {
    if (!(size > 0)) throw new RangeError(`window.fixed: size must be positive, got ${size}`);
    if (offset < 0 || offset >= size) throw new RangeError(`window.fixed: offset must be in [0, size), got ${offset}`);
  }
  assignWindows(t: Instant): readonly BoundedWindow[] {
    const last = this.last;
    if (last !== undefined && t >= last.start && t < last.end) return this.lastList;
    const start = t - mod(t - this.offset, this.size);
    this.last = new IntervalWindow(start, start + this.size);
    this.lastList = [this.last];
    return this.lastList;
  }
  mergeWindows(): WindowMerge[] {
    return NO_MERGES;
  }
  getSideInputWindow(main: BoundedWindow): BoundedWindow {
    return this.assignWindows(main.maxTimestamp)[0]!;
  }
  assignOutputTime(_w: BoundedWindow, t: Instant): Instant {
    return t;
  }
  describe(): string {
    return `fixed(${this.size},${this.offset})`;
  }
}

/** Sliding windows of `size`, one starting every `period` (so each element is in size/period windows). */
export class SlidingWindows implements WindowFn {
  readonly kind = 'sliding';
  readonly isMerging = false;
  readonly isGlobal = false;
  readonly assignsSingleWindow: boolean;
  readonly mergesIntersectingIntervals = false;
  constructor(
    readonly size: number,
    readonly period: number,
    readonly offset = 0,
  ) {
    if (!(size > 0) || !(period > 0)) throw new RangeError(`window.sliding: size and period must be positive, got ${size}, ${period}`);
    if (offset < 0 || offset >= period) throw new RangeError(`window.sliding: offset must be in [0, period), got ${offset}`);
    this.assignsSingleWindow = size === period;
  }
  // Elements arrive roughly in time order: reuse the window list of the last period slot seen. (Only when size is a
  // multiple of period is the list the same for every instant of a slot.)
  private lastStart = NaN;
  private lastList: readonly BoundedWindow[] = [];
  assignWindows(t: Instant): readonly BoundedWindow[] {
    const lastStart = t - mod(t - this.offset, this.period);
    if (lastStart === this.lastStart && this.size % this.period === 0) return this.lastList;
    const windows: BoundedWindow[] = [];
    for (let start = lastStart; start > t - this.size; start -= this.period) windows.push(new IntervalWindow(start, start + this.size));
    this.lastStart = lastStart;
    this.lastList = windows;
    return windows;
  }
  mergeWindows(): WindowMerge[] {
    return NO_MERGES;
  }
  getSideInputWindow(main: BoundedWindow): BoundedWindow {
    // The most recent full window that ends at or after the main window's end, as Beam's SlidingWindows does.
    const t = main.maxTimestamp;
    const lastStart = t - mod(t - this.offset, this.period);
    return new IntervalWindow(lastStart + this.period - this.size, lastStart + this.period);
  }
  assignOutputTime(_w: BoundedWindow, t: Instant): Instant {
    return t;
  }
  describe(): string {
    return `sliding(${this.size},${this.period},${this.offset})`;
  }
}

/** Merges intersecting interval windows (the algorithm of session windows). */
export function mergeOverlappingIntervals(windows: readonly BoundedWindow[]): WindowMerge[] {
  if (windows.length < 2) return NO_MERGES;
  const sorted = (windows as IntervalWindow[]).slice().sort((a, b) => a.start - b.start || a.end - b.end);
  const merges: WindowMerge[] = [];
  let group: IntervalWindow[] = [sorted[0]!];
  let union = sorted[0]!;
  const close = () => {
    if (group.length > 1) merges.push({ toMerge: group, result: union });
  };
  for (let i = 1; i < sorted.length; i++) {
    const w = sorted[i]!;
    if (w.start < union.end) {
      group.push(w);
      if (w.end > union.end) union = new IntervalWindow(union.start, w.end);
    } else {
      close();
      group = [w];
      union = w;
    }
  }
  close();
  return merges;
}

/** Session windows: each element opens [t, t + gap); windows that overlap merge. */
export class Sessions implements WindowFn {
  readonly kind = 'sessions';
  readonly isMerging = true;
  readonly isGlobal = false;
  readonly assignsSingleWindow = true;
  readonly mergesIntersectingIntervals = true;
  constructor(readonly gap: number) {
    if (!(gap > 0)) throw new RangeError(`window.sessions: gap must be positive, got ${gap}`);
  }
  assignWindows(t: Instant): readonly BoundedWindow[] {
    return [new IntervalWindow(t, t + this.gap)];
  }
  mergeWindows(windows: readonly BoundedWindow[]): WindowMerge[] {
    return mergeOverlappingIntervals(windows);
  }
  getSideInputWindow(): BoundedWindow {
    throw new TypeError('window.sessions cannot be used for a side input: session windows are not known until they close');
  }
  assignOutputTime(_w: BoundedWindow, t: Instant): Instant {
    return t;
  }
  describe(): string {
    return `sessions(${this.gap})`;
  }
}

/** What a custom window function supplies; `merge` makes it a merging window function. */
export interface CustomWindowFnSpec<T> {
  /** A stable name: two custom window functions with the same name are taken to be compatible. */
  name: string;
  assign: (timestamp: Instant, element: T) => readonly BoundedWindow[];
  merge?: (windows: readonly BoundedWindow[]) => WindowMerge[];
  sideInputWindow?: (mainWindow: BoundedWindow) => BoundedWindow;
  outputTime?: (window: BoundedWindow, timestamp: Instant) => Instant;
  /** Encodes its windows, so that they cross worker threads (see WindowFn.windowCoder); deterministic. */
  windowCoder?: Coder<BoundedWindow>;
}

class CustomWindows<T> implements WindowFn<T> {
  readonly kind = 'custom';
  readonly isMerging: boolean;
  readonly isGlobal = false;
  /** Unknown for a custom function: it may assign several windows. */
  readonly assignsSingleWindow = false;
  /** Unknown for a custom merge: every active window is offered to it. */
  readonly mergesIntersectingIntervals = false;
  readonly windowCoder: Coder<BoundedWindow> | undefined;
  constructor(private readonly spec: CustomWindowFnSpec<T>) {
    this.isMerging = spec.merge !== undefined;
    this.windowCoder = spec.windowCoder;
  }
  assignWindows(t: Instant, element: T): readonly BoundedWindow[] {
    return this.spec.assign(t, element);
  }
  mergeWindows(windows: readonly BoundedWindow[]): WindowMerge[] {
    return this.spec.merge ? this.spec.merge(windows) : NO_MERGES;
  }
  getSideInputWindow(main: BoundedWindow): BoundedWindow {
    if (!this.spec.sideInputWindow) throw new TypeError(`custom window function '${this.spec.name}' defines no sideInputWindow mapping`);
    return this.spec.sideInputWindow(main);
  }
  assignOutputTime(w: BoundedWindow, t: Instant): Instant {
    return this.spec.outputTime ? this.spec.outputTime(w, t) : t;
  }
  describe(): string {
    return `custom(${this.spec.name})`;
  }
}

/** Window function factories: `windows.fixed('1m')`, `windows.sliding('5m', '1m')`, `windows.sessions('10m')`. */
export const windowFns = {
  global(): WindowFn<any> {
    return new GlobalWindows();
  },
  fixed(size: DurationLike, opts: { offset?: DurationLike } = {}): WindowFn<any> {
    return new FixedWindows(parseDuration(size, 'window.fixed size'), parseDuration(opts.offset ?? 0, 'window.fixed offset'));
  },
  sliding(size: DurationLike, period: DurationLike, opts: { offset?: DurationLike } = {}): WindowFn<any> {
    return new SlidingWindows(
      parseDuration(size, 'window.sliding size'),
      parseDuration(period, 'window.sliding period'),
      parseDuration(opts.offset ?? 0, 'window.sliding offset'),
    );
  },
  sessions(gap: DurationLike): WindowFn<any> {
    return new Sessions(parseDuration(gap, 'window.sessions gap'));
  },
  custom<T>(spec: CustomWindowFnSpec<T>): WindowFn<T> {
    return new CustomWindows(spec);
  },
};
