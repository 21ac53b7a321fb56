// A stateful ParDo in the harness against a fake state API (a map of bag_user_state keys to bytes, as Flink's runner
// keeps them) and timers taken/fired as the runner's data plane carries them: state survives bundles through the
// store only, a grown bag is appended, timers come out encoded per family and fire with their key, window and output
// timestamp, window expiration clears the cells, and a throwing process goes to the error output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coders, decodeIn, encodeToBytes, ByteReader, GlobalWindow, IntervalWindow, NO_FIRING, type BoundedWindow, type Coder, type TimerRecord, type WindowedValue } from '../../model/index.ts';
import { state, timer } from '../../transforms/index.ts';
import type { StateKeyInit } from './state-client.ts';
import { statefulParDoOperator, type StatefulParDoOptions } from './stateful-par-do-operator.ts';
import type { UserStateStore } from './user-state.ts';

const keyCoder = coders.lengthPrefix(coders.object({ canonical: true })) as Coder<unknown>;
const windowCoder = coders.intervalWindow() as Coder<BoundedWindow>;
const timerCoder = coders.timer(keyCoder, windowCoder) as Coder<TimerRecord<unknown>>;
const W = new IntervalWindow(0, 1000);

/** The runner's side: bytes per (state id, key, window), and the requests it got. */
function fakeStore() {
  const data = new Map<string, Uint8Array>();
  const requests: string[] = [];
  const id = (k: StateKeyInit) => {
    const v = (k.type as { value: { userStateId: string; key: Uint8Array; window: Uint8Array } }).value;
    return `${v.userStateId}|${Buffer.from(v.key).toString('hex')}|${Buffer.from(v.window).toString('hex')}`;
  };
  const store: UserStateStore = {
    get: async (k) => (requests.push(`get ${id(k).split('|')[0]}`), data.get(id(k)) ?? new Uint8Array(0)),
    append: async (k, bytes) => {
      requests.push(`append ${id(k).split('|')[0]}`);
      data.set(id(k), Buffer.concat([data.get(id(k)) ?? new Uint8Array(0), bytes]));
    },
    clear: async (k) => (requests.push(`clear ${id(k).split('|')[0]}`), void data.delete(id(k))),
  };
  return { data, requests, store };
}

function node(doFn: Record<string, unknown>, errorTag?: string) {
  return { kind: 'parDo', name: 'Count', inputs: ['c0'], outputs: new Map(), sideInputs: [], spec: { doFn, stateful: true, sideInputs: {}, allowedSkew: 0, ...(errorTag ? { errorTag } : {}) } } as never;
}

function options(store: UserStateStore, out: WindowedValue<unknown>[], families: string[], extra: Partial<StatefulParDoOptions> = {}): StatefulParDoOptions {
  const collect = (wv: WindowedValue<unknown>) => void out.push(wv);
  return {
    transformId: 'pardo-1',
    outs: { main: collect, errors: collect },
    keyCoder,
    windowCoder,
    timerCoders: Object.fromEntries(families.map((f) => [f, timerCoder])),
    allowedLateness: 0,
    store: () => store,
    ...extra,
  };
}

const el = (key: string, value: number, timestamp = 10): WindowedValue<unknown> => ({ value: { key, value }, timestamp, windows: [W], pane: NO_FIRING });

function decodeTimers(bytes: Uint8Array | undefined): TimerRecord<unknown>[] {
  const out: TimerRecord<unknown>[] = [];
  const r = new ByteReader(bytes ?? new Uint8Array(0));
  while (r.remaining > 0) out.push(decodeIn(timerCoder, r, 'nested'));
  return out;
}

test('value, bag and combining state live in the runner between bundles; a bag that only grew is appended', async () => {
  const { store, requests } = fakeStore();
  const out: WindowedValue<unknown>[] = [];
  const fn = {
    state: { total: state.value<number>(), seen: state.bag<number>(), count: state.combining({ createAccumulator: () => 0, addInput: (a: number) => a + 1, mergeAccumulators: (a: number[]) => a.reduce((x, y) => x + y, 0), extractOutput: (a: number) => a }) },
    process(e: { key: string; value: number }, ctx: any) {
      const total = (ctx.state.total.read() ?? 0) + e.value;
      ctx.state.total.write(total);
      ctx.state.seen.add(e.value);
      ctx.state.count.add(e.value);
      ctx.output(`${e.key}:${total}:${ctx.state.seen.read().join(',')}:${ctx.state.count.read()}`);
    },
  };
  // Each bundle gets a fresh operator: nothing is remembered but what the store holds.
  for (const [bundle, elements] of [[1, [el('a', 1), el('a', 2), el('b', 5)]], [2, [el('a', 3)]]] as const) {
    const op = await statefulParDoOperator(node(fn), options(store, out, []));
    op.startBundle?.();
    for (const e of elements) await op.process(e);
    requests.push(`-- finish ${bundle}`);
    await op.finishBundle!();
  }
  assert.deepEqual(out.map((o) => o.value), ['a:1:1:1', 'a:3:1,2:2', 'b:5:5:1', 'a:6:1,2,3:3']);
  assert.deepEqual(out.map((o) => [o.timestamp, o.windows]), out.map(() => [10, [W]]));
  const second = requests.slice(requests.indexOf('-- finish 1') + 1);
  // Bundle 2 reads a's three cells once; then the value and the accumulator are rewritten, the bag only appended.
  assert.deepEqual(second.filter((r) => r.startsWith('get')).sort(), ['get count', 'get seen', 'get total']);
  const writes = second.slice(second.indexOf('-- finish 2') + 1).sort();
  assert.deepEqual(writes, ['append count', 'append seen', 'append total', 'clear count', 'clear total']);
});

