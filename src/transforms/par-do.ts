import {
  PCollection,
  PipelineValidationError,
  parseDuration,
  requireDeterministicKeys,
  type DoFn,
  type DurationLike,
  type ErrorRecord,
  type ParDoSpec,
  type PCollectionView,
  type PTransform,
  type ViewValue,
} from '../model/index.ts';
import type { StateAccess, StateDecl, TimerAccess, TimerDecl } from './state-specs.ts';

export type SideInputs = Record<string, PCollectionView<any>>;
export type SideValues<S> = { readonly [K in keyof S]: ViewValue<S[K]> };

/** A typed output tag: `outputs: { invalid: tag<Event>() }`. */
export interface OutputTag<T> {
  readonly __tag?: T;
}
export function tag<T>(): OutputTag<T> {
  return {};
}
export type TagValues<T> = { [K in keyof T]: T[K] extends OutputTag<infer V> ? V : never };
export type TaggedOutputs<O, T> = { main: PCollection<O> } & { [K in keyof T]: PCollection<TagValues<T>[K]> };

/** The DoFn object `parDo` takes: lifecycle methods plus declared side inputs, outputs, state and timers. */
export type ParDoFn<I, O, S, T, St, Tm> = DoFn<I, O, SideValues<S>, TagValues<T>, StateAccess<St>, TimerAccess<Tm>> & {
  readonly sideInputs?: S;
  readonly outputs?: T;
  readonly state?: St;
  readonly timers?: Tm;
  /** How far back `outputWithTimestamp` may move a timestamp (default 0). */
  readonly allowedTimestampSkew?: DurationLike;
};

// No declared outputs (T left at its default, or widened to its constraint when nothing pins it) → one collection.
type Result<O, T> = string extends keyof T ? PCollection<O> : keyof T extends never ? PCollection<O> : TaggedOutputs<O, T>;
type WithErrorsResult<I, O, T> = TaggedOutputs<O, T> & { errors: PCollection<ErrorRecord<I>> };

export interface ParDoTransform<I, O, T> extends PTransform<PCollection<I>, Result<O, T>> {
  /** Elements whose processing throws go to an `errors` output instead of failing the job. */
  withErrors(): PTransform<PCollection<I>, WithErrorsResult<I, O, T>>;
}

/**
 * Beam's ParDo: a DoFn with a lifecycle, tagged outputs, side inputs, and (for keyed inputs) state and timers.
 * @example
 *   const { main, invalid } = events.apply(parDo({
 *     outputs: { invalid: tag<Event>() },
 *     process(e: Event, ctx) { if (e.revenue < 0) ctx.outputTo('invalid', e); else ctx.output(e); },
 *   }));
 */
export function parDo<
  I,
  O,
  S extends SideInputs = Record<never, never>,
  T extends Record<string, OutputTag<any>> = Record<never, never>,
  St extends Record<string, StateDecl<any>> = Record<never, never>,
  Tm extends Record<string, TimerDecl<any>> = Record<never, never>,
>(doFn: ParDoFn<I, O, S, T, St, Tm>, name = 'ParDo'): ParDoTransform<I, O, T> {
  const outputTags = Object.keys(doFn.outputs ?? {});
  for (const t of outputTags) {
    if (t === 'main' || t === 'errors') throw new PipelineValidationError(`parDo '${name}': output tag '${t}' is reserved; choose another name`);
  }
  const sideInputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(doFn.sideInputs ?? {})) sideInputs[k] = v.id;
  const stateful = Object.keys(doFn.state ?? {}).length > 0 || Object.keys(doFn.timers ?? {}).length > 0 || doFn.onWindowExpiration !== undefined;
  for (const t of Object.keys(doFn.timers ?? {})) {
    if (!doFn.onTimer?.[t]) throw new PipelineValidationError(`parDo '${name}': timer '${t}' has no onTimer.${t} callback`);
  }
  const expand = (input: PCollection<I>, stepName: string, withErrors: boolean) => {
    if (stateful && input.windowing.windowFn.isMerging) {
      throw new PipelineValidationError(`parDo '${stepName}': state and timers are not supported with merging windows (${input.windowing.windowFn.describe()})`, {
        hint: 'apply the stateful DoFn before window.into(sessions) or use a combine/groupByKey',
      });
    }
    if (stateful) requireDeterministicKeys(input as PCollection<unknown>, stepName);
    const spec: ParDoSpec = {
      kind: 'parDo',
      doFn: doFn as DoFn<any, any, any, any, any, any>,
      outputTags,
      ...(withErrors ? { errorTag: 'errors' } : {}),
      sideInputs,
      allowedSkew: parseDuration(doFn.allowedTimestampSkew ?? 0, 'allowedTimestampSkew'),
      stateful,
    };
    const tags = ['main', ...outputTags, ...(withErrors ? ['errors'] : [])];
    const node = input.graph.addNode({
      name: stepName,
      kind: 'parDo',
      spec,
      inputs: [input.id],
      sideInputs: Object.values(sideInputs),
      outputs: tags.map((tag) => ({ tag, windowing: input.windowing, bounded: input.bounded })),
    });
    const result: Record<string, PCollection<unknown>> = {};
    for (const [tag, id] of node.outputs) result[tag] = new PCollection(input.graph, id);
    return result;
  };
  return {
    name,
    primitive: true,
    expand: (input, stepName) => {
      const r = expand(input, stepName, false);
      return (outputTags.length === 0 ? r.main : r) as Result<O, T>;
    },
    withErrors: () => ({ name, primitive: true, expand: (input, stepName) => expand(input, stepName, true) as unknown as WithErrorsResult<I, O, T> }),
  };
}

/**
 * `parDo` with the input and output types given up front, the rest (side inputs, outputs, state, timers) still
 * inferred — for DoFns whose output type TypeScript cannot see from `ctx.output(...)` calls.
 * @example events.apply(parDo.of<Event, Enriched>()({ sideInputs: { segments }, process(e, ctx) { ctx.output({ ...e, segment: ctx.side.segments.get(e.user) ?? 'unknown' }) } }))
 */
parDo.of = function of<I, O>() {
  return <
    S extends SideInputs = Record<never, never>,
    T extends Record<string, OutputTag<any>> = Record<never, never>,
    St extends Record<string, StateDecl<any>> = Record<never, never>,
    Tm extends Record<string, TimerDecl<any>> = Record<never, never>,
  >(
    doFn: ParDoFn<I, O, S, T, St, Tm>,
    name?: string,
  ): ParDoTransform<I, O, T> => parDo<I, O, S, T, St, Tm>(doFn, name);
};
