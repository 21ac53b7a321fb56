/**
 * Coders of event-time values, byte-compatible with Beam: instants (Beam's InstantCoder: 8 big-endian bytes of the
 * millis with the sign bit flipped, so bytes sort as times do), the global window, interval windows
 * (`interval_window`: the end, then the span as a varint), timestamp-prefixed custom windows (`custom_window`),
 * PaneInfo (Beam's compact form), windowed values (`windowed_value`, `param_windowed_value`) and timers (`timer`).
 *
 * Riffle's time range is narrower than Beam's: Riffle's MIN_TIMESTAMP, MAX_TIMESTAMP and END_OF_GLOBAL_WINDOW are
 * written as Beam's TIMESTAMP_MIN_VALUE, TIMESTAMP_MAX_VALUE and GlobalWindow's max timestamp, and read back as
 * Riffle's; every other whole millisecond is written as it is.
 */
import { type PaneInfo, type PaneTiming, NO_FIRING, paneInfo } from '../pane.ts';
import { END_OF_GLOBAL_WINDOW, MAX_TIMESTAMP, MIN_TIMESTAMP, type Instant } from '../time.ts';
import { GlobalWindow, GLOBAL_WINDOWS, IntervalWindow, isGlobalWindow, isIntervalWindow, type BoundedWindow } from '../window.ts';
import { ByteReader, ByteWriter, CoderInputError } from './byte-io.ts';
import { MAX_ZERO_WIDTH_ITEMS } from './collections.ts';
import { composedDeterminism, decodeIn, encodeIn, zeroWidthCoders, type Coder } from './core.ts';

/** Beam's BoundedWindow.TIMESTAMP_MIN_VALUE, TIMESTAMP_MAX_VALUE and GlobalWindow.maxTimestamp() in millis. */
export const BEAM_TIMESTAMP_MIN = -9223372036854775n;
export const BEAM_TIMESTAMP_MAX = 9223372036854775n;
export const BEAM_END_OF_GLOBAL_WINDOW = BEAM_TIMESTAMP_MAX - 86_400_000n;

const TWO_32 = 4294967296;

/** The Beam millis of a Riffle instant; a fraction of a millisecond or a time outside Beam's range is an error. */
export function instantToBeamMillis(t: Instant): bigint {
  if (t === MIN_TIMESTAMP) return BEAM_TIMESTAMP_MIN;
  if (t === MAX_TIMESTAMP) return BEAM_TIMESTAMP_MAX;
  if (t === END_OF_GLOBAL_WINDOW) return BEAM_END_OF_GLOBAL_WINDOW;
  if (!Number.isInteger(t)) throw new RangeError(`coders.instant: timestamp ${t} is not a whole number of milliseconds`);
  const v = BigInt(t);
  if (v < BEAM_TIMESTAMP_MIN || v > BEAM_TIMESTAMP_MAX) throw new RangeError(`coders.instant: timestamp ${t} is outside Beam's range (±${BEAM_TIMESTAMP_MAX} ms)`);
  return v;
}

/** The Riffle instant of Beam millis; a value a JS number cannot hold exactly is an error. */
export function beamMillisToInstant(v: bigint): Instant {
  if (v === BEAM_TIMESTAMP_MIN) return MIN_TIMESTAMP;
  if (v === BEAM_TIMESTAMP_MAX) return MAX_TIMESTAMP;
  if (v === BEAM_END_OF_GLOBAL_WINDOW) return END_OF_GLOBAL_WINDOW;
  const t = Number(v);
  if (BigInt(t) !== v) throw new CoderInputError(`coder instant: timestamp ${v} ms cannot be held exactly as a JS number`);
  return t;
}

function writeBeamMillis(v: bigint, o: ByteWriter): void {
  o.int64(v ^ -(1n << 63n));
}

function readBeamMillis(i: ByteReader): bigint {
  return i.int64() ^ -(1n << 63n);
}

