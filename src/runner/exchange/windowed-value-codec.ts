/**
 * The compact framing of one windowed element inside an exchange bundle: a flags byte, then only what differs from
 * the common case (timestamp, windows, pane), then the value as the stage's coder encodes it.
 *
 *   flags: bits 0-1  timestamp: 0 = MIN_TIMESTAMP (nothing follows), 1 = a safe integer (sign in bit 2, magnitude as
 *                    a varint), 2 = MAX_TIMESTAMP, 3 = any other number (a float64)
 *          bit 3     the single global window (else: window count, then each window: tag byte 0 global,
 *                    1 interval [start, end) as two instants, 2 custom through the exchange's window coder)
 *          bit 4     pane NO_FIRING; bit 5 pane ON_TIME_AND_ONLY_FIRING (else: timing/first/last byte, index,
 *                    nonSpeculativeIndex + 1, as varints)
 *
 * A global-window element with an integer timestamp therefore costs 1 byte + its timestamp's varint + its value.
 * Decoding reuses the previous element's window array when the windows repeat (one window per bundle is common), so
 * a bundle of a fixed window allocates its windows once.
 */
import {
  GLOBAL_WINDOWS,
  GlobalWindow,
  IntervalWindow,
  isGlobalWindow,
  isIntervalWindow,
  isPlainIntervalWindow,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  NO_FIRING,
  ON_TIME_AND_ONLY_FIRING,
  paneInfo,
  RiffleError,
  type BoundedWindow,
  type ByteReader,
  type ByteWriter,
  type Coder,
  type Instant,
  type PaneInfo,
  type PaneTiming,
} from '../../model/index.ts';

const TS_MIN = 0;
const TS_INT = 1;
const TS_MAX = 2;
const TS_FLOAT = 3;
const TS_NEGATIVE = 1 << 2;
const GLOBAL = 1 << 3;
const PANE_NO_FIRING = 1 << 4;
const PANE_ON_TIME_ONLY = 1 << 5;

const WINDOW_GLOBAL = 0;
const WINDOW_INTERVAL = 1;
const WINDOW_CUSTOM = 2;

const TIMINGS: readonly PaneTiming[] = ['EARLY', 'ON_TIME', 'LATE', 'UNKNOWN'];

/** Writes an instant: a kind byte folded into `flags` by the caller, or standalone (windows) as its own byte. */
function instantKind(t: Instant): number {
  if (t === MIN_TIMESTAMP) return TS_MIN;
  if (t === MAX_TIMESTAMP) return TS_MAX;
  if (Number.isSafeInteger(t)) return t < 0 ? TS_INT | TS_NEGATIVE : TS_INT;
  return TS_FLOAT;
}

function writeInstantBody(kind: number, t: Instant, out: ByteWriter): void {
  if ((kind & 3) === TS_INT) out.varUint(Math.abs(t));
  else if ((kind & 3) === TS_FLOAT) out.float64(t);
}

function readInstantBody(kind: number, input: ByteReader): Instant {
  switch (kind & 3) {
    case TS_MIN:
      return MIN_TIMESTAMP;
    case TS_MAX:
      return MAX_TIMESTAMP;
    case TS_INT: {
      const m = input.varUint();
      return kind & TS_NEGATIVE ? -m : m;
    }
    default:
      return input.float64();
  }
}

function writeInstant(t: Instant, out: ByteWriter): void {
  const kind = instantKind(t);
  out.byte(kind);
  writeInstantBody(kind, t, out);
}

function readInstant(input: ByteReader): Instant {
  return readInstantBody(input.byte(), input);
}

/** Encodes and decodes windowed elements of one coder. One instance per exchange and direction (it caches windows). */
export class WindowedValueCodec<T = unknown> {
  private lastWindows: readonly BoundedWindow[] = GLOBAL_WINDOWS;

  constructor(
    readonly coder: Coder<T>,
    /** Encodes windows that are neither global nor intervals (custom WindowFns); they cannot cross workers without it. */
    private readonly windowCoder?: Coder<BoundedWindow>,
  ) {}

  encode(value: T, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo, out: ByteWriter): void {
    this.encodeHeader(timestamp, windows, pane, out);
    this.coder.encode(value, out);
  }

