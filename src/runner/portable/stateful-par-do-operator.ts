/**
 * A stateful Riffle ParDo (user state, timers, onWindowExpiration) as a harness operator, following the embedded
 * engine's ParDo (runner/local/par-do-op.ts) for what the DoFn sees:
 *
 * - state: per (key, window), the engine's in-memory cells loaded from and written back to the runner's state API
 *   (user-state.ts) — fetched before the DoFn runs, since DoFns read state synchronously;
 * - timers: set and cleared timers are kept per (family, timer id, key, window) during the bundle — the last one
 *   wins — and sent on the data plane at the bundle's end as `beam:coder:timer:v1` records of their timer family
 *   (Elements.timers, the ParDo's transform id); event timers after the window's expiration are refused as the engine
 *   refuses them; the output timestamp (the runner's watermark hold) defaults as in the engine: the fire time for
 *   event time, the element's timestamp for processing time;
 * - fired timers come from the runner the same way; each runs `onTimer.<family>` in the timer's key and window, with
 *   outputs at the timer's output timestamp (the window's end when it has none);
 * - onWindowExpiration: on every element a timer of the window-expiration family is set for the window's end plus
 *   the allowed lateness (as Beam's SDKs do; the engine has its GC timer there); when it fires the callback runs and
 *   every cell of the key and window is cleared.
 *
 * A throwing `process` routes the element to the step's error output when it has one (an ErrorRecord), as
 * element-operators.ts does; a throwing timer callback fails the bundle, naming the step and the timer.
 */
import {
  ByteReader,
  MAX_TIMESTAMP,
  NO_FIRING,
  encodeToBytes,
  excerpt,
  formatInstant,
  type BoundedWindow,
  type Coder,
  type ErrorRecord,
  type Instant,
  type KV,
  type MetricsContext,
  type PaneInfo,
  type PrimitiveNode,
  type TimerRecord,
  type WindowedValue,
} from '../../model/index.ts';
import type { InMemoryStateInternals } from '../../semantics/index.ts';
import type { Emit, Operator, SideInputAccess } from './element-operators.ts';
import { USER_STATE_NAMESPACE, UserState, type UserStateStore } from './user-state.ts';

type WV = WindowedValue<unknown>;
type ParDoNode = Extract<PrimitiveNode, { kind: 'parDo' }>;

/** What a stateful operator needs from its stage besides the step. */
export interface StatefulParDoOptions {
  readonly transformId: string;
  readonly outs: Readonly<Record<string, Emit>>;
  /** The main input's key coder and window coder (the descriptor's, as the runner encodes them). */
  readonly keyCoder: Coder<unknown>;
  readonly windowCoder: Coder<BoundedWindow>;
  /** The timer coder of each timer family of the ParDo (the descriptor's `timerFamilyCoderId`s). */
  readonly timerCoders: Readonly<Record<string, Coder<TimerRecord<unknown>>>>;
  /** The timer family of onWindowExpiration (when the DoFn has one). */
  readonly expirationFamily?: string;
  readonly allowedLateness: number;
  readonly store: () => UserStateStore;
  readonly sides?: SideInputAccess;
  readonly metrics?: MetricsContext;
}

/** A stateful ParDo's operator: elements, fired timers, and the timers it set (taken at the bundle's end). */
export interface StatefulOperator extends Operator {
  /** The timer families the runner sends and expects (each ends with its own `is_last`). */
  readonly timerFamilies: readonly string[];
  /** Runs the timers of one family the runner sent (encoded `beam:coder:timer:v1` records). */
  fireTimers(family: string, data: Uint8Array): Promise<void>;
  /** The timers set or cleared during the bundle, encoded per family; taken once, after finishBundle. */
  takeTimers(): Map<string, Uint8Array>;
}

interface Current {
  key: unknown;
  keyId: string;
  window: BoundedWindow;
  windowId: string;
  timestamp: Instant;
  pane: PaneInfo;
  cells: InMemoryStateInternals;
}

interface PendingTimer {
  readonly family: string;
  readonly record: TimerRecord<unknown>;
}

const TIMER_PANE: PaneInfo = NO_FIRING;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

const noMetrics: MetricsContext = {
  counter: () => ({ inc: () => undefined }),
  distribution: () => ({ update: () => undefined }),
  gauge: () => ({ set: () => undefined }),
};