/** Instants as Beam's InstantCoder writes them: deterministic, and byte order is time order. */
export const instantCoder: Coder<Instant> = {
  name: 'instant',
  deterministic: true,
  encode(t, o) {
    if (Number.isInteger(t) && t > MIN_TIMESTAMP && t < END_OF_GLOBAL_WINDOW) {
      // The common case without bigints: two's-complement halves, sign bit flipped.
      const lo = ((t % TWO_32) + TWO_32) % TWO_32;
      const hi = (t - lo) / TWO_32;
      o.uint64Parts((hi ^ 0x80000000) >>> 0, lo);
      return;
    }
    writeBeamMillis(instantToBeamMillis(t), o);
  },
  decode(i) {
    const [hiU, lo] = i.uint64Parts();
    const hi = (hiU ^ 0x80000000) | 0;
    const t = hi * TWO_32 + lo;
    if (t > MIN_TIMESTAMP && t < END_OF_GLOBAL_WINDOW) return t;
    return beamMillisToInstant((BigInt(hi) << 32n) | BigInt(lo));
  },
};

/** The global window: zero bytes (`beam:coder:global_window:v1`). */
export const globalWindowCoder: Coder<GlobalWindow> = {
  name: 'globalWindow',
  deterministic: true,
  encode: () => {},
  decode: () => GlobalWindow.INSTANCE,
};
zeroWidthCoders.add(globalWindowCoder as Coder<unknown>);

/** Interval windows: the end as an instant, then the span (end − start) as a varint (`interval_window`). */
export const intervalWindowCoder: Coder<IntervalWindow> = {
  name: 'intervalWindow',
  deterministic: true,
  encode(w, o) {
    const end = instantToBeamMillis(w.end);
    writeBeamMillis(end, o);
    const span = end - instantToBeamMillis(w.start);
    o.varInt64(span <= BigInt(Number.MAX_SAFE_INTEGER) && span >= 0n ? Number(span) : span);
  },
  decode(i) {
    const end = readBeamMillis(i);
    const at = i.position;
    const span = BigInt(i.varInt64());
    if (span < 0n) throw new CoderInputError(`coder intervalWindow: negative span ${span} at byte ${at}`);
    return new IntervalWindow(beamMillisToInstant(end - span), beamMillisToInstant(end));
  },
};

/** The last instant of a window in Beam millis, computed exactly (an interval's end − 1 may not be a JS number). */
export function windowMaxTimestampMillis(w: BoundedWindow): bigint {
  if (isIntervalWindow(w)) return instantToBeamMillis(w.end) - 1n;
  if (isGlobalWindow(w)) return BEAM_END_OF_GLOBAL_WINDOW;
  return instantToBeamMillis(w.maxTimestamp);
}

/**
 * A window of a custom window function, prefixed by its max timestamp so that a runner that cannot decode the window
 * still knows when it ends (`custom_window`, Beam's TimestampPrefixingWindowCoder).
 */
export function customWindowCoder<W extends BoundedWindow>(window: Coder<W>): Coder<W> {
  return {
    name: `customWindow(${window.name})`,
    ...composedDeterminism([window]),
    encode(w, o) {
      writeBeamMillis(windowMaxTimestampMillis(w), o);
      window.encode(w, o);
    },
    decode(i) {
      const at = i.position;
      const prefix = readBeamMillis(i);
      const w = window.decode(i);
      if (windowMaxTimestampMillis(w) !== prefix) {
        throw new CoderInputError(`coder customWindow: the prefix timestamp ${prefix} at byte ${at} is not the window's max timestamp`);
      }
      return w;
    },
  };
}

const TIMINGS: readonly PaneTiming[] = ['EARLY', 'ON_TIME', 'LATE', 'UNKNOWN'];
const TIMING_BITS: Record<PaneTiming, number> = { EARLY: 0, ON_TIME: 1, LATE: 2, UNKNOWN: 3 };

/**
 * PaneInfo in Beam's compact form: one byte (first, last, timing; the high nibble says what follows), then the pane
 * index and the on-time index as varints when they are not implied. An EARLY pane's on-time index is -1.
 */
