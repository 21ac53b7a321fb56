/**
 * Riffle windowing strategies as Beam `WindowingStrategy` protos: the window function (Beam's standard global, fixed,
 * sliding and session windows; a custom window function as `riffle:window_fn:custom:v1` naming its step), the window
 * coder, the trigger (translate-trigger.ts), accumulation mode, allowed lateness, output time and the empty-pane
 * behaviours. What Beam cannot express is refused (an UntranslatableError naming the step and why).
 */
import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { WindowFn, WindowingStrategy } from '../../model/index.ts';
import {
  AccumulationMode_Enum,
  ClosingBehavior_Enum,
  MergeStatus_Enum,
  OnTimeBehavior_Enum,
  OutputTime_Enum,
  type FunctionSpec,
  FunctionSpecSchema,
  WindowingStrategySchema,
} from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { FixedWindowsPayloadSchema, SessionWindowsPayloadSchema, SlidingWindowsPayloadSchema } from './gen/pipeline/v1/standard_window_fns_pb.ts';
import type { CoderSpec } from './components-builder.ts';
import { coderSpecOf } from './translate-coders.ts';
import { triggerToProto } from './translate-trigger.ts';
import { encodeRifflePayload, type PipelineRef } from './riffle-payload.ts';
import { UntranslatableError } from './untranslatable-error.ts';
import { CODER_URNS, RIFFLE_URNS, WINDOW_FN_URNS } from './urns.ts';

/** The window function as a FunctionSpec. `step` is the step that set it (a windowInto, or the source). */
export function windowFnSpec(fn: WindowFn<any>, ref: PipelineRef, step: string): FunctionSpec {
  if (fn.isGlobal) return create(FunctionSpecSchema, { urn: WINDOW_FN_URNS.global });
  // By kind and the parameters each kind has, not by class: a pipeline module may be built with another copy of
  // Riffle than this runner's (a project's sources run by the compiled CLI), whose window classes are other classes.
  const p = fn as unknown as { readonly size?: unknown; readonly offset?: unknown; readonly period?: unknown; readonly gap?: unknown };
  const ms = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (fn.kind === 'fixed' && ms(p.size) && ms(p.offset)) {
    return create(FunctionSpecSchema, { urn: WINDOW_FN_URNS.fixed, payload: toBinary(FixedWindowsPayloadSchema, create(FixedWindowsPayloadSchema, { size: durationFromMs(p.size), offset: timestampFromMs(p.offset) })) });
  }
  if (fn.kind === 'sliding' && ms(p.size) && ms(p.period) && ms(p.offset)) {
    return create(FunctionSpecSchema, {
      urn: WINDOW_FN_URNS.sliding,
      payload: toBinary(SlidingWindowsPayloadSchema, create(SlidingWindowsPayloadSchema, { size: durationFromMs(p.size), period: durationFromMs(p.period), offset: timestampFromMs(p.offset) })),
    });
  }
  if (fn.kind === 'sessions' && ms(p.gap)) {
    return create(FunctionSpecSchema, { urn: WINDOW_FN_URNS.sessions, payload: toBinary(SessionWindowsPayloadSchema, create(SessionWindowsPayloadSchema, { gapSize: durationFromMs(p.gap) })) });
  }
  if (fn.kind === 'custom') return create(FunctionSpecSchema, { urn: RIFFLE_URNS.windowFn, payload: encodeRifflePayload({ ...ref, step, role: 'windowFn', detail: { describe: fn.describe() } }) });
  throw new UntranslatableError(step, `its window function ${fn.describe()} is neither one of Beam's standard window functions nor a custom one`);
}

/** The coder of the windows a window function assigns. */
export function windowCoderSpec(fn: WindowFn<any>, ref: PipelineRef, step: string): CoderSpec {
  if (fn.isGlobal) return { urn: CODER_URNS.globalWindow };
  if (fn.kind !== 'custom') return { urn: CODER_URNS.intervalWindow };
  if (fn.windowCoder === undefined) {
    throw new UntranslatableError(step, `the custom window function ${fn.describe()} has no windowCoder, so its windows cannot cross to Flink`, 'give window.custom({ ..., windowCoder }) a deterministic coder of its windows');
  }
  return coderSpecOf(fn.windowCoder, ref, step, [], 'windowCoder');
}

const OUTPUT_TIME: Record<WindowingStrategy['timestampCombiner'], OutputTime_Enum> = {
  endOfWindow: OutputTime_Enum.END_OF_WINDOW,
  earliest: OutputTime_Enum.EARLIEST_IN_PANE,
  latest: OutputTime_Enum.LATEST_IN_PANE,
  // Beam's runner applies the window function's output-time transform to EARLIEST_IN_PANE itself; it is the identity
  // for the standard window functions (a custom one with an outputTime is refused below).
  earliestTransformed: OutputTime_Enum.EARLIEST_IN_PANE,
};

/**
 * The WindowingStrategy proto of a Riffle strategy; `windowCoderId` is the id of `windowCoderSpec(...)` in the
 * components, `environmentId` the environment that runs custom window functions.
 */
export function windowingStrategyProto(
  s: WindowingStrategy,
  opts: { ref: PipelineRef; step: string; windowCoderId: string; environmentId: string; grouped?: boolean },
): MessageInitShape<typeof WindowingStrategySchema> {
  const fn = s.windowFn;
  if (s.timestampCombiner === 'earliestTransformed' && fn.kind === 'custom') {
    throw new UntranslatableError(opts.step, "the timestamp combiner 'earliestTransformed' with a custom window function has no Beam counterpart", "use 'earliest' or 'endOfWindow'");
  }
  return {
    windowFn: windowFnSpec(fn, opts.ref, opts.step),
    // A grouping's output holds merged windows: Beam marks them ALREADY_MERGED, so a later grouping does not merge again.
    mergeStatus: fn.isMerging ? (opts.grouped === true ? MergeStatus_Enum.ALREADY_MERGED : MergeStatus_Enum.NEEDS_MERGE) : MergeStatus_Enum.NON_MERGING,
    windowCoderId: opts.windowCoderId,
    trigger: triggerToProto(s.trigger),
    accumulationMode: s.accumulation === 'accumulating' ? AccumulationMode_Enum.ACCUMULATING : AccumulationMode_Enum.DISCARDING,
    outputTime: OUTPUT_TIME[s.timestampCombiner],
    closingBehavior: s.closingBehavior === 'fireAlways' ? ClosingBehavior_Enum.EMIT_ALWAYS : ClosingBehavior_Enum.EMIT_IF_NONEMPTY,
    onTimeBehavior: s.onTimeBehavior === 'fireAlways' ? OnTimeBehavior_Enum.FIRE_ALWAYS : OnTimeBehavior_Enum.FIRE_IF_NONEMPTY,
    allowedLateness: BigInt(s.allowedLateness),
    assignsToOneWindow: fn.assignsSingleWindow,
    environmentId: opts.environmentId,
  };
}