test('timers: set/cleared timers leave per family with their output timestamps; fired timers run in their key and window', async () => {
  const { store } = fakeStore();
  const out: WindowedValue<unknown>[] = [];
  const fn = {
    state: { buffer: state.bag<number>() },
    timers: { flush: timer.eventTime(), retry: timer.processingTimeFamily() },
    process(e: { key: string; value: number }, ctx: any) {
      ctx.state.buffer.add(e.value);
      ctx.timers.flush.set(ctx.timestamp + 100);
      ctx.timers.flush.set(ctx.timestamp + 200, { outputTimestamp: ctx.timestamp });
      ctx.timers.retry.set('r1', 5_000);
      ctx.timers.retry.clear('r1');
    },
    onTimer: {
      flush(ctx: any) {
        ctx.output({ key: ctx.key, sum: ctx.state.buffer.read().reduce((a: number, b: number) => a + b, 0), fired: ctx.fireTimestamp, id: ctx.timerId });
        ctx.state.buffer.clear();
      },
    },
  };
  const first = await statefulParDoOperator(node(fn), options(store, out, ['flush', 'retry']));
  assert.deepEqual(first.timerFamilies, ['flush', 'retry']);
  await first.process(el('a', 1, 10));
  await first.process(el('a', 2, 20));
  await first.finishBundle!();
  const set = first.takeTimers();
  const flush = decodeTimers(set.get('flush'));
  // One timer per (key, window, id): the last set wins, with its output timestamp (the watermark hold).
  assert.deepEqual(flush.map((t) => [t.userKey, t.dynamicTimerTag, t.clearBit, t.fireTimestamp, t.holdTimestamp, t.windows]), [['a', '', false, 220, 20, [W]]]);
  assert.deepEqual(decodeTimers(set.get('retry')).map((t) => [t.dynamicTimerTag, t.clearBit]), [['r1', true]]);
  assert.equal(first.takeTimers().size, 0, 'taken once');

  // The runner fires it in a later bundle: state read back, output at the hold, then the cleared bag written.
  const second = await statefulParDoOperator(node(fn), options(store, out, ['flush', 'retry']));
  await second.fireTimers('flush', set.get('flush')!);
  await second.finishBundle!();
  assert.deepEqual(out.map((o) => [o.value, o.timestamp, o.windows]), [[{ key: 'a', sum: 3, fired: 220, id: 'flush' }, 20, [W]]]);
  const third = await statefulParDoOperator(node(fn), options(store, out, ['flush', 'retry']));
  await third.fireTimers('flush', set.get('flush')!);
  assert.equal((out.at(-1)!.value as { sum: number }).sum, 0, 'the bag was cleared in the runner');
});

test('an event timer after the window expires is refused; window expiration runs once per key and window and clears its cells', async () => {
  const { store, data } = fakeStore();
  const out: WindowedValue<unknown>[] = [];
  const late = {
    timers: { t: timer.eventTime() },
    process(_e: unknown, ctx: any) {
      ctx.timers.t.set(W.maxTimestamp + 1);
    },
    onTimer: { t() {} },
  };
  const refused = await statefulParDoOperator(node(late, 'errors'), options(store, out, ['t']));
  await refused.process(el('a', 1));
  assert.match((out[0]!.value as { error: string }).error, /after its window .* expires/);
  out.length = 0;

  const fn = {
    state: { n: state.value<number>() },
    process(_e: unknown, ctx: any) {
      ctx.state.n.write((ctx.state.n.read() ?? 0) + 1);
    },
    onWindowExpiration(ctx: any) {
      ctx.output(`${String(ctx.key)} ${ctx.state.n.read()} at ${ctx.timestamp}`);
    },
  };
  const op = await statefulParDoOperator(node(fn), options(store, out, ['riffle:window_expiration'], { expirationFamily: 'riffle:window_expiration', allowedLateness: 50 }));
  await op.process(el('a', 1));
  await op.process(el('a', 2));
  await op.process(el('b', 3));
  await op.finishBundle!();
  const expiry = decodeTimers(op.takeTimers().get('riffle:window_expiration'));
  assert.deepEqual(expiry.map((t) => [t.userKey, t.fireTimestamp, t.holdTimestamp]), [['a', W.maxTimestamp + 50, W.maxTimestamp], ['b', W.maxTimestamp + 50, W.maxTimestamp]]);
  assert.equal(data.size, 2);
  const fire = await statefulParDoOperator(node(fn), options(store, out, ['riffle:window_expiration'], { expirationFamily: 'riffle:window_expiration', allowedLateness: 50 }));
  await fire.fireTimers('riffle:window_expiration', Buffer.concat(expiry.map((t) => encodeToBytes(timerCoder, t, 'nested'))));
  await fire.finishBundle!();
  assert.deepEqual(out.map((o) => o.value), [`a 2 at ${W.maxTimestamp}`, `b 1 at ${W.maxTimestamp}`]);
  assert.equal(data.size, 0, 'the cells were cleared in the runner');
  assert.ok(GlobalWindow.INSTANCE.maxTimestamp > W.maxTimestamp);
});