export const paneInfoCoder: Coder<PaneInfo> = {
  name: 'paneInfo',
  deterministic: true,
  encode(p, o) {
    const low = (p.isFirst ? 1 : 0) | (p.isLast ? 2 : 0) | (TIMING_BITS[p.timing] << 2);
    if (p.index === 0 && p.nonSpeculativeIndex === 0) {
      o.byte(low);
    } else if (p.timing === 'EARLY' ? p.nonSpeculativeIndex === -1 : p.index === p.nonSpeculativeIndex) {
      o.byte(low | 0x10);
      o.varInt64(p.index);
    } else {
      o.byte(low | 0x20);
      o.varInt64(p.index);
      o.varInt64(p.nonSpeculativeIndex);
    }
  },
  decode(i) {
    const at = i.position;
    const b = i.byte();
    const isFirst = (b & 1) !== 0;
    const isLast = (b & 2) !== 0;
    const timing = TIMINGS[(b >> 2) & 3]!;
    switch (b >> 4) {
      case 0:
        return paneInfo({ isFirst, isLast, timing, index: 0, nonSpeculativeIndex: 0 });
      case 1: {
        const index = paneIndex(i);
        return paneInfo({ isFirst, isLast, timing, index, nonSpeculativeIndex: timing === 'EARLY' ? -1 : index });
      }
      case 2:
        return paneInfo({ isFirst, isLast, timing, index: paneIndex(i), nonSpeculativeIndex: paneIndex(i) });
      default:
        throw new CoderInputError(`coder paneInfo: unknown encoding ${b >> 4} in byte 0x${b.toString(16)} at ${at}`);
    }
  },
};

function paneIndex(i: ByteReader): number {
  const at = i.position;
  const v = i.varInt64();
  if (typeof v === 'bigint' || v < -1) throw new CoderInputError(`coder paneInfo: pane index ${v} at byte ${at} is not valid`);
  return v;
}

/** A value with its timestamp, windows and pane: what flows between a runner's operators. */
export interface WindowedValue<T> {
  readonly value: T;
  readonly timestamp: Instant;
  readonly windows: readonly BoundedWindow[];
  readonly pane: PaneInfo;
}

function windowsIn<W extends BoundedWindow>(window: Coder<W>, i: ByteReader): BoundedWindow[] {
  const at = i.position;
  const n = i.int32();
  if (n < 0 || (n > i.remaining && (!zeroWidthCoders.has(window as Coder<unknown>) || n > MAX_ZERO_WIDTH_ITEMS))) {
    throw new CoderInputError(`coder windowedValue: window count ${n} at byte ${at} is not valid (negative, or past the end of the input: ${i.remaining} bytes left)`);
  }
  if (n === 1 && window === (globalWindowCoder as unknown)) return GLOBAL_WINDOWS as BoundedWindow[];
  const out: BoundedWindow[] = new Array<BoundedWindow>(n);
  for (let k = 0; k < n; k++) out[k] = window.decode(i);
  return out;
}

/**
 * Windowed values as Beam's FullWindowedValueCoder writes them (`windowed_value`): timestamp, windows (an int32 count
 * then each window), pane, then the value (in the context of the whole).
 */
export function windowedValueCoder<T, W extends BoundedWindow>(value: Coder<T>, window: Coder<W>): Coder<WindowedValue<T>> {
  const encodeHeader = (v: WindowedValue<T>, o: ByteWriter): void => {
    instantCoder.encode(v.timestamp, o);
    o.int32(v.windows.length);
    for (const w of v.windows) window.encode(w as W, o);
    paneInfoCoder.encode(v.pane, o);
  };
  const decode = (i: ByteReader, context: 'nested' | 'outer'): WindowedValue<T> => {
    const timestamp = instantCoder.decode(i);
    const windows = windowsIn(window, i);
    const pane = paneInfoCoder.decode(i);
    return { value: decodeIn(value, i, context), timestamp, windows, pane };
  };
  return {
    name: `windowedValue(${value.name}, ${window.name})`,
    ...composedDeterminism([value, window]),
    encode(v, o) {
      encodeHeader(v, o);
      value.encode(v.value, o);
    },
    decode: (i) => decode(i, 'nested'),
    encodeOuter(v, o) {
      encodeHeader(v, o);
      encodeIn(value, v.value, o, 'outer');
    },
    decodeOuter: (i) => decode(i, 'outer'),
  };
}

/**
 * Values that share one timestamp, window list and pane, given once in the coder (`param_windowed_value`): only the
 * value is written. Encoding a value whose metadata differs from the coder's is an error (it would be lost).
 */
