/**
 * Side inputs of a Riffle ParDo in the harness, read through the runner's state API. Riffle's DoFns read side inputs
 * synchronously (`ctx.side.name`), so before an element is processed in a window, every side input is fetched for
 * the side-input window that window maps to (the side collection's window function, as in the embedded engine), and
 * built into the view's value by the embedded engine's own ViewStore (iterable, singleton with its default, map,
 * multimap — same values, same errors). Fetches are cached for the bundle.
 *
 * Access patterns, as the translation declared them: `beam:side_input:iterable:v1` (one get of the window's
 * elements) for iterable and singleton views; `beam:side_input:multimap:v1` for map and multimap views (the window's
 * keys, then each key's values). Keys and windows are encoded with the descriptor's coders of the side input's
 * PCollection (the runner length-prefixes the ones it does not know, and so does the harness's coder).
 */
import { ByteReader, decodeIn, encodeToBytes, type BoundedWindow, type Coder, type PipelineGraph, type PrimitiveNode } from '../../model/index.ts';
import type { ProcessBundleDescriptor } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import type { PTransform } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { ViewStore } from '../local/view-op.ts';
import { beamSpecOf, descriptorCoder, harnessCoder } from './harness-coders.ts';
import type { StateClient } from './state-client.ts';

/** The side inputs of one element's window, by their local names. */
export type SideInputs = (instructionId: string, mainWindow: BoundedWindow) => Promise<Record<string, unknown>>;

interface Side {
  readonly local: string;
  readonly multimap: boolean;
  readonly element: Coder<unknown>;
  readonly key?: Coder<unknown>;
  readonly value?: Coder<unknown>;
  readonly windowCoder: Coder<unknown>;
  readonly makeStore: () => ViewStore;
}

function decodeAll(coder: Coder<unknown>, bytes: Uint8Array): unknown[] {
  const out: unknown[] = [];
  const r = new ByteReader(bytes);
  while (r.remaining > 0) out.push(decodeIn(coder, r, 'nested'));
  return out;
}

/** The reader of a ParDo's side inputs; undefined when it has none. */
export function sideInputReader(d: ProcessBundleDescriptor, transformId: string, t: PTransform, node: Extract<PrimitiveNode, { kind: 'parDo' }>, graph: PipelineGraph, state: () => StateClient): SideInputs | undefined {
  const entries = Object.entries(node.spec.sideInputs);
  if (entries.length === 0) return undefined;
  const sides: Side[] = entries.map(([local, viewId]) => {
    const view = graph.views.get(viewId);
    const pc = t.inputs[local];
    const pcollection = pc !== undefined ? d.pcollections[pc] : undefined;
    if (view === undefined || pcollection === undefined) throw new Error(`side input '${local}' of '${node.name}' is not in the stage (view ${viewId})`);
    const windowing = graph.collections.get(view.collection)!.windowing;
    const windowCoder = descriptorCoder(d.coders, d.windowingStrategies[pcollection.windowingStrategyId]!.windowCoderId);
    const multimap = view.kind === 'map' || view.kind === 'multimap';
    const spec = beamSpecOf(d.coders, pcollection.coderId);
    return {
      local,
      multimap,
      element: harnessCoder(spec),
      ...(multimap ? { key: harnessCoder(spec.components![0]!), value: harnessCoder(spec.components![1]!) } : {}),
      windowCoder,
      makeStore: () => new ViewStore(view, windowing),
    };
  });
  const sideWindowFns = entries.map(([, viewId]) => graph.collections.get(graph.views.get(viewId)!.collection)!.windowing.windowFn);
  let cachedFor = '';
  let cache = new Map<string, unknown>();
  return async (instructionId, mainWindow) => {
    if (cachedFor !== instructionId) {
      cachedFor = instructionId;
      cache = new Map();
    }
    const values: Record<string, unknown> = {};
    for (const [i, s] of sides.entries()) {
      const sideWindow = sideWindowFns[i]!.getSideInputWindow(mainWindow);
      const window = encodeToBytes(s.windowCoder, sideWindow, 'nested');
      const id = `${s.local}\u0000${Buffer.from(window).toString('base64')}`;
      if (!cache.has(id)) {
        const store = s.makeStore();
        const at = { transformId, sideInputId: s.local, window };
        if (!s.multimap) {
          for (const v of decodeAll(s.element, await state().get(instructionId, { type: { case: 'iterableSideInput', value: at } }))) store.add(v, [sideWindow]);
        } else {
          const keys = decodeAll(s.key!, await state().get(instructionId, { type: { case: 'multimapKeysSideInput', value: at } }));
          for (const key of keys) {
            const bytes = await state().get(instructionId, { type: { case: 'multimapSideInput', value: { ...at, key: encodeToBytes(s.key!, key, 'nested') } } });
            for (const v of decodeAll(s.value!, bytes)) store.add({ key, value: v }, [sideWindow]);
          }
        }
        cache.set(id, store.read(sideWindow));
      }
      values[s.local] = cache.get(id);
    }
    return values;
  };
}
