/**
 * Riffle's element-wise steps as harness operators: map, flatMap, filter, assignTimestamps and stateless ParDos
 * without side inputs. An element keeps its windows and pane; outputs go to the transform's output PCollections by
 * tag. A function that throws routes the element to the step's error output when it has one (an ErrorRecord, as the
 * embedded engine does), and fails the bundle otherwise.
 */
import type { SideInputs } from './side-inputs.ts';
import { excerpt, type BoundedWindow, type ErrorRecord, type FinishBundleContext, type Instant, type MetricsContext, type PrimitiveNode, type WindowedValue } from '../../model/index.ts';

type WV = WindowedValue<unknown>;
/** Delivers one element to a PCollection's consumers. */
export type Emit = (wv: WV) => void | Promise<void>;

export interface Operator {
  readonly process: Emit;
  startBundle?(): void;
  finishBundle?(): Promise<void>;
  /** The processor is dropped (the harness ends, or a bundle failed): DoFn teardown, a sink's finish or abort. */
  teardown?(failed: boolean): Promise<void>;
}

const noMetrics: MetricsContext = {
  counter: () => ({ inc: () => undefined }),
  distribution: () => ({ update: () => undefined }),
  gauge: () => ({ set: () => undefined }),
};

/** What a ParDo with side inputs reads them with, and the bundle it is in. */
export interface SideInputAccess {
  readonly read: SideInputs;
  readonly instructionId: () => string;
}

/** The operator of an element-wise step; `refuse(why)` makes the error for what the harness cannot run. */
export async function elementOperator(node: PrimitiveNode, outs: Readonly<Record<string, Emit>>, refuse: (why: string) => Error, sides?: SideInputAccess, metrics: MetricsContext = noMetrics): Promise<Operator> {
  const main = outs['main'] ?? (() => undefined);
  const errorTag = 'errorTag' in node.spec ? node.spec.errorTag : undefined;
  const onError = async (wv: WV, e: unknown) => {
    const target = errorTag !== undefined ? outs[errorTag] : undefined;
    if (target === undefined) throw new Error(`step '${node.name}' failed on ${excerpt(wv.value, 120)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    const record: ErrorRecord = { step: node.name, error: e instanceof Error ? e.message : String(e), element: wv.value, time: new Date().toISOString() };
    await target({ ...wv, value: record });
  };
  const guarded = (f: (wv: WV) => Promise<void>): Emit => async (wv) => {
    let pending: Promise<void>;
    try {
      pending = f(wv);
    } catch (e) {
      return onError(wv, e);
    }
    await pending;
  };
  switch (node.kind) {
    case 'map': {
      const fn = node.spec.fn;
      return { process: guarded((wv) => Promise.resolve(main({ ...wv, value: fn(wv.value) }))) };
    }
    case 'filter': {
      const fn = node.spec.fn;
      return { process: guarded((wv) => Promise.resolve(fn(wv.value) ? main(wv) : undefined)) };
    }
    case 'flatMap': {
      const fn = node.spec.fn;
      return {
        process: guarded(async (wv) => {
          for (const v of [...fn(wv.value)]) await main({ ...wv, value: v });
        }),
      };
    }
    case 'assignTimestamps': {
      const fn = node.spec.fn;
      return { process: guarded((wv) => Promise.resolve(main({ ...wv, timestamp: fn(wv.value, wv.timestamp) }))) };
    }
    case 'parDo': {
      const spec = node.spec;
      if (spec.stateful) throw refuse('a stateful DoFn runs as a stateful operator (stateful-par-do-operator.ts), not an element-wise one');
      if (Object.keys(spec.sideInputs).length > 0 && sides === undefined) throw refuse('its stage names no state API endpoint to read its side inputs from');
      const fn = spec.doFn;
      await fn.setup?.();
      let queued: Array<{ tag: string; wv: WV }> = [];
      const finishCtx: FinishBundleContext<unknown> = {
        output: (value: unknown, timestamp: Instant, window: BoundedWindow) => void queued.push({ tag: 'main', wv: { value, timestamp, windows: [window], pane: { isFirst: true, isLast: true, timing: 'UNKNOWN', index: 0, nonSpeculativeIndex: 0 } } }),
        metrics,
      };
      const flush = async () => {
        const items = queued;
        queued = [];
        for (const { tag, wv } of items) {
          const target = outs[tag];
          if (target === undefined) throw new Error(`step '${node.name}' output to '${tag}', which is not one of its outputs (${Object.keys(outs).join(', ')})`);
          await target(wv);
        }
      };
      return {
        startBundle: () => fn.startBundle?.(),
        teardown: async () => fn.teardown?.(),
        finishBundle: async () => {
          fn.finishBundle?.(finishCtx);
          await flush();
        },
        process: guarded(async (wv) => {
          // Windows are exploded: a DoFn sees one window per call, as in the embedded engine.
          for (const window of wv.windows) {
            const one: WV = { ...wv, windows: [window] };
            const side = sides !== undefined ? await sides.read(sides.instructionId(), window) : {};
            fn.process(wv.value, {
              timestamp: wv.timestamp,
              window,
              pane: wv.pane,
              side,
              state: {},
              timers: {},
              key: undefined,
              metrics,
              output: (value: unknown) => void queued.push({ tag: 'main', wv: { ...one, value } }),
              outputWithTimestamp: (value: unknown, timestamp: Instant) => void queued.push({ tag: 'main', wv: { ...one, value, timestamp } }),
              outputTo: (tag: string, value: unknown) => void queued.push({ tag, wv: { ...one, value } }),
            } as never);
            await flush();
          }
        }),
      };
    }
    default:
      throw refuse(`a ${node.kind} step does not run as an element-wise operator`);
  }
}