  /** The flags, timestamp, windows and pane, without the value (a partitioner writes pre-encoded key bytes next). */
  encodeHeader(timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo, out: ByteWriter): void {
    // The common cases by identity first (per element); a brand check only for another copy's windows.
    const w0 = windows[0];
    const global = windows === GLOBAL_WINDOWS || (windows.length === 1 && (w0 === GlobalWindow.INSTANCE || (w0!.constructor !== IntervalWindow && isGlobalWindow(w0!))));
    const tsKind = instantKind(timestamp);
    let flags = tsKind;
    if (global) flags |= GLOBAL;
    if (pane === NO_FIRING) flags |= PANE_NO_FIRING;
    else if (pane === ON_TIME_AND_ONLY_FIRING) flags |= PANE_ON_TIME_ONLY;
    out.byte(flags);
    writeInstantBody(tsKind, timestamp, out);
    if (!global) {
      out.varUint(windows.length);
      for (const w of windows) this.encodeWindow(w, out);
    }
    if ((flags & (PANE_NO_FIRING | PANE_ON_TIME_ONLY)) === 0) {
      out.byte(TIMINGS.indexOf(pane.timing) | (pane.isFirst ? 4 : 0) | (pane.isLast ? 8 : 0));
      out.varUint(pane.index);
      out.varUint(pane.nonSpeculativeIndex + 1);
    }
  }

  /**
   * Decodes one element and hands it to `sink` (no intermediate object per element). `sink` is called synchronously.
   */
  decode(input: ByteReader, sink: (value: T, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo) => void): void {
    const flags = input.byte();
    const timestamp = readInstantBody(flags, input);
    let windows: readonly BoundedWindow[] = GLOBAL_WINDOWS;
    if ((flags & GLOBAL) === 0) windows = this.decodeWindows(input);
    let pane: PaneInfo;
    if (flags & PANE_NO_FIRING) pane = NO_FIRING;
    else if (flags & PANE_ON_TIME_ONLY) pane = ON_TIME_AND_ONLY_FIRING;
    else {
      const b = input.byte();
      const index = input.varUint();
      const nonSpeculativeIndex = input.varUint() - 1;
      pane = paneInfo({ timing: TIMINGS[b & 3]!, isFirst: (b & 4) !== 0, isLast: (b & 8) !== 0, index, nonSpeculativeIndex });
    }
    sink(this.coder.decode(input), timestamp, windows, pane);
  }

  private encodeWindow(w: BoundedWindow, out: ByteWriter): void {
    // Exactly an IntervalWindow (tested first: the common case, by identity): a subclass may carry more than its
    // interval (it needs its window function's coder).
    if (isPlainIntervalWindow(w)) {
      out.byte(WINDOW_INTERVAL);
      writeInstant((w as IntervalWindow).start, out);
      writeInstant((w as IntervalWindow).end, out);
    } else if (isGlobalWindow(w)) out.byte(WINDOW_GLOBAL);
    else if (this.windowCoder) {
      out.byte(WINDOW_CUSTOM);
      this.windowCoder.encode(w, out);
    } else {
      const what = isIntervalWindow(w) ? 'it extends IntervalWindow, and sending only its interval would lose the rest' : 'it is neither global nor an interval';
      throw new RiffleError('EXCHANGE_WINDOW_NOT_ENCODABLE', `a window of type ${w.constructor?.name ?? typeof w} (${w.key}) cannot cross workers: ${what}, and its window function has no window coder (windowCoder)`, {
        domain: 'user',
        hint: 'give the custom window function a windowCoder (window.custom({ ..., windowCoder })), or run the pipeline with --workers 1',
      });
    }
  }

  private decodeWindows(input: ByteReader): readonly BoundedWindow[] {
    const n = input.varUint();
    const last = this.lastWindows;
    const windows: BoundedWindow[] = new Array(n);
    let same = last.length === n;
    for (let i = 0; i < n; i++) {
      const tag = input.byte();
      let w: BoundedWindow;
      if (tag === WINDOW_GLOBAL) w = GlobalWindow.INSTANCE;
      else if (tag === WINDOW_INTERVAL) {
        const start = readInstant(input);
        const end = readInstant(input);
        const prev = same ? last[i] : undefined;
        w = prev !== undefined && prev.constructor === IntervalWindow && (prev as IntervalWindow).start === start && (prev as IntervalWindow).end === end ? prev : new IntervalWindow(start, end);
      } else if (tag === WINDOW_CUSTOM && this.windowCoder) w = this.windowCoder.decode(input);
      else throw new RiffleError('EXCHANGE_FRAME_CORRUPT', `exchange bundle: unknown window tag ${tag}`, { domain: 'internal' });
      if (same && last[i] !== w) same = false;
      windows[i] = w;
    }
    if (same) return last;
    this.lastWindows = windows;
    return windows;
  }
}