/** The operator of a stateful ParDo step. */
export async function statefulParDoOperator(node: ParDoNode, o: StatefulParDoOptions): Promise<StatefulOperator> {
  const fn = node.spec.doFn;
  const timerSpecs = fn.timers ?? {};
  const state = new UserState(o.transformId, fn.state ?? {}, o.store);
  const metrics = o.metrics ?? noMetrics;
  const errorTag = node.spec.errorTag;
  const families = [...Object.keys(timerSpecs), ...(o.expirationFamily !== undefined ? [o.expirationFamily] : [])];
  for (const f of families) if (o.timerCoders[f] === undefined) throw new Error(`step '${node.name}': the stage declares no timer coder for timer family '${f}'`);
  await fn.setup?.();

  let cur: Current | undefined;
  let queued: Array<{ tag: string; wv: WV }> = [];
  let pending = new Map<string, PendingTimer>();
  const at = (): Current => {
    if (cur === undefined) throw new Error(`step '${node.name}': state and timers are only available while an element or a timer is processed`);
    return cur;
  };
  const emit = (tag: string, value: unknown, timestamp: Instant) => {
    const c = at();
    queued.push({ tag, wv: { value, timestamp, windows: [c.window], pane: c.pane } });
  };
  const flushOutputs = async () => {
    const items = queued;
    queued = [];
    for (const { tag, wv } of items) {
      const target = o.outs[tag];
      if (target === undefined) throw new Error(`step '${node.name}' output to '${tag}', which is not one of its outputs (${Object.keys(o.outs).join(', ')})`);
      await target(wv);
    }
  };
  const pendingId = (family: string, tag: string, c: Current) => `${family}\u0000${tag}\u0000${c.keyId}\u0000${c.windowId}`;
  const setTimer = (family: string, tag: string, domain: 'event' | 'processing', timestamp: Instant, outputTimestamp: Instant | undefined) => {
    const c = at();
    if (domain === 'event' && timestamp > c.window.maxTimestamp + o.allowedLateness) {
      throw new RangeError(`timer '${family}' set for ${formatInstant(timestamp)}, after its window ${String(c.window)} expires; event-time timers must fire before window.maxTimestamp + allowedLateness`);
    }
    const hold = outputTimestamp ?? (domain === 'event' ? timestamp : c.timestamp);
    pending.set(pendingId(family, tag, c), { family, record: { userKey: c.key, dynamicTimerTag: tag, windows: [c.window], clearBit: false, fireTimestamp: timestamp, holdTimestamp: hold, pane: NO_FIRING } });
  };
  const clearTimer = (family: string, tag: string) => {
    const c = at();
    pending.set(pendingId(family, tag, c), { family, record: { userKey: c.key, dynamicTimerTag: tag, windows: [c.window], clearBit: true } });
  };

  const stateView: Record<string, unknown> = {};
  for (const id of Object.keys(fn.state ?? {})) {
    const tag = state.tag(id)!;
    Object.defineProperty(stateView, id, { get: () => at().cells.state(USER_STATE_NAMESPACE, tag), enumerable: true });
  }
  const timersView: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(timerSpecs)) {
    timersView[name] = t.family
      ? {
          set: (id: string, ts: Instant, opt?: { outputTimestamp?: Instant }) => setTimer(name, id, t.domain, ts, opt?.outputTimestamp),
          clear: (id: string) => clearTimer(name, id),
        }
      : {
          set: (ts: Instant, opt?: { outputTimestamp?: Instant }) => setTimer(name, '', t.domain, ts, opt?.outputTimestamp),
          offset: (delay: number, opt?: { outputTimestamp?: Instant }) => setTimer(name, '', t.domain, (t.domain === 'event' ? at().timestamp : Date.now()) + delay, opt?.outputTimestamp),
          clear: () => clearTimer(name, ''),
        };
  }
  let side: Record<string, unknown> = {};
  const outputs = {
    output: (v: unknown) => emit('main', v, at().timestamp),
    outputWithTimestamp: (v: unknown, ts: Instant) => {
      if (typeof ts !== 'number' || Number.isNaN(ts)) throw new RangeError(`outputWithTimestamp: invalid timestamp ${String(ts)}`);
      emit('main', v, ts);
    },
    outputTo: (tag: string, v: unknown) => {
      if (tag === 'main' || tag === errorTag || o.outs[tag] === undefined) throw new RangeError(`step '${node.name}' output to undeclared tag '${tag}'`);
      emit(tag, v, at().timestamp);
    },
  };
  const processCtx = {
    ...outputs,
    get timestamp() {
      return at().timestamp;
    },
    get window() {
      return at().window;
    },
    get pane() {
      return at().pane;
    },
    get key() {
      return at().key;
    },
    get side() {
      return side;
    },
    state: stateView,
    timers: timersView,
    metrics,
  };
  const timerCtx = {
    ...outputs,
    fireTimestamp: 0 as Instant,
    domain: 'event' as 'event' | 'processing',
    timerId: '',
    get key() {
      return at().key;
    },
    get window() {
      return at().window;
    },
    get timestamp() {
      return at().timestamp;
    },
    state: stateView,
    timers: timersView,
    metrics,
  };

  /** Points the context at a (key, window), its cells loaded. */
  const enter = async (key: unknown, window: BoundedWindow, timestamp: Instant, pane: PaneInfo): Promise<Current> => {
    const keyBytes = encodeToBytes(o.keyCoder, key, 'nested');
    const windowBytes = encodeToBytes(o.windowCoder, window, 'nested');
    const cells = await state.load(keyBytes, windowBytes);
    return { key, keyId: b64(keyBytes), window, windowId: b64(windowBytes), timestamp, pane, cells };
  };

  const onError = async (wv: WV, e: unknown) => {
    const target = errorTag !== undefined ? o.outs[errorTag] : undefined;
    if (target === undefined) throw new Error(`step '${node.name}' failed on ${excerpt(wv.value, 120)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    const record: ErrorRecord = { step: node.name, error: e instanceof Error ? e.message : String(e), element: wv.value, time: new Date().toISOString() };
    await target({ ...wv, value: record });
  };

  const fireOne = async (family: string, t: TimerRecord<unknown>, window: BoundedWindow) => {
    // A timer set or cleared again in this bundle no longer fires as the runner had it.
    const c = await enter(t.userKey, window, 0, TIMER_PANE);
    const again = pending.get(pendingId(family, t.dynamicTimerTag, c));
    if (again !== undefined && (again.record.clearBit || again.record.fireTimestamp !== t.fireTimestamp)) return;
    const hold = t.holdTimestamp ?? MAX_TIMESTAMP;
    c.timestamp = hold >= MAX_TIMESTAMP ? window.maxTimestamp : hold;
    cur = c;
    timerCtx.fireTimestamp = t.fireTimestamp ?? window.maxTimestamp;
    timerCtx.domain = family === o.expirationFamily ? 'event' : timerSpecs[family]!.domain;
    timerCtx.timerId = family !== o.expirationFamily && timerSpecs[family]!.family ? t.dynamicTimerTag : family;
    try {
      if (family === o.expirationFamily) {
        fn.onWindowExpiration?.(timerCtx as never);
        state.clearAll(c.cells);
        for (const [id, p] of pending) if (id.endsWith(`\u0000${c.keyId}\u0000${c.windowId}`) && !p.record.clearBit) pending.delete(id);
      } else {
        const cb = fn.onTimer?.[family];
        if (cb === undefined) throw new Error(`timer '${family}' fired but the DoFn has no onTimer.${family}`);
        cb(timerCtx as never);
      }
    } catch (e) {
      throw new Error(`step '${node.name}' failed in timer '${family}' (key ${excerpt(t.userKey, 120)}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    } finally {
      cur = undefined;
    }
    await flushOutputs();
  };

  return {
    timerFamilies: families,
    startBundle: () => fn.startBundle?.(),
    teardown: async (failed) => {
      if (failed) state.discard();
      await fn.teardown?.();
    },
    process: async (wv) => {
      const key = (wv.value as KV<unknown, unknown>).key;
      for (const window of wv.windows) {
        const c = await enter(key, window, wv.timestamp, wv.pane);
        side = o.sides !== undefined ? await o.sides.read(o.sides.instructionId(), window) : {};
        cur = c;
        try {
          if (o.expirationFamily !== undefined && !pending.has(pendingId(o.expirationFamily, '', c))) {
            const gc = Math.min(window.maxTimestamp + o.allowedLateness, MAX_TIMESTAMP - 1);
            pending.set(pendingId(o.expirationFamily, '', c), { family: o.expirationFamily, record: { userKey: key, dynamicTimerTag: '', windows: [window], clearBit: false, fireTimestamp: gc, holdTimestamp: window.maxTimestamp, pane: NO_FIRING } });
          }
          fn.process(wv.value, processCtx as never);
        } catch (e) {
          queued = [];
          cur = undefined;
          await onError({ ...wv, windows: [window] }, e);
          continue;
        }
        cur = undefined;
        await flushOutputs();
      }
    },
    fireTimers: async (family, data) => {
      const coder = o.timerCoders[family];
      if (coder === undefined) throw new Error(`step '${node.name}': the runner fired timers of an unknown timer family '${family}'`);
      const r = new ByteReader(data);
      while (r.remaining > 0) {
        const t = coder.decode(r);
        if (t.clearBit) continue;
        for (const window of t.windows) await fireOne(family, t, window);
      }
    },
    finishBundle: async () => {
      fn.finishBundle?.({
        metrics,
        output: (value: unknown, timestamp: Instant, window: BoundedWindow) => void queued.push({ tag: 'main', wv: { value, timestamp, windows: [window], pane: NO_FIRING } }),
      });
      await flushOutputs();
      await state.flush();
    },
    takeTimers: () => {
      const out = new Map<string, Uint8Array>();
      const byFamily = new Map<string, TimerRecord<unknown>[]>();
      for (const p of pending.values()) {
        const list = byFamily.get(p.family) ?? [];
        list.push(p.record);
        byFamily.set(p.family, list);
      }
      pending = new Map();
      for (const [family, records] of byFamily) {
        const coder = o.timerCoders[family]!;
        const parts = records.map((t) => encodeToBytes(coder, t, 'nested'));
        out.set(family, Buffer.concat(parts));
      }
      return out;
    },
  };
}

