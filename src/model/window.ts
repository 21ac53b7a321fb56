import { END_OF_GLOBAL_WINDOW, formatInstant, type Instant } from './time.ts';

/**
 * A window: a finite span of event time that elements are grouped in. Every window has a `maxTimestamp` (the last
 * instant it contains) and a `key`, a string that identifies it exactly (used as the state namespace).
 */
export interface BoundedWindow {
  readonly maxTimestamp: Instant;
  /** A string that is equal for equal windows and distinct otherwise. */
  readonly key: string;
}

/*
 * Brands (registered symbols, the same in every copy of Riffle): a pipeline may be written against another copy of
 * Riffle than the engine that runs it (a project with its own installed `riffle`; a checkout whose CLI runs dist/
 * while `riffle` resolves to src/), so its windows are that copy's classes. The engine recognises them by brand,
 * never by `instanceof` or identity (isGlobalWindow, isIntervalWindow, isPlainIntervalWindow).
 */
const GLOBAL_BRAND: unique symbol = Symbol.for('riffle.window.global') as never;
const INTERVAL_BRAND: unique symbol = Symbol.for('riffle.window.interval') as never;

/** The single window of unwindowed data. */
export class GlobalWindow implements BoundedWindow {
  static readonly [GLOBAL_BRAND] = true;
  static readonly INSTANCE = new GlobalWindow();
  readonly maxTimestamp = END_OF_GLOBAL_WINDOW;
  readonly key = 'global';
  private constructor() {}
  toString(): string {
    return 'GlobalWindow';
  }
}

/** The window list of an element in the global window (shared, never mutated). */
export const GLOBAL_WINDOWS: readonly BoundedWindow[] = Object.freeze([GlobalWindow.INSTANCE]);

/** A half-open interval [start, end) of event time. */
export class IntervalWindow implements BoundedWindow {
  /** Own static brand: a subclass inherits it through its constructor's prototype chain, not as its own property. */
  static readonly [INTERVAL_BRAND] = true;
  /** The key is built on first use: windows made per element (sessions, custom) are often compared without it. */
  #key: string | undefined;
  constructor(
    readonly start: Instant,
    readonly end: Instant,
  ) {}
  /** end − 1, computed: a window per element (sessions) then carries two numbers, not three. */
  get maxTimestamp(): Instant {
    return this.end - 1;
  }
  get key(): string {
    return (this.#key ??= `${this.start}:${this.end}`);
  }
  contains(t: Instant): boolean {
    return t >= this.start && t < this.end;
  }
  intersects(other: IntervalWindow): boolean {
    return this.start < other.end && other.start < this.end;
  }
  span(other: IntervalWindow): IntervalWindow {
    return new IntervalWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }
  toString(): string {
    return `[${formatInstant(this.start)}, ${formatInstant(this.end)})`;
  }
}

/** The global window, of this copy of Riffle or another. */
export function isGlobalWindow(w: BoundedWindow): w is GlobalWindow {
  return w === GlobalWindow.INSTANCE || brandOf(w, GLOBAL_BRAND) !== undefined;
}

/** An IntervalWindow or a subclass of one, of this copy of Riffle or another. */
export function isIntervalWindow(w: BoundedWindow): w is IntervalWindow {
  return w instanceof IntervalWindow || brandOf(w, INTERVAL_BRAND) !== undefined;
}

/** Exactly an IntervalWindow (no subclass, which may carry more than its interval), of this copy or another. */
export function isPlainIntervalWindow(w: BoundedWindow): w is IntervalWindow {
  const c = (w as { constructor?: unknown }).constructor;
  return c === IntervalWindow || (typeof c === 'function' && Object.hasOwn(c, INTERVAL_BRAND));
}

/** The constructor of `w` when it carries `brand` (own or inherited), else undefined. */
function brandOf(w: BoundedWindow, brand: symbol): unknown {
  const c = (w as { constructor?: unknown }).constructor;
  return typeof c === 'function' && brand in c ? c : undefined;
}

/** Parses a window key back into a window (state snapshots store keys). */
export function windowFromKey(key: string): BoundedWindow {
  if (key === 'global') return GlobalWindow.INSTANCE;
  const i = key.indexOf(':');
  return new IntervalWindow(Number(key.slice(0, i)), Number(key.slice(i + 1)));
}