export function paramWindowedValueCoder<T, W extends BoundedWindow>(value: Coder<T>, window: Coder<W>, fixed: Omit<WindowedValue<unknown>, 'value'>): Coder<WindowedValue<T>> {
  const header = encodeHeaderBytes(window, fixed);
  return {
    name: `paramWindowedValue(${value.name}, ${window.name})`,
    ...composedDeterminism([value]),
    encode(v, o) {
      checkSameHeader(window, v, header);
      value.encode(v.value, o);
    },
    decode: (i) => ({ ...fixed, value: value.decode(i) }),
    encodeOuter(v, o) {
      checkSameHeader(window, v, header);
      encodeIn(value, v.value, o, 'outer');
    },
    decodeOuter: (i) => ({ ...fixed, value: decodeIn(value, i, 'outer') }),
  };
}

function encodeHeaderBytes<W extends BoundedWindow>(window: Coder<W>, v: Omit<WindowedValue<unknown>, 'value'>): string {
  const o = new ByteWriter(32);
  instantCoder.encode(v.timestamp, o);
  o.int32(v.windows.length);
  for (const w of v.windows) window.encode(w as W, o);
  paneInfoCoder.encode(v.pane, o);
  return Array.from(o.written(), (b) => b.toString(16).padStart(2, '0')).join('');
}

function checkSameHeader<W extends BoundedWindow>(window: Coder<W>, v: WindowedValue<unknown>, header: string): void {
  if (encodeHeaderBytes(window, v) !== header) {
    throw new RangeError('coders.paramWindowedValue: the value\'s timestamp, windows or pane differ from the coder\'s fixed ones (they would be lost); use coders.windowedValue');
  }
}

/**
 * Reads the payload of Beam's `param_windowed_value` coder: a windowed empty byte string whose timestamp, windows
 * and pane are the fixed ones.
 */
export function decodeParamWindowedValuePayload<W extends BoundedWindow>(window: Coder<W>, payload: Uint8Array): Omit<WindowedValue<unknown>, 'value'> {
  const i = new ByteReader(payload);
  const timestamp = instantCoder.decode(i);
  const windows = windowsIn(window, i);
  const pane = paneInfoCoder.decode(i);
  if (!i.done) {
    const empty = i.bytes();
    if (empty.length !== 0 || !i.done) throw new CoderInputError('param_windowed_value payload: unexpected bytes after the pane');
  }
  return { timestamp, windows, pane };
}

/** A timer as Beam's Fn API passes it (`timer`): cleared, or set to fire at a time with an output-watermark hold. */
export interface TimerRecord<K> {
  readonly userKey: K;
  readonly dynamicTimerTag: string;
  readonly windows: readonly BoundedWindow[];
  readonly clearBit: boolean;
  /** Present unless `clearBit`. */
  readonly fireTimestamp?: Instant;
  readonly holdTimestamp?: Instant;
  readonly pane?: PaneInfo;
}

/** Timers: key, tag, windows, clear bit, then (when set) fire time, hold time and pane (`beam:coder:timer:v1`). */
export function timerCoder<K, W extends BoundedWindow>(key: Coder<K>, window: Coder<W>): Coder<TimerRecord<K>> {
  return {
    name: `timer(${key.name}, ${window.name})`,
    ...composedDeterminism([key, window]),
    encode(t, o) {
      key.encode(t.userKey, o);
      o.string(t.dynamicTimerTag);
      o.int32(t.windows.length);
      for (const w of t.windows) window.encode(w as W, o);
      o.byte(t.clearBit ? 1 : 0);
      if (t.clearBit) return;
      if (t.fireTimestamp === undefined || t.holdTimestamp === undefined) throw new RangeError('coders.timer: a timer that is set needs fireTimestamp and holdTimestamp');
      instantCoder.encode(t.fireTimestamp, o);
      instantCoder.encode(t.holdTimestamp, o);
      paneInfoCoder.encode(t.pane ?? NO_FIRING, o);
    },
    decode(i) {
      const userKey = key.decode(i);
      const dynamicTimerTag = i.string();
      const windows = windowsIn(window, i);
      const at = i.position;
      const clear = i.byte();
      if (clear > 1) throw new CoderInputError(`coder timer: clear bit ${clear} at byte ${at} is neither 0 nor 1`);
      if (clear === 1) return { userKey, dynamicTimerTag, windows, clearBit: true };
      const fireTimestamp = instantCoder.decode(i);
      const holdTimestamp = instantCoder.decode(i);
      return { userKey, dynamicTimerTag, windows, clearBit: false, fireTimestamp, holdTimestamp, pane: paneInfoCoder.decode(i) };
    },
  };
}
